/**
 * End to end with the frame export OFF: the reference VAS host, unpatched and patched (with
 * AI_FRAME_EXPORT_ENABLED unset and =false), each in a fresh process of its own
 * (support/host-process.ts), streams the same RTSP camera with the same parameters. With the
 * flag off the patch must change nothing that can be observed:
 *   - FFmpeg's argv and stdio are identical to the unpatched host's;
 *   - nothing appears under AI_FRAME_EXPORT_DIR;
 *   - the host process never loads tsyringe, reflect-metadata, koffi or ffi-rs (require.cache
 *     and /proc/self/maps of the host process, which loaded nothing else);
 *   - RTP reaches the receiver and HLS writes segments and its playlist.
 */
import { expect } from 'chai';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CameraSimulator } from '../fixtures/camera/camera-simulator';
import { RtpReceiver, type RtpStats } from '../fixtures/rtp-receiver';
import { repoRoot, type HostSpawnRecord } from '../fixtures/vas-host';
import { HostProcess } from './support/host-client';
import type { LoadedModules } from './support/host-process';
import { waitFor } from './support/reader-client';

/** Packages the live path needs; none may load with the flag off. */
const LIVE_ONLY_PACKAGES = ['tsyringe', 'reflect-metadata', 'koffi', 'ffi-rs'];

interface Run {
  readonly label: string;
  readonly spawn: HostSpawnRecord;
  readonly rtp: RtpStats;
  readonly segments: readonly string[];
  readonly modules: LoadedModules;
  readonly exportEntries: readonly string[];
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Entries of require.cache or of the mapped files that belong to a live-only package. */
function liveOnly(files: readonly string[]): string[] {
  return files.filter((file) => LIVE_ONLY_PACKAGES.some((name) =>
    file.includes(`${path.sep}node_modules${path.sep}${name}${path.sep}`) || path.basename(file).includes(name)));
}

describe('e2e: flag off (patched host vs unpatched host)', function () {
  this.timeout(120_000);
  const sim = new CameraSimulator();
  const rx = new RtpReceiver();
  let url = '';
  let exportDir = '';
  let scratch = '';
  let hlsDir = '';
  const hosts: HostProcess[] = [];
  const runs = new Map<string, Run>();

  before(async () => {
    exportDir = fs.mkdtempSync('/dev/shm/vas-e2e-off-');
    scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'vas-e2e-off-'));
    hlsDir = path.join(scratch, 'hls');
    [url] = (await sim.start({ width: 320, height: 240, fps: 25, paths: ['cam1'] })) as [string];
    await rx.start();
  });

  after(async () => {
    for (const host of hosts) await host.close();
    await rx.stop();
    await sim.stop();
    if (exportDir) fs.rmSync(exportDir, { recursive: true, force: true });
    if (scratch) fs.rmSync(scratch, { recursive: true, force: true });
  });

