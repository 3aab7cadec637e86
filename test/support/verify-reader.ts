/**
 * A reader process for integration tests: reads a camera's export as fast as it can with the
 * TypeScript FrameReader for `seconds`, verifies every accepted frame against the stamp the
 * writer put in it (stamp == frame id) and prints one JSON line of counts.
 * Usage: node verify-reader.js <dir> <camera> <seconds>
 */
import { FrameReader } from '../../src/reader/frame-reader';
import { verifyFrame } from './frame-stamp';

const [dir, camera, secondsText] = process.argv.slice(2);
const reader = FrameReader.open(camera!, { dir: dir! });
process.stdout.write('READY\n');
const deadline = performance.now() + Number(secondsText) * 1000;
let reads = 0;
let accepted = 0;
let torn = 0;
let distinct = 0;
let lastId = 0;
let regressions = 0;
while (performance.now() < deadline) {
  reads++;
  const frame = reader.latest();
  if (frame === null) continue;
  accepted++;
  if (verifyFrame(frame.data) !== frame.meta.frameId) torn++;
  if (frame.meta.frameId < lastId) regressions++;
  if (frame.meta.frameId !== lastId) distinct++;
  lastId = frame.meta.frameId;
}
process.stdout.write(`${JSON.stringify({ reads, accepted, torn, distinct, regressions, skipped: reader.skipped, lastId })}\n`);
reader.close();
