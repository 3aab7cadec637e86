/**
 * Tests of the test fixtures alone (no plugin): the RTSP camera simulator and its frame
 * pattern, the RTP receiver, and the unpatched reference VAS host (upstream's FFmpeg command,
 * streaming into VAS's MediaSoup).
 */
import { expect } from 'chai';
import * as dgram from 'node:dgram';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CameraSimulator } from '../fixtures/camera/camera-simulator';
import { grabNv12Frames } from '../fixtures/camera/frame-grabber';
import {
  BAR_COLOURS,
  COUNTER_MODULUS,
  barColourMismatches,
  bandHeight,
  decodeFrameCounter,
  expectedBarIndexAt,
  renderPatternFrameNv12,
} from '../fixtures/camera/frame-pattern';
import { CameraRoom } from '../fixtures/mediasoup/camera-room';
import type { VasMediasoupServer } from '../fixtures/mediasoup/vas-mediasoup-server';
import { RtpReceiver } from '../fixtures/rtp-receiver';
import { prepareHost, upstreamArgvFor, upstreamFfmpegArgs, type PreparedHost, type RtspPipelineLike } from '../fixtures/vas-host';
import { hlsState } from './support/hls';
import { startVasMediasoup } from './support/sfu';

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `probe` every 100 ms until it returns a value other than undefined. */
async function waitFor<T>(what: string, timeoutMs: number, probe: () => T | undefined): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(100);
  }
}

/** -hls_time of the tests (upstream: 6; upstream-ffmpeg-args.json, test_only_differences). */
const HLS_TIME_S = 2;

/** YYYYMMDD, local time: the recording's date directory. */
function localDate(): string {
  const d = new Date();
  return `${d.getFullYear()}${String(d.getMonth() + 1).padStart(2, '0')}${String(d.getDate()).padStart(2, '0')}`;
}

/**
 * Counters of frames re-encoded at a higher rate than the camera's: all readable, each the
 * same as the previous (a repeated frame) or the next, and advancing overall.
 */
function expectInOrder(counters: Array<number | null>): void {
  expect(counters, `unreadable counter in ${counters.join(',')}`).to.not.include(null);
  const steps = counters.slice(1).map((c, i) => (c! - counters[i]! + COUNTER_MODULUS) % COUNTER_MODULUS);
  for (const step of steps) expect(step, `counters ${counters.join(',')}`).to.be.oneOf([0, 1]);
  expect(steps.filter((s) => s === 1).length, `counters ${counters.join(',')}`).to.be.greaterThan(steps.length / 2);
}

