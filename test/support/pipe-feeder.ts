/**
 * Stands in for FFmpeg's raw branch: writes stamped NV12-sized frames to fd 3 (the tap pipe)
 * in random chunk sizes, so frame boundaries never line up with writes.
 * Usage: node pipe-feeder.js <width> <height> <frames> <fps|0 for full speed> [truncate]
 */
import * as fs from 'node:fs';
import { stampFrame } from './frame-stamp';

const [widthText, heightText, framesText, fpsText, mode] = process.argv.slice(2);
const frameSize = Number(widthText) * Number(heightText) * 1.5;
const frames = Number(framesText);
const fps = Number(fpsText);
const frame = new Uint8Array(frameSize);
const FD = 3;

function writeAll(bytes: Uint8Array): void {
  let offset = 0;
  while (offset < bytes.length) {
    const chunk = Math.min(bytes.length - offset, 1 + Math.floor(Math.random() * 7000));
    offset += fs.writeSync(FD, bytes, offset, chunk);
  }
}

let sent = 0;
function sendOne(): void {
  stampFrame(frame, ++sent);
  writeAll(frame);
}

function finish(): void {
  if (mode === 'truncate') writeAll(frame.subarray(0, frameSize >> 1));
  fs.closeSync(FD);
}

if (fps <= 0) {
  while (sent < frames) sendOne();
  finish();
} else {
  const timer = setInterval(() => {
    sendOne();
    if (sent >= frames) {
      clearInterval(timer);
      finish();
    }
  }, 1000 / fps);
}
