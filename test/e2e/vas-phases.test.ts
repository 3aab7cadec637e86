/**
 * VAS unaffected by the frame export, phase by phase, on a faithful VAS: the patched reference
 * host runs upstream VAS's FFmpeg command (decode once, libx264 RTP to MediaSoup with -ssrc and
 * pkt_size=1200, libx264 HLS with epoch numbering) against a real RTSP camera; its RTP goes into
 * a real mediasoup (VAS's server shape: comedia + rtcpMux PlainTransport, Producer with the SSRC)
 * and out to four viewers (Consumers on PlainTransports to local UDP sockets) and one browser
 * (headless Chromium on a WebRtcTransport: ICE, DTLS, SRTP). One run, in order:
 *
 *   off          a patched host with AI_FRAME_EXPORT_ENABLED unset (the baseline)
 *   on           a patched host with the export on, a reader process verifying every frame
 *   reader-stop  + a reader process SIGSTOPped with both export files mapped
 *   reader-kill  + a reader process killed -9 mid-read
 *   main-busy    + VAS's main thread busy-looping for 2 s
 *   tap-killed   + the plugin's tap thread ended (its pipe is then drained on the main thread)
 *
 * Each phase lasts PHASE_MS and checks, for each of the four viewers: packets in every 1 s
 * window; packets received equal to the packets the Producer received in the phase, within
 * VIEWER_TOLERANCE (the two counts are sampled a moment apart); the Producer's score equal to
 * the off phase's; new HLS segments listed in the playlist; and, where the export runs, every
 * exported frame with the camera's counter and colour bars (byte-exact pattern), none lost.
 * For the browser, from its own inbound-rtp stats (reported every 250 ms): frames decoded in
 * every 1 s window, no packet lost, and packets received equal to the Producer's within
 * BROWSER_TOLERANCE (its reports are 250 ms apart).
 * At the end of each host's run (FFmpeg stopped, nothing in flight) each viewer's total equals
 * the Producer's total exactly. A control phase (FFmpeg itself SIGSTOPped for 1.5 s) shows the
 * same measurements do catch a stalled stream.
 *
 * Test-only differences from upstream VAS: -hls_time 2 (upstream 6; see
 * test/fixtures/vas/upstream-ffmpeg-args.json) and those of the MediaSoup fixture
 * (test/fixtures/mediasoup/vas-mediasoup-server.ts: loopback, log level, no WebSocket).
 * No assertion is on speed: liveness and counts only; the figures are printed.
 */
import { expect } from 'chai';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CameraSimulator } from '../fixtures/camera/camera-simulator';
import { CameraRoom, type ProducerStreamStats } from '../fixtures/mediasoup/camera-room';
import { WebRtcViewer, chromiumMissing } from '../fixtures/mediasoup/webrtc-viewer';
import type { VasMediasoupServer } from '../fixtures/mediasoup/vas-mediasoup-server';
import { expectGoodFrames } from './support/frame-checks';
import { HostProcess } from './support/host-client';
import { hlsState, newlyListed } from './support/hls';
import { SpinReader, WatchReader, mappedExportFiles, monotonicMs, sleep, waitFor } from './support/reader-client';
import type { FrameLine } from './support/reader-process';
import { startVasMediasoup } from './support/sfu';
import { DATA_FILE_NAME, META_FILE_NAME } from '../../src/layout/frame-export-layout';

const CAMERA = { id: 'cam1', width: 640, height: 360, fps: 25 };
const GEOMETRY = { width: 640, height: 360 };
const SLOTS = 4;
const VIEWERS = 4;
/** Length of each phase, and of the windows every viewer must receive packets in. */
const PHASE_MS = 4000;
const WINDOW_MS = 1000;
/** -hls_time of the tests (upstream: 6; the one test-only difference in FFmpeg's argv). */
const HLS_TIME_S = 2;
/**
 * Largest difference allowed between a viewer's packets and the Producer's in one phase. The
 * Producer's count comes from getStats() over the worker's channel, the viewer's from its UDP
 * socket, read a moment apart at each end of the phase: a few packets (one frame is 1-3
 * packets at this size) can fall on either side. The end-of-run totals allow no difference.
 */