/** Counters of a run of decoded frames must be consecutive (mod 2^20) and all readable. */
function expectConsecutive(counters: Array<number | null>): void {
  expect(counters, `unreadable counter in ${counters.join(',')}`).to.not.include(null);
  for (let i = 1; i < counters.length; i++) {
    const step = (counters[i]! - counters[i - 1]! + COUNTER_MODULUS) % COUNTER_MODULUS;
    expect(step, `counters ${counters.join(',')}`).to.equal(1);
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('fixtures: frame pattern (pure TypeScript)', () => {
  it('renders frames whose counter decodes back, at several sizes and values', () => {
    for (const [w, h] of [[48, 48], [96, 54], [640, 360], [1280, 720], [642, 362]] as const) {
      for (const n of [0, 1, 2, 255, 4096, 123456, COUNTER_MODULUS - 1]) {
        expect(decodeFrameCounter(renderPatternFrameNv12(n, w, h), w, h), `${n} at ${w}x${h}`).to.equal(n);
      }
      expect(barColourMismatches(renderPatternFrameNv12(7, w, h), w, h, 0)).to.deep.equal([]);
    }
    expect(decodeFrameCounter(renderPatternFrameNv12(COUNTER_MODULUS + 5, 96, 54), 96, 54)).to.equal(5);
  });

  it('rejects uniform, flipped-bit and grey bands', () => {
    const w = 640;
    const h = 360;
    const black = new Uint8Array((w * h * 3) / 2).fill(16);
    const white = new Uint8Array((w * h * 3) / 2).fill(235);
    const grey = new Uint8Array((w * h * 3) / 2).fill(128);
    expect(decodeFrameCounter(black, w, h)).to.equal(null);
    expect(decodeFrameCounter(white, w, h)).to.equal(null);
    expect(decodeFrameCounter(grey, w, h)).to.equal(null);
    // Flip each block of the band in turn: the check nibble must reject every single error.
    const base = renderPatternFrameNv12(0x5a5a5, w, h);
    for (let j = 0; j < 24; j++) {
      const f = base.slice();
      const x0 = Math.floor((j * w) / 24);
      const x1 = Math.floor(((j + 1) * w) / 24);
      for (let y = 0; y < bandHeight(h); y++) {
        for (let x = x0; x < x1; x++) f[y * w + x] = f[y * w + x] === 235 ? 16 : 235;
      }
      expect(decodeFrameCounter(f, w, h), `block ${j} flipped`).to.equal(null);
    }
  });

  it('maps columns to bars and knows the 8 colours', () => {
    expect(BAR_COLOURS.map((c) => c.name)).to.deep.equal(['white', 'yellow', 'cyan', 'green', 'magenta', 'red', 'blue', 'black']);
    expect(expectedBarIndexAt(0, 640)).to.equal(0);
    expect(expectedBarIndexAt(79, 640)).to.equal(0);
    expect(expectedBarIndexAt(80, 640)).to.equal(1);
    expect(expectedBarIndexAt(639, 640)).to.equal(7);
    expect(() => expectedBarIndexAt(640, 640)).to.throw(RangeError);
  });
});

describe('fixtures: RTSP camera simulator', function () {
  this.timeout(60000);
  const simA = new CameraSimulator();
  const simB = new CameraSimulator();
  let urlsA: string[] = [];
  let urlsB: string[] = [];

  before(async () => {
    urlsA = await simA.start({ width: 640, height: 360, fps: 25, paths: ['cam1', 'cam2'] });
    urlsB = await simB.start({ width: 320, height: 240, fps: 15, paths: ['cam3', 'cam4'] });
  });

  after(async () => {
    await simA.stop();
    await simB.stop();
  });

  it('serves RTSP that ffmpeg decodes: consecutive counters and the right bars at native size', async () => {
    expect(urlsA).to.deep.equal([simA.urlFor('cam1'), simA.urlFor('cam2')]);
    expect(urlsA[0]).to.match(/^rtsp:\/\/127\.0\.0\.1:\d+\/cam1$/);
    const frames = await grabNv12Frames({ url: urlsA[0]!, width: 640, height: 360, frames: 30 });
    expect(frames).to.have.length(30);
    expectConsecutive(frames.map((f) => decodeFrameCounter(f, 640, 360)));
    for (const f of frames) expect(barColourMismatches(f, 640, 360)).to.deep.equal([]);
  });

  it('keeps counters and bars readable when ffmpeg scales to another size', async () => {
    for (const [w, h] of [[320, 180], [1280, 720], [96, 54]] as const) {
      const frames = await grabNv12Frames({ url: urlsA[1]!, width: w, height: h, frames: 30 });
      expectConsecutive(frames.map((f) => decodeFrameCounter(f, w, h)));
      for (const f of frames) expect(barColourMismatches(f, w, h), `${w}x${h}`).to.deep.equal([]);
    }
  });

  it('serves 4 cameras of 2 sizes at once, each path with its own increasing counter', async () => {
    const specs = [
      { url: urlsA[0]!, width: 640, height: 360 },
      { url: urlsA[1]!, width: 640, height: 360 },
      { url: urlsB[0]!, width: 320, height: 240 },
      { url: urlsB[1]!, width: 320, height: 240 },
    ];
    const runs = await Promise.all(specs.map((s) => grabNv12Frames({ ...s, frames: 20 })));
    runs.forEach((frames, i) => {
      const { width, height } = specs[i]!;
      expectConsecutive(frames.map((f) => decodeFrameCounter(f, width, height)));
      expect(barColourMismatches(frames[frames.length - 1]!, width, height)).to.deep.equal([]);
    });
  });

  it('continues a path counter across client reconnections', async () => {
    const first = await grabNv12Frames({ url: urlsB[0]!, width: 320, height: 240, frames: 5 });
    const second = await grabNv12Frames({ url: urlsB[0]!, width: 320, height: 240, frames: 5 });
    const last = decodeFrameCounter(first[4]!, 320, 240)!;
    const next = decodeFrameCounter(second[0]!, 320, 240)!;
    expect(next).to.be.greaterThan(last);
  });

  it('restarts on the same port and stops cleanly on SIGTERM', async () => {
    const sim = new CameraSimulator();
    try {
      const [url] = await sim.start({ width: 160, height: 120, fps: 10, paths: ['x'] });
      const port = sim.port;
      await sim.stop();
      expect(sim.lastExit).to.deep.equal({ code: 0, signal: null });
      expect(sim.running).to.equal(false);
      const [again] = await sim.start({ width: 160, height: 120, fps: 10, paths: ['x'], port });
      expect(again).to.equal(url);
      const frames = await grabNv12Frames({ url: again!, width: 160, height: 120, frames: 3 });
      expect(decodeFrameCounter(frames[2]!, 160, 120)).to.not.equal(null);
    } finally {
      await sim.stop();
    }
  });
});

describe('fixtures: RtpReceiver', () => {
  const rx = new RtpReceiver();
  let sender: dgram.Socket;

  before(async () => {
    await rx.start();
    sender = dgram.createSocket('udp4');
  });

  after(async () => {
    sender.close();
    await rx.stop();
  });

  function rtp(seq: number, ssrc: number, pt = 96): Buffer {
    const b = Buffer.alloc(20);
    b[0] = 0x80;
    b[1] = pt;
    b.writeUInt16BE(seq & 0xffff, 2);
    b.writeUInt32BE(ssrc >>> 0, 8);
    return b;
  }

  function send(b: Buffer): Promise<void> {
    return new Promise((resolve, reject) => sender.send(b, rx.port, '127.0.0.1', (err) => (err ? reject(err) : resolve())));
  }

  it('tracks loss, reordering and the 16-bit wrap, ignores RTCP and times gaps', async () => {
    rx.reset();
    for (const seq of [65534, 65535, 0, 1, 3]) await send(rtp(seq, 0x1234));
    await rx.waitForPackets(5, 2000);
    let s = rx.stats();
    expect(s.packets).to.equal(5);
    expect(s.lost).to.equal(1); // 2 is missing
    expect(s.outOfOrder).to.equal(0);
    await sleep(150);
    await send(rtp(2, 0x1234)); // late, fills the hole
    await send(Buffer.from([0x80, 200, 0, 6, 0, 0, 0, 0])); // RTCP SR: ignored
    await send(rtp(500, 0xbeef, 97)); // FFmpeg restart: new SSRC, new random sequence
    await send(rtp(501, 0xbeef, 97));
    await rx.waitForPackets(8, 2000);
    await waitFor('the RTCP datagram', 2000, () => (rx.stats().ignored === 1 ? true : undefined));
    s = rx.stats();
    expect(s.lost).to.equal(0);
    expect(s.outOfOrder).to.equal(1);
    expect(s.ignored).to.equal(1);
    expect(s.ssrcs).to.deep.equal([0x1234, 0xbeef]);
    expect(s.payloadTypes).to.have.members([96, 97]);
    expect(s.maxGapMs).to.be.at.least(100);
    expect(s.bytes).to.equal(8 * 20);
  });

  it('acceptOnly counts one SSRC (a consumer\'s, not mediasoup\'s probation SSRC); arrivals are timed', async () => {
    rx.reset();
    rx.acceptOnly(0xcafe);
    const before = Number(process.hrtime.bigint() / 1000n) / 1000;
    for (const seq of [10, 11]) await send(rtp(seq, 0xcafe));
    await send(rtp(7, 1234, 127));
    await rx.waitForPackets(2, 2000);
    await waitFor('the probation packet', 2000, () => (rx.stats().otherSsrc === 1 ? true : undefined));
    const after = Number(process.hrtime.bigint() / 1000n) / 1000;
    const s = rx.stats();
    expect([s.packets, s.otherSsrc, s.lost]).to.deep.equal([2, 1, 0]);
    expect(s.ssrcs).to.deep.equal([0xcafe]);
    expect(rx.arrivalsBetween(before, after + 1)).to.have.length(2);
    expect(rx.arrivalsBetween(after + 1, after + 2)).to.deep.equal([]);
    rx.acceptOnly(null);
  });

  it('rejects waitForPackets on timeout', async () => {
    rx.reset();
    let err: unknown = null;
    await rx.waitForPackets(1, 200).catch((e: unknown) => {
      err = e;
    });
    expect(String(err)).to.match(/only 0\/1 RTP packets/);
  });
});

describe('fixtures: reference VAS host (unpatched)', function () {
  this.timeout(90000);
  const sim = new CameraSimulator();
  let server: VasMediasoupServer | null = null;
  let room: CameraRoom | null = null;
  let host: PreparedHost | null = null;
  let pipeline: RtspPipelineLike | null = null;
  let shortHls: RtspPipelineLike | null = null;
  let tmp = '';
  let url = '';

  before(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vas-fixture-e2e-'));
    [url] = (await sim.start({ width: 640, height: 360, fps: 25, paths: ['cam1'] })) as [string];
    host = prepareHost({ patched: false });
    pipeline = host.load();
    shortHls = host.load({ hlsTimeSeconds: HLS_TIME_S });
  });

  after(async () => {
    await pipeline?.stopAll();
    await shortHls?.stopAll();
    await room?.close();
    server?.close();
    await sim.stop();
    host?.cleanup();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('compiles without any reference to vas-frame-export', () => {
    const js = fs.readFileSync(path.join(host!.dir, 'dist', 'pipeline', 'rtsp-pipeline.js'), 'utf8');
    expect(js).to.not.include('vas-frame-export');
  });

  it('spawns upstream VAS\'s FFmpeg command, argument for argument (test/fixtures/vas/upstream-ffmpeg-args.json)', async () => {
    const camera = { id: 'argv', rtspUrl: 'rtsp://127.0.0.1:1/none', rtpPort: 5004, ssrc: 0xdeadbeef, hlsDir: path.join(tmp, 'rec-argv') };
    pipeline!.start(camera);
    const spawned = pipeline!.lastSpawn('argv')!;
    await pipeline!.stop('argv');
    expect(spawned.argv).to.deep.equal(upstreamArgvFor(camera, localDate()));
    // The SSRC goes to FFmpeg signed, as upstream converts it (0xdeadbeef - 2^32).
    expect(spawned.argv[spawned.argv.indexOf('-ssrc') + 1]).to.equal('-559038737');
    expect(spawned.stdio).to.deep.equal(upstreamFfmpegArgs().stdio.reference_host);
    expect(spawned.stdio).to.deep.equal(['ignore', 'pipe', 'pipe']);
  });

  it('without an SSRC, leaves -ssrc out as upstream does', async () => {
    const camera = { id: 'argv-nossrc', rtspUrl: 'rtsp://127.0.0.1:1/none', rtpPort: 5006, hlsDir: path.join(tmp, 'rec-nossrc') };
    pipeline!.start(camera);
    const spawned = pipeline!.lastSpawn('argv-nossrc')!;
    await pipeline!.stop('argv-nossrc');
    expect(spawned.argv).to.not.include('-ssrc');
    expect(spawned.argv).to.deep.equal(upstreamArgvFor(camera, localDate()));
  });

  it('differs from upstream in the tests only by the documented test-only differences', async () => {
    const differences = upstreamFfmpegArgs().test_only_differences;
    expect(differences.map((d) => d.argument)).to.deep.equal(['-hls_time']);
    const camera = { id: 'argv-short', rtspUrl: 'rtsp://127.0.0.1:1/none', rtpPort: 5008, ssrc: 42, hlsDir: path.join(tmp, 'rec-short') };
    shortHls!.start(camera);
    const spawned = shortHls!.lastSpawn('argv-short')!;
    await shortHls!.stop('argv-short');
    const overrides = Object.fromEntries(differences.map((d) => [d.argument, d.end_to_end_tests]));
    expect(overrides).to.deep.equal({ '-hls_time': String(HLS_TIME_S) });
    expect(spawned.argv).to.deep.equal(upstreamArgvFor(camera, localDate(), overrides));
    const plain = upstreamArgvFor(camera, localDate());
    expect(spawned.argv.filter((a, i) => a !== plain[i])).to.deep.equal([String(HLS_TIME_S)]);
  });

  it('streams the camera through VAS\'s MediaSoup to a viewer and records HLS with epoch numbering', async () => {
    server = await startVasMediasoup();
    room = await CameraRoom.open(server, 'cam1', 1);
    const ingest = await room.ingest();
    const viewer = room.viewers[0]!;
    const hlsDir = path.join(tmp, 'rec-cam1');
    const startedEpoch = Math.floor(Date.now() / 1000);
    shortHls!.start({ id: 'cam1', rtspUrl: url, rtpPort: ingest.port, ssrc: ingest.ssrc, hlsDir });
    const pid = shortHls!.lastSpawn('cam1')!.pid!;
    expect(pid).to.be.a('number');
    const stats = await viewer.rx.waitForPackets(50, 15000).catch((e: unknown) => {
      throw new Error(`${String(e)}; ffmpeg stderr: ${shortHls!.stderrTail('cam1')}`);
    });
    expect(stats.lost, 'packets lost on the way to the viewer').to.equal(0);
    const producer = await room.producerStats();
    expect(producer.packetCount, 'packets the producer received').to.be.at.least(50);
    expect(producer.score, 'producer score').to.equal(10);

    // Segments close every HLS_TIME_S s (key frames every 2 s: -g 60 at -r 30).
    const hls = await waitFor('2 HLS segments in stream.m3u8', 20000, () => {
      const state = hlsState(hlsDir);
      return state.listed.length >= 2 ? state : undefined;
    });
    const day = localDate();
    for (const seg of hls.listed) {
      expect(hls.files, 'listed segments are on disk under <YYYYMMDD>/').to.include(path.join(day, seg));
      const n = Number(/^segment-(\d+)\.ts$/.exec(seg)?.[1]);
      expect(n, `${seg}: numbered from the epoch second FFmpeg started`).to.be.within(startedEpoch - 1, startedEpoch + 60);
    }

    // The recording is the camera re-encoded at -r 30 from 25 fps: its frames carry the
    // camera's counters in order, some shown twice, none skipped.
    const frames = await grabNv12Frames({ url: path.join(hlsDir, day, hls.listed[0]!), width: 320, height: 180, frames: 20 });
    expectInOrder(frames.map((f) => decodeFrameCounter(f, 320, 180)));

    await shortHls!.stop('cam1');
    expect(shortHls!.isRunning('cam1')).to.equal(false);
    expect(pidAlive(pid)).to.equal(false);
    // After the stop nothing more arrives.
    const after = viewer.stats().packets;
    await sleep(300);
    expect(viewer.stats().packets).to.equal(after);
  });
});
