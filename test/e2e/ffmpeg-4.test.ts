/**
 * An older FFmpeg as VAS's FFmpeg: the static FFmpeg 4.1 of the npm package
 * @ffmpeg-installer/linux-x64, which rejects `-fps_mode` (new in 5.1). The patched reference
 * host runs upstream VAS's command with that binary (AI_FRAME_EXPORT_FFMPEG names the same one)
 * against a real RTSP camera, into VAS's MediaSoup (real worker). The preflight adapts the tap
 * to `-vsync passthrough`: the camera's RTP keeps flowing to the viewers and its frames are
 * exported, verified by a reader process. Before the preflight, this FFmpeg exited at once
 * ("Unrecognized option 'fps_mode'"), and the camera's RTP and HLS with it.
 */
import { expect } from 'chai';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CameraSimulator } from '../fixtures/camera/camera-simulator';
import { CameraRoom } from '../fixtures/mediasoup/camera-room';
import type { VasMediasoupServer } from '../fixtures/mediasoup/vas-mediasoup-server';
import { expectGoodFrames } from './support/frame-checks';
import { HostProcess } from './support/host-client';
import { WatchReader, monotonicMs, sleep, waitFor } from './support/reader-client';
import { startVasMediasoup } from './support/sfu';

const FFMPEG_4 = require.resolve('@ffmpeg-installer/linux-x64/ffmpeg');
const CAMERA = { id: 'cam1', width: 640, height: 360, fps: 25 };
const SLOTS = 4;

describe('e2e: VAS running FFmpeg 4.1 (npm static) with the flag on', function () {
  this.timeout(120_000);
  const sim = new CameraSimulator();
  let server: VasMediasoupServer | null = null;
  let room: CameraRoom | null = null;
  let host: HostProcess | null = null;
  let watcher: WatchReader | null = null;
  let exportDir = '';
  let hlsRoot = '';

  before(async () => {
    exportDir = fs.mkdtempSync('/dev/shm/vas-e2e-ffmpeg4-');
    hlsRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'vas-e2e-ffmpeg4-hls-'));
    server = await startVasMediasoup();
    room = await CameraRoom.open(server, CAMERA.id, 1);
  });

  after(async () => {
    await host?.close();
    await watcher?.stop();
    await room?.close();
    server?.close();
    await sim.stop();
    if (exportDir) fs.rmSync(exportDir, { recursive: true, force: true });
    if (hlsRoot) fs.rmSync(hlsRoot, { recursive: true, force: true });
  });

  it('adapts the tap to -vsync: RTP flows to the viewer in every second and frames are exported', async () => {
    const [url] = await sim.start({ width: CAMERA.width, height: CAMERA.height, fps: CAMERA.fps, paths: [CAMERA.id] });
    host = await HostProcess.spawn(true, {
      AI_FRAME_EXPORT_ENABLED: 'true', AI_FRAME_EXPORT_DIR: exportDir, AI_FRAME_EXPORT_FFMPEG: FFMPEG_4,
      AI_FRAME_WIDTH: String(CAMERA.width), AI_FRAME_HEIGHT: String(CAMERA.height), AI_FRAME_BUFFER_CAPACITY: String(SLOTS),
    }, { hlsTimeSeconds: 2, ffmpegPath: FFMPEG_4 });
    watcher = await WatchReader.start(exportDir, [CAMERA.id]);
    const ingest = await room!.ingest();
    const rx = room!.viewers[0]!.rx;
    await host.start({ id: CAMERA.id, rtspUrl: url!, rtpPort: ingest.port, ssrc: ingest.ssrc, hlsDir: path.join(hlsRoot, CAMERA.id) });

    const spawned = await host.lastSpawn(CAMERA.id);
    expect(spawned!.argv[0]).to.equal(FFMPEG_4);
    expect(spawned!.argv).to.include('-vsync').and.not.to.include('-fps_mode');
    expect(host.log).to.include('does not know -fps_mode; the frame tap uses its equivalent -vsync passthrough');

    await rx.waitForPackets(1, 20_000).catch(async (error: unknown) => {
      throw new Error(`${String(error)}; ffmpeg: ${await host!.stderrTail(CAMERA.id)}`);
    });
    await waitFor('exported frames', 15_000, () => (watcher!.lastFrame(CAMERA.id) !== undefined ? true : undefined));
    rx.reset();
    const fromMs = monotonicMs();
    const perSecond: number[] = [];
    for (let second = 0; second < 3; second++) {
      const before = rx.stats().packets;
      await sleep(1000);
      perSecond.push(rx.stats().packets - before);
    }
    const frames = watcher.framesBetween(CAMERA.id, fromMs, monotonicMs());
    console.log(`      FFmpeg 4.1: RTP packets per second at the viewer ${perSecond.join(', ')}; frames read ${frames.length} in 3 s`);
    for (const count of perSecond) expect(count, 'RTP packets in every second').to.be.greaterThan(0);
    expect(await host.isRunning(CAMERA.id), 'FFmpeg 4.1 still running').to.equal(true);
    expectGoodFrames(frames, 'FFmpeg 4.1 export', { width: CAMERA.width, height: CAMERA.height }, SLOTS);
  });
});
