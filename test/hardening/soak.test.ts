/**
 * Hardening 7: a short profile of the soak (test/hardening/soak.ts): 2 cameras through the hook (FFmpeg
 * lavfi testsrc2 through the tap thread when ffmpeg is installed, else a synthetic pump),
 * restarted every 8 s for about 25 s. Asserted: open fds and files under the export dir back
 * to exactly their baseline after the stop and steady while running, RSS growth within a
 * generous bound, frames flowing, no error line. The full soak is `npm run soak` (10 minutes).
 */
import { expect } from 'chai';
import { spawn, spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { PACKAGE_ROOT } from './support/harness';
import type { Series as SoakSeries } from './soak';

const SECONDS = 25;
const RESTART_SECONDS = 8;
const CAMERAS = 2;
/** Generous: the tap worker's heap warms up during the first seconds of such a short run. */
const RSS_GROWTH_BOUND_MB = 48;

/** A series as soak.ts reports it, with the growth this test derives. */
interface Series extends SoakSeries {
  growthMB?: number;
}

interface SoakSummary {
  profile: { source: string };
  durationSeconds: number;
  restarts: number;
  cameras: Array<{ id: string; starts: number; framesWritten: number; framesRead: number }>;
  log: { info: number; warn: number; error: number; errors: string[] };
  rss: Series;
  rssAnon: Series;
  fds: Series;
  files: Series;
  samples: Array<{ t: number; fds: number; files: number }>;
  verdict: string;
  reasons: string[];
}

const MB = 1024 * 1024;

describe('hardening: soak, short profile (test/hardening/soak.ts)', function () {
  this.timeout((SECONDS + 60) * 1000);

  it(`2 cameras for ${SECONDS} s, restarted every ${RESTART_SECONDS} s: fds and files back to baseline exactly, RSS growth bounded`, async () => {
    const script = path.join(PACKAGE_ROOT, 'dist', 'test', 'hardening', 'soak.js');
    const ffmpeg = spawnSync('ffmpeg', ['-hide_banner', '-version'], { stdio: 'ignore' }).status === 0;
    const child = spawn(process.execPath, [script, '--seconds', String(SECONDS), '--restart-seconds', String(RESTART_SECONDS),
      '--sample-seconds', '2.5', '--cameras', String(CAMERAS)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => { stdout += chunk; });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => { stderr += chunk; });
    const exit = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.on('exit', (code, signal) => resolve({ code, signal })));
    expect(exit.signal, stderr).to.equal(null);
    expect(exit.code, stderr.slice(-3000)).to.be.oneOf([0, 1]);
    if (stdout.trim() === "") throw new Error(`soak printed no summary (exit ${JSON.stringify(exit)}): ${stderr.slice(-3000)}`);
    const summary = JSON.parse(stdout) as SoakSummary;

    const mb = (bytes: number): string => (bytes / MB).toFixed(1);
    console.log(`      soak ${summary.durationSeconds} s (${summary.profile.source}): restarts ${summary.restarts}, ` +
      `frames written ${summary.cameras.map((c) => c.framesWritten).join('/')}, read ${summary.cameras.map((c) => c.framesRead).join('/')}; ` +
      `RSS MB baseline ${mb(summary.rss.baseline)} first ${mb(summary.rss.first)} last ${mb(summary.rss.last)} max ${mb(summary.rss.max)} ` +
      `final ${mb(summary.rss.final)} growth ${summary.rss.growthMB}; RssAnon growth ${summary.rssAnon.growthMB}; ` +
      `fds baseline ${summary.fds.baseline} running ${summary.fds.first}..${summary.fds.max} final ${summary.fds.final}; ` +
      `files baseline ${summary.files.baseline} running ${summary.files.first}..${summary.files.max} final ${summary.files.final}; ` +
      `verdict ${summary.verdict}${summary.reasons.length > 0 ? ` (${summary.reasons.join('; ')})` : ''}`);

    if (ffmpeg) expect(summary.profile.source, 'exercises the FFmpeg tap thread').to.equal('ffmpeg');
    expect(summary.log.error, summary.log.errors.join('\n')).to.equal(0);
    expect(summary.samples.length).to.be.at.least(5);

    // Exact: back to the baseline after the stop, steady while running.
    expect(summary.fds.final, 'open fds after the stop').to.equal(summary.fds.baseline);
    expect(summary.files.baseline).to.equal(0);
    expect(summary.files.final, 'entries under the export dir after the stop').to.equal(0);
    for (const sample of summary.samples) {
      expect(sample.files, `files at t=${sample.t}`).to.equal(CAMERAS * 3);
      expect(sample.fds, `fds at t=${sample.t}`).to.equal(summary.fds.first);
    }

    // Restarts happened and frames kept flowing through every generation.
    for (const camera of summary.cameras) {
      expect(camera.starts, camera.id).to.be.at.least(3);
      expect(camera.framesWritten, `${camera.id} frames written (about 30/s)`).to.be.above(SECONDS * 30 * 0.3);
      expect(camera.framesRead, `${camera.id} distinct frames read at 10 Hz`).to.be.above(SECONDS * 10 * 0.3);
    }

    expect(summary.rss.growthMB!, 'RSS growth (MB, medians of thirds)').to.be.below(RSS_GROWTH_BOUND_MB);
    expect(summary.rss.max - summary.rss.baseline, 'RSS above baseline at most (bytes)').to.be.below(128 * MB);
  });
});