const VIEWER_TOLERANCE = 5;
/**
 * The same for the browser, whose counts come from reports 250 ms apart: up to 250 ms of packets
 * (about 9 at this stream's 33 packets/s) can fall on either side at each end of the phase.
 */
const BROWSER_TOLERANCE = 20;

interface ViewerFigures {
  readonly packets: number;
  readonly fewestInAWindow: number;
  readonly maxGapMs: number;
}

interface BrowserFigures {
  readonly packets: number;
  readonly lost: number;
  readonly framesDecoded: number;
  /** Fewest frames decoded in a 1 s window (from the reports around each window's ends). */
  readonly fewestFramesInAWindow: number;
}

interface PhaseFigures {
  readonly label: string;
  readonly ms: number;
  readonly producerPackets: number;
  readonly producerScore: number;
  readonly viewers: readonly ViewerFigures[];
  readonly browser: BrowserFigures | null;
  readonly hlsListed: readonly string[];
  readonly framesVerified: number | null;
  readonly tapLost: number | null;
}

function viewerFigures(arrivals: readonly number[], from: number, to: number): ViewerFigures {
  const windows = Math.floor((to - from) / WINDOW_MS);
  const counts = new Array<number>(windows).fill(0);
  for (const t of arrivals) {
    const w = Math.floor((t - from) / WINDOW_MS);
    if (w < windows) counts[w]!++;
  }
  let maxGapMs = 0;
  for (let i = 1; i < arrivals.length; i++) maxGapMs = Math.max(maxGapMs, arrivals[i]! - arrivals[i - 1]!);
  return { packets: arrivals.length, fewestInAWindow: Math.min(...counts), maxGapMs };
}

function browserFigures(viewer: WebRtcViewer, from: number, to: number): BrowserFigures | null {
  const at = (t: number): { packetsReceived: number; packetsLost: number; framesDecoded: number } =>
    viewer.sampleAt(t) ?? { packetsReceived: 0, packetsLost: 0, framesDecoded: 0 };
  const first = at(from);
  const last = at(to);
  let fewest = Infinity;
  for (let w = 0; w < Math.floor((to - from) / WINDOW_MS); w++) {
    fewest = Math.min(fewest, at(from + (w + 1) * WINDOW_MS).framesDecoded - at(from + w * WINDOW_MS).framesDecoded);
  }
  return {
    packets: last.packetsReceived - first.packetsReceived,
    lost: last.packetsLost - first.packetsLost,
    framesDecoded: last.framesDecoded - first.framesDecoded,
    fewestFramesInAWindow: fewest,
  };
}

function fmt(ms: number): string {
  return ms.toFixed(1);
}