  /** One host, one camera, the same parameters every time: stream, check RTP + HLS, stop. */
  async function stream(label: string, patched: boolean, env: Record<string, string>): Promise<Run> {
    fs.rmSync(hlsDir, { recursive: true, force: true });
    const host = await HostProcess.spawn(patched, env);
    hosts.push(host);
    rx.reset();
    await host.start({ id: 'cam1', rtspUrl: url, rtpPort: rx.port, hlsDir });
    const spawn = (await host.lastSpawn('cam1'))!;
    const diagnostics = async (): Promise<string> => `ffmpeg stderr: ${await host.stderrTail('cam1')}; host log: ${host.log}`;
    await rx.waitForPackets(50, 15_000).catch(async (e: unknown) => {
      throw new Error(`${label}: ${String(e)}; ${await diagnostics()}`);
    });
    const segments = await waitFor(`${label}: 2 HLS segments and index.m3u8`, 15_000, () => {
      if (!fs.existsSync(path.join(hlsDir, 'index.m3u8'))) return undefined;
      const ts = fs.readdirSync(hlsDir).filter((f) => f.endsWith('.ts')).sort();
      return ts.length >= 2 ? ts : undefined;
    });
    const playlist = fs.readFileSync(path.join(hlsDir, 'index.m3u8'), 'utf8');
    expect(playlist, `${label}: playlist`).to.match(/^#EXTM3U/);
    const listed = playlist.split('\n').filter((line) => line.endsWith('.ts'));
    expect(listed.length, `${label}: segments listed in index.m3u8`).to.be.at.least(1);
    const exportEntries = fs.readdirSync(exportDir);
    const modules = await host.modules();
    await host.stop('cam1');
    expect(await host.isRunning('cam1')).to.equal(false);
    expect(pidAlive(spawn.pid!), `${label}: FFmpeg exited`).to.equal(false);
    const rtp = rx.stats();
    await host.close();
    const run: Run = { label, spawn, rtp, segments, modules, exportEntries: [...exportEntries, ...fs.readdirSync(exportDir)] };
    runs.set(label, run);
    console.log(`      ${label}: ${rtp.packets} RTP packets (${rtp.lost} lost, max gap ${rtp.maxGapMs.toFixed(1)} ms), ` +
      `HLS ${segments.join(',')}; ${modules.requireCache.length} modules loaded`);
    return run;
  }

  const ENV_OFF = (): Record<string, string> => ({
    AI_FRAME_EXPORT_DIR: exportDir,
    AI_FRAME_WIDTH: '320',
    AI_FRAME_HEIGHT: '240',
  });

  it('unpatched host: RTP at the receiver, HLS segments and playlist', async () => {
    const run = await stream('unpatched', false, ENV_OFF());
    expect(run.rtp.payloadTypes).to.deep.equal([96]);
    expect(run.rtp.ssrcs).to.have.length(1);
    expect(run.modules.requireCache.filter((f) => f.includes('vas-frame-export') || f.startsWith(path.join(repoRoot(), 'dist', 'plugin')))).to.deep.equal([]);
  });

  for (const [label, flag] of [['patched, AI_FRAME_EXPORT_ENABLED unset', null], ['patched, AI_FRAME_EXPORT_ENABLED=false', 'false']] as const) {
    it(`${label}: RTP and HLS as before, no entry under the export dir`, async () => {
      const env = ENV_OFF();
      if (flag !== null) env.AI_FRAME_EXPORT_ENABLED = flag;
      const run = await stream(label, true, env);
      expect(run.rtp.payloadTypes).to.deep.equal([96]);
      expect(run.rtp.ssrcs).to.have.length(1);
      expect(run.exportEntries, 'entries under AI_FRAME_EXPORT_DIR').to.deep.equal([]);
    });
  }

  it('patched hosts spawn FFmpeg with exactly the unpatched argv and stdio', () => {
    const plain = runs.get('unpatched')!;
    expect(plain.spawn.stdio).to.deep.equal(['ignore', 'ignore', 'pipe']);
    for (const run of runs.values()) {
      expect(run.spawn.argv, `${run.label}: argv`).to.deep.equal(plain.spawn.argv);
      expect(run.spawn.stdio, `${run.label}: stdio`).to.deep.equal(plain.spawn.stdio);
    }
    expect(runs.size).to.equal(3);
  });

  it('patched hosts load the plugin entry but none of tsyringe, reflect-metadata, koffi, ffi-rs (require.cache, /proc/self/maps)', () => {
    const pluginEntry = path.join(repoRoot(), 'dist', 'plugin', 'index.js');
    const livePath = path.join(repoRoot(), 'dist', 'plugin', 'live.js');
    for (const run of runs.values()) {
      expect(liveOnly(run.modules.requireCache), `${run.label}: require.cache`).to.deep.equal([]);
      expect(liveOnly(run.modules.mappedFiles), `${run.label}: mapped files`).to.deep.equal([]);
      expect(run.modules.requireCache, `${run.label}: live path`).to.not.include(livePath);
      if (run.label === 'unpatched') continue;
      // The check means something: the patched host did load the real plugin.
      expect(run.modules.requireCache, `${run.label}: plugin entry`).to.include(pluginEntry);
      const ours = run.modules.requireCache
        .filter((f) => [path.join('dist', 'plugin'), path.join('dist', 'src')].some((d) => f.startsWith(path.join(repoRoot(), d) + path.sep)))
        .map((f) => path.relative(repoRoot(), f));
      console.log(`      ${run.label}: package modules loaded: ${ours.join(', ')}`);
    }
  });

  it('control: the same checks do find the live path when AI_FRAME_EXPORT_ENABLED=true', async () => {
    const host = await HostProcess.spawn(true, { ...ENV_OFF(), AI_FRAME_EXPORT_ENABLED: 'true' });
    hosts.push(host);
    const modules = await host.modules();
    await host.close();
    const found = new Set(liveOnly(modules.requireCache).map((f) => LIVE_ONLY_PACKAGES.find((name) => f.includes(`${path.sep}${name}${path.sep}`))));
    expect([...found].sort()).to.include.members(['koffi', 'reflect-metadata', 'tsyringe']);
    expect(liveOnly(modules.mappedFiles).length, 'koffi native addon mapped').to.be.greaterThan(0);
    expect(modules.requireCache).to.include(path.join(repoRoot(), 'dist', 'plugin', 'live.js'));
    expect(fs.readdirSync(exportDir), 'no export before a camera starts').to.deep.equal([]);
  });
});
