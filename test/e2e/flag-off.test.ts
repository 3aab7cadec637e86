/**
 * End to end with the frame export OFF: the reference VAS host, unpatched and patched (with
 * AI_FRAME_EXPORT_ENABLED unset and =false), each in a fresh process of its own
 * (support/host-process.ts), streams the same RTSP camera with the same parameters. With the
 * flag off the patch must change nothing that can be observed:
 *   - FFmpeg's argv and stdio are identical to the unpatched host's;
 *   - nothing appears under AI_FRAME_EXPORT_DIR;
 *   - the host process never loads tsyringe, reflect-metadata, koffi or ffi-rs (require.cache
 *     and /proc/self/maps of the host process, which loaded nothing else);
 *   - the camera reaches a viewer through VAS's MediaSoup (real worker: PlainTransport with
 *     comedia + rtcpMux, Producer with FFmpeg's SSRC, a Consumer to a local socket), and HLS
 *     writes segments and its playlist.
 * Every run gets the same SSRC and PlainTransport port, so argv can be compared byte for byte.
 */
import { expect } from 'chai';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CameraSimulator } from '../fixtures/camera/camera-simulator';
import { CameraRoom, type Ingest } from '../fixtures/mediasoup/camera-room';
import type { VasMediasoupServer } from '../fixtures/mediasoup/vas-mediasoup-server';
import type { RtpStats } from '../fixtures/rtp-receiver';
import { repoRoot, type HostSpawnRecord } from '../fixtures/vas-host';
import { HostProcess } from './support/host-client';
import type { LoadedModules } from './support/host-process';
import { hlsState } from './support/hls';
import { waitFor } from './support/reader-client';
import { startVasMediasoup } from './support/sfu';

/** -hls_time of the tests (upstream: 6; test/fixtures/vas/upstream-ffmpeg-args.json). */
const HLS_TIME_S = 2;

/** Packages the live path needs; none may load with the flag off. */
const LIVE_ONLY_PACKAGES = ['tsyringe', 'reflect-metadata', 'koffi', 'ffi-rs'];

interface Run {
  readonly label: string;
  readonly spawn: HostSpawnRecord;
  readonly rtp: RtpStats;
  /** The payload type the viewer's consumer was given. */
  readonly consumerPayloadType: number;
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
  let server: VasMediasoupServer | null = null;
  let room: CameraRoom | null = null;
  let first: Ingest | null = null;
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
    server = await startVasMediasoup();
    room = await CameraRoom.open(server, 'cam1', 1);
  });

  after(async () => {
    for (const host of hosts) await host.close();
    await room?.close();
    server?.close();
    await sim.stop();
    if (exportDir) fs.rmSync(exportDir, { recursive: true, force: true });
    if (scratch) fs.rmSync(scratch, { recursive: true, force: true });
  });

  /** One host, one camera, the same parameters every time: stream, check RTP + HLS, stop. */
  async function stream(label: string, patched: boolean, env: Record<string, string>): Promise<Run> {
    fs.rmSync(hlsDir, { recursive: true, force: true });
    const host = await HostProcess.spawn(patched, env, { hlsTimeSeconds: HLS_TIME_S });
    hosts.push(host);
    // VAS's stop_stream closed the previous producer; the new one gets the same SSRC and port.
    const ingest = first === null ? (first = await room!.ingest()) : await room!.ingest({ ssrc: first.ssrc, port: first.port });
    const viewer = room!.viewers[0]!;
    await host.start({ id: 'cam1', rtspUrl: url, rtpPort: ingest.port, ssrc: ingest.ssrc, hlsDir });
    const spawn = (await host.lastSpawn('cam1'))!;
    const diagnostics = async (): Promise<string> => `ffmpeg stderr: ${await host.stderrTail('cam1')}; host log: ${host.log}`;
    await viewer.rx.waitForPackets(50, 15_000).catch(async (e: unknown) => {
      throw new Error(`${label}: ${String(e)}; ${await diagnostics()}`);
    });
    const hls = await waitFor(`${label}: 2 HLS segments in stream.m3u8`, 15_000, () => {
      const state = hlsState(hlsDir);
      return state.listed.length >= 2 ? state : undefined;
    });
    const playlist = fs.readFileSync(path.join(hlsDir, 'stream.m3u8'), 'utf8');
    expect(playlist, `${label}: playlist`).to.match(/^#EXTM3U/);
    const segments = hls.listed;
    const exportEntries = fs.readdirSync(exportDir);
    const modules = await host.modules();
    await host.stop('cam1');
    expect(await host.isRunning('cam1')).to.equal(false);
    expect(pidAlive(spawn.pid!), `${label}: FFmpeg exited`).to.equal(false);
    const rtp = viewer.stats();
    const consumerPayloadType = viewer.currentConsumer!.rtpParameters.codecs[0]!.payloadType;
    await host.close();
    const run: Run = { label, spawn, rtp, consumerPayloadType, segments, modules, exportEntries: [...exportEntries, ...fs.readdirSync(exportDir)] };
    runs.set(label, run);
    console.log(`      ${label}: ${rtp.packets} RTP packets at the viewer (${rtp.lost} lost, max gap ${rtp.maxGapMs.toFixed(1)} ms), ` +
      `HLS ${segments.join(',')}; ${modules.requireCache.length} modules loaded`);
    return run;
  }

  const ENV_OFF = (): Record<string, string> => ({
    AI_FRAME_EXPORT_DIR: exportDir,
    AI_FRAME_WIDTH: '320',
    AI_FRAME_HEIGHT: '240',
  });

  it('unpatched host: the camera at a viewer through mediasoup, HLS segments and playlist', async () => {
    const run = await stream('unpatched', false, ENV_OFF());
    expect(run.rtp.payloadTypes).to.deep.equal([run.consumerPayloadType]);
    expect(run.rtp.ssrcs).to.have.length(1);
    expect(run.modules.requireCache.filter((f) => f.includes('vas-frame-export') || f.startsWith(path.join(repoRoot(), 'dist', 'plugin')))).to.deep.equal([]);
  });

  for (const [label, flag] of [['patched, AI_FRAME_EXPORT_ENABLED unset', null], ['patched, AI_FRAME_EXPORT_ENABLED=false', 'false']] as const) {
    it(`${label}: RTP and HLS as before, no entry under the export dir`, async () => {
      const env = ENV_OFF();
      if (flag !== null) env.AI_FRAME_EXPORT_ENABLED = flag;
      const run = await stream(label, true, env);
      expect(run.rtp.payloadTypes).to.deep.equal([run.consumerPayloadType]);
      expect(run.rtp.ssrcs).to.have.length(1);
      expect(run.exportEntries, 'entries under AI_FRAME_EXPORT_DIR').to.deep.equal([]);
    });
  }

  it('patched hosts spawn FFmpeg with exactly the unpatched argv and stdio', () => {
    const plain = runs.get('unpatched')!;
    expect(plain.spawn.stdio).to.deep.equal(['ignore', 'pipe', 'pipe']);
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