describe('e2e: VAS unaffected, phase by phase (upstream FFmpeg command, real mediasoup, four viewers)', function () {
  this.timeout(240_000);
  const sim = new CameraSimulator();
  let url = '';
  let server: VasMediasoupServer | null = null;
  let room: CameraRoom | null = null;
  let exportDir = '';
  let scratch = '';
  let host: HostProcess | null = null;
  let browser: WebRtcViewer | null = null;
  let watcher: WatchReader | null = null;
  const spinners: SpinReader[] = [];
  const figures: PhaseFigures[] = [];
  const totals: string[] = [];
  let offScore: number | null = null;
  let hlsDir = '';

  before(async function () {
    const noBrowser = chromiumMissing();
    if (noBrowser !== null) throw new Error(`the browser viewer needs Chromium: ${noBrowser}`);
    server = await startVasMediasoup();
    exportDir = fs.mkdtempSync('/dev/shm/vas-e2e-phases-');
    scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'vas-e2e-phases-'));
    [url] = (await sim.start({ width: CAMERA.width, height: CAMERA.height, fps: CAMERA.fps, paths: [CAMERA.id] })) as [string];
    room = await CameraRoom.open(server, CAMERA.id, VIEWERS);
    watcher = await WatchReader.start(exportDir, [CAMERA.id]);
  });

  after(async () => {
    for (const spinner of spinners) await spinner.stop();
    await browser?.close();
    await host?.close();
    await watcher?.stop();
    await room?.close();
    server?.close();
    await sim.stop();
    if (exportDir) fs.rmSync(exportDir, { recursive: true, force: true });
    if (scratch) fs.rmSync(scratch, { recursive: true, force: true });
    if (figures.length > 0) {
      const lines = figures.map((f) => {
        const viewers = f.viewers.map((v, i) => `v${i + 1} ${v.packets} (min ${v.fewestInAWindow}/s, gap ${fmt(v.maxGapMs)} ms)`).join('; ');
        const exportText = f.framesVerified === null ? 'no export check' : `${f.framesVerified} frames verified, tap lost ${f.tapLost}`;
        const b = f.browser;
        const browserText = b === null ? '' : `; browser ${b.packets} packets (lost ${b.lost}), ${b.framesDecoded} frames decoded (min ${b.fewestFramesInAWindow}/s)`;
        return `${f.label.padEnd(12)} ${fmt(f.ms)} ms: producer ${f.producerPackets} packets, score ${f.producerScore}; ${viewers}${browserText}; ` +
          `HLS +${f.hlsListed.length} listed; ${exportText}`;
      });
      console.log(`\n    measured (phases, ${VIEWERS} viewers through mediasoup):\n${[...lines, ...totals].map((l) => `      ${l}`).join('\n')}\n`);
    }
  });

  /** A patched host with the flag on or off streams the camera into a fresh producer; waits until viewers, HLS (and export) run. */
  async function startHost(exportOn: boolean): Promise<void> {
    const env: Record<string, string> = {
      AI_FRAME_EXPORT_DIR: exportDir,
      AI_FRAME_WIDTH: String(GEOMETRY.width),
      AI_FRAME_HEIGHT: String(GEOMETRY.height),
      AI_FRAME_BUFFER_CAPACITY: String(SLOTS),
    };
    if (exportOn) env.AI_FRAME_EXPORT_ENABLED = 'true';
    host = await HostProcess.spawn(true, env, { hlsTimeSeconds: HLS_TIME_S, exposeHook: exportOn });
    hlsDir = path.join(scratch, exportOn ? 'hls-on' : 'hls-off');
    const ingest = await room!.ingest();
    browser = await WebRtcViewer.start(server!.router(CAMERA.id), ingest.producer.id);
    const startedAt = monotonicMs();
    await host.start({ id: CAMERA.id, rtspUrl: url, rtpPort: ingest.port, ssrc: ingest.ssrc, hlsDir });
    const h = host;
    const diagnostics = async (): Promise<string> => `mediasoup worker deaths: ${server!.deaths.join('; ') || 'none'}; ` +
      `browser: ${browser?.diagnostics()}; ffmpeg stderr: ${await h.stderrTail(CAMERA.id).catch(() => '?')}; host log: ${h.log}`;
    try {
      for (const viewer of room!.viewers) await viewer.rx.waitForPackets(30, 20_000);
      await browser.waitForFrames(30, 20_000);
      await waitFor('a first HLS segment in stream.m3u8', 20_000, () => (hlsState(hlsDir).listed.length >= 1 ? true : undefined));
      if (exportOn) await watcher!.waitForFrame(CAMERA.id, 20_000, () => true, startedAt);
    } catch (error) {
      throw new Error(`${String(error)}; ${await diagnostics()}`);
    }
  }

  /** Stops the camera; then, nothing in flight, every viewer's total equals the Producer's. */
  async function stopHostAndCompareTotals(label: string): Promise<void> {
    await host!.stop(CAMERA.id);
    await sleep(500);
    const producer = await room!.producerStats();
    const viewers = room!.viewers.map((v) => v.stats().packets);
    const lastReport = browser!.reports[browser!.reports.length - 1];
    totals.push(`${label} run totals: producer received ${producer.packetCount} (lost ${producer.packetsLost}); viewers ${viewers.join(', ')}; ` +
      `browser ${lastReport?.packetsReceived} packets (lost ${lastReport?.packetsLost}), ${lastReport?.framesDecoded} frames decoded ` +
      `(${lastReport?.frameWidth}x${lastReport?.frameHeight}), DTLS ${browser!.dtlsState}`);
    for (const [i, n] of viewers.entries()) expect(n, `${label}: viewer ${i + 1} total vs producer`).to.equal(producer.packetCount);
    await browser!.close();
    browser = null;
    await host!.close();
    host = null;
  }

  /** Runs one phase (`act` lasts PHASE_MS) and measures it; `exportFrames` says which export check applies. */
  async function measure(label: string, exportFrames: 'none' | 'all' | 'until-tap-killed', act: (from: number) => Promise<number | void>): Promise<PhaseFigures> {
    const hlsBefore = hlsState(hlsDir);
    room!.resetScores();
    const p0: ProducerStreamStats = await room!.producerStats();
    const from = monotonicMs();
    const killedAt = await act(from);
    const p1 = await room!.producerStats();
    const to = monotonicMs();
    const producerPackets = p1.packetCount - p0.packetCount;
    const scores = [p0.score, p1.score, ...(room!.lowestScore === null ? [] : [room!.lowestScore])];
    const producerScore = Math.min(...scores);
    const viewers = room!.viewers.map((v) => viewerFigures(v.rx.arrivalsBetween(from, to), from, to));
    // The browser's reports straddling the phase's end arrive up to 250 ms later.
    await sleep(300);
    const browserResult = browser === null ? null : browserFigures(browser, from, to);
    // Segments that closed during the phase; FFmpeg lists a segment when the next one starts.
    const hlsListed = await waitFor(`a new HLS segment listed (${label})`, 1000, () => {
      const fresh = newlyListed(hlsBefore, hlsState(hlsDir));
      return fresh.length > 0 ? fresh : undefined;
    }).catch(() => [] as string[]);

    let framesVerified: number | null = null;
    let tapLost: number | null = null;
    if (exportFrames !== 'none') {
      const frames: FrameLine[] = watcher!.framesBetween(CAMERA.id, from, to);
      const checked = exportFrames === 'all' ? frames : frames.filter((f) => f.ts < (killedAt as number));
      tapLost = expectGoodFrames(checked, `${label}: exported frames`, GEOMETRY, SLOTS);
      framesVerified = checked.length;
    }
    const result: PhaseFigures = {
      label, ms: to - from, producerPackets, producerScore, viewers, browser: browserResult, hlsListed, framesVerified, tapLost,
    };
    figures.push(result);
    return result;
  }

  /** A phase that must leave VAS unaffected: measures it, then checks the invariants of the header. */
  async function phase(label: string, exportFrames: 'none' | 'all' | 'until-tap-killed', act: (from: number) => Promise<number | void>): Promise<PhaseFigures> {
    const result = await measure(label, exportFrames, act);
    const { producerPackets, producerScore, viewers, hlsListed, tapLost } = result;
    expect(server!.deaths, 'mediasoup workers that died').to.deep.equal([]);
    expect(producerPackets, `${label}: packets the producer received`).to.be.greaterThan(0);
    for (const [i, v] of viewers.entries()) {
      expect(v.fewestInAWindow, `${label}: viewer ${i + 1}, fewest packets in a ${WINDOW_MS} ms window`).to.be.greaterThan(0);
      expect(Math.abs(v.packets - producerPackets), `${label}: viewer ${i + 1} got ${v.packets}, producer ${producerPackets}`)
        .to.be.at.most(VIEWER_TOLERANCE);
    }
    const b = result.browser!;
    const why = (): string => browser!.diagnostics();
    expect(b.fewestFramesInAWindow, `${label}: browser, fewest frames decoded in a ${WINDOW_MS} ms window (${why()})`).to.be.greaterThan(0);
    expect(b.lost, `${label}: packets the browser lost`).to.equal(0);
    expect(Math.abs(b.packets - producerPackets), `${label}: browser got ${b.packets}, producer ${producerPackets}`)
      .to.be.at.most(BROWSER_TOLERANCE);
    if (offScore === null) offScore = producerScore;
    else expect(producerScore, `${label}: producer score vs the off phase`).to.equal(offScore);
    expect(hlsListed.length, `${label}: HLS segments listed during the phase (or within 1 s after it)`).to.be.greaterThan(0);
    if (tapLost !== null) expect(tapLost, `${label}: frames lost by the tap`).to.equal(0);
    return result;
  }

  it('off: patched host, AI_FRAME_EXPORT_ENABLED unset; nothing exported', async () => {
    await startHost(false);
    await phase('off', 'none', () => sleep(PHASE_MS));
    expect(fs.readdirSync(exportDir), 'entries under AI_FRAME_EXPORT_DIR').to.deep.equal([]);
    await stopHostAndCompareTotals('off');
  });

  it('on: export running, every frame verified by a reader process', async () => {
    await startHost(true);
    await phase('on', 'all', () => sleep(PHASE_MS));
  });

  it('on + a reader process SIGSTOPped with both files mapped', async () => {
    const spinner = await SpinReader.start(exportDir, CAMERA.id);
    spinners.push(spinner);
    await phase('reader-stop', 'all', async () => {
      spinner.signal('SIGSTOP');
      const mapped = mappedExportFiles(spinner.pid, exportDir).map((f) => path.basename(f)).sort();
      expect(mapped, 'files the stopped reader has mapped').to.deep.equal([DATA_FILE_NAME, META_FILE_NAME]);
      await sleep(PHASE_MS);
      const state = fs.readFileSync(`/proc/${spinner.pid}/stat`, 'utf8').split(') ')[1]!.charAt(0);
      expect(state, 'the reader stayed stopped').to.be.oneOf(['T', 't']);
    });
    await spinner.stop();
  });

  it('on + a reader process killed -9 mid-read', async () => {
    const spinner = await SpinReader.start(exportDir, CAMERA.id);
    spinners.push(spinner);
    await phase('reader-kill', 'all', async (from) => {
      await sleep(300);
      spinner.signal('SIGKILL');
      await spinner.exited();
      expect(spinner.child.signalCode).to.equal('SIGKILL');
      await sleep(from + PHASE_MS - monotonicMs());
    });
  });

  it('on + VAS\'s main thread busy-looping for 2 s', async () => {
    let busy = { startedNs: 0n, endedNs: 0n };
    await phase('main-busy', 'all', async (from) => {
      await sleep(1000);
      busy = await host!.busy(2000);
      await sleep(from + PHASE_MS - monotonicMs());
    });
    const start = Number(busy.startedNs / 1000n) / 1000;
    const end = Number(busy.endedNs / 1000n) / 1000;
    expect(end - start, 'the stall lasted').to.be.at.least(1999);
    const committed = watcher!.framesOf(CAMERA.id).filter((f) => f.ts > start && f.ts < end);
    expect(committed.length, 'frames the tap thread committed while the main thread spun').to.be.greaterThan(1);
  });

  it('on + the tap thread killed: viewers and HLS go on, its pipe is drained', async () => {
    let killedAt = 0;
    await phase('tap-killed', 'until-tap-killed', async (from) => {
      await sleep(500);
      killedAt = monotonicMs();
      await host!.killTapThread();
      await sleep(from + PHASE_MS - monotonicMs());
      return killedAt;
    });
    await waitFor('the plugin to log the dead tap thread', 2000, () => (host!.log.includes('tap thread exited') ? true : undefined),
      () => host!.log);
    // The tap really is gone: nothing committed after it ended (plus one frame in flight).
    const after = watcher!.framesOf(CAMERA.id).filter((f) => f.ts > killedAt + 100);
    expect(after.map((f) => f.id), 'frames committed after the tap thread ended').to.deep.equal([]);
    expect(await host!.isRunning(CAMERA.id), 'FFmpeg still running').to.equal(true);
  });

  it('control: the same checks catch a stalled FFmpeg (SIGSTOPped for 1.9 s)', async () => {
    const pid = (await host!.lastSpawn(CAMERA.id))!.pid!;
    const stalled = await measure('control', 'none', async (from) => {
      // The windows are fixed, [from + k s, from + (k + 1) s): the stall must cover the second one
      // whole, with a margin at both ends for timer lateness (stopping at from + 1000 exactly let
      // a packet sent in the first milliseconds of that window through, 1 in about 10 runs).
      await sleep(800);
      process.kill(pid, 'SIGSTOP');
      try {
        await sleep(1900);
      } finally {
        process.kill(pid, 'SIGCONT');
      }
      await sleep(from + PHASE_MS - monotonicMs());
    });
    for (const [i, v] of stalled.viewers.entries()) {
      expect(v.fewestInAWindow, `viewer ${i + 1}: a ${WINDOW_MS} ms window without packets`).to.equal(0);
      expect(v.maxGapMs, `viewer ${i + 1}: largest gap`).to.be.at.least(1000);
    }
  });

  it('on run: with FFmpeg stopped, every viewer received exactly the packets the producer received', async () => {
    await stopHostAndCompareTotals('on');
  });
});
