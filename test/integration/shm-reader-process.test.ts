import { expect } from 'chai';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadDecodeBoundaryHook } from '../../plugin/index';
import { stampFrame } from '../support/frame-stamp';
import { MemoryLogger } from '../support/live-container';

const READER = path.join(__dirname, '..', 'support', 'verify-reader.js');

interface ReaderCounts {
  reads: number;
  accepted: number;
  torn: number;
  distinct: number;
  regressions: number;
  skipped: number;
}

describe('integration: real shared memory, writer at full speed, reader in another process', function () {
  this.timeout(60_000);
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync('/dev/shm/vas-it-');
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  for (const ffi of ['koffi', 'ffi-rs']) {
    it(`accepts >= 1,000 frames and not one torn frame (${ffi})`, async () => {
      const logger = new MemoryLogger();
      const hook = loadDecodeBoundaryHook({
        AI_FRAME_EXPORT_ENABLED: 'true', AI_FRAME_EXPORT_DIR: dir, AI_FRAME_EXPORT_FFI: ffi,
        AI_FRAME_WIDTH: '320', AI_FRAME_HEIGHT: '180', AI_FRAME_BUFFER_CAPACITY: '3',
      }, logger);
      hook.onStreamStart('cam1', { width: 320, height: 180 });
      const reader = spawn(process.execPath, [READER, dir, 'cam1', '3'], { stdio: ['ignore', 'pipe', 'inherit'] });
      let output = '';
      reader.stdout.setEncoding('utf8');
      reader.stdout.on('data', (chunk: string) => {
        output += chunk;
      });
      await new Promise<void>((resolve) => {
        const wait = () => (output.includes('READY') ? resolve() : setTimeout(wait, 10));
        wait();
      });
      // Full speed: a synchronous loop on this thread while the reader process reads.
      const frame = new Uint8Array(320 * 180 * 1.5);
      const until = performance.now() + 3200;
      let written = 0;
      while (performance.now() < until) {
        stampFrame(frame, ++written);
        hook.onFrame('cam1', frame);
      }
      const code = await new Promise<number | null>((resolve) => reader.on('exit', resolve));
      hook.close();
      expect(code).to.equal(0);
      const counts = JSON.parse(output.split('\n').filter((line) => line.startsWith('{')).pop()!) as ReaderCounts;
      console.log(`      writer ${written} frames; reader ${JSON.stringify(counts)}`);
      expect(counts.torn, 'torn frames accepted').to.equal(0);
      expect(counts.regressions).to.equal(0);
      expect(counts.accepted).to.be.at.least(1000);
      expect(logger.lines.filter((line) => !line.startsWith('info'))).to.deep.equal([]);
    });
  }
});
