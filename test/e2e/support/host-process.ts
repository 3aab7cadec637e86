/**
 * The reference VAS host in a process of its own, driven over IPC by the end-to-end tests
 * (host-client.ts is the other side). The host is a separate process so that:
 *   - its main thread can be stalled (busy loop) while the RTP receiver, the readers and the
 *     test itself keep running and measuring elsewhere;
 *   - with the flag off, require.cache and /proc/self/maps show exactly what VAS loaded, with
 *     nothing the test runner loaded for other tests.
 *
 * Usage: node host-process.js patched|unpatched [--hls-time <s>] [--expose-hook] [--ffmpeg <binary>]
 *   (AI_FRAME_EXPORT_* come from the environment)
 *   --hls-time     RtspPipelineOptions.hlsTimeSeconds (a documented test-only difference)
 *   --ffmpeg       RtspPipelineOptions.ffmpegPath: the FFmpeg this VAS runs (default ffmpeg on PATH)
 *   --expose-hook  patched only: keep the hook the patched module loads, so that the
 *                  killTapThread request can end its tap thread (the plugin's own failure mode
 *                  "tap thread died"). Loads the plugin entry before the host module does.
 *
 * This file imports only node builtins and the host fixture (itself builtins only), so the
 * module list it reports is the host's own (without --expose-hook, it requires nothing else).
 */
import * as fs from 'node:fs';
import { prepareHost, type HostCamera, type PreparedHost, type RtspPipelineLike } from '../../fixtures/vas-host';

/** Parent -> host. `id` pairs a request with its reply. */
export type HostRequest =
  | { readonly id: number; readonly op: 'start'; readonly camera: HostCamera }
  | { readonly id: number; readonly op: 'stop'; readonly cameraId: string }
  | { readonly id: number; readonly op: 'stopAll' }
  | { readonly id: number; readonly op: 'lastSpawn'; readonly cameraId: string }
  | { readonly id: number; readonly op: 'isRunning'; readonly cameraId: string }
  | { readonly id: number; readonly op: 'stderrTail'; readonly cameraId: string }
  | { readonly id: number; readonly op: 'busy'; readonly ms: number }
  | { readonly id: number; readonly op: 'killTapThread' }
  | { readonly id: number; readonly op: 'modules' };

/** Host -> parent. */
export type HostMessage =
  | { readonly type: 'ready'; readonly pid: number; readonly dir: string }
  | { readonly type: 'reply'; readonly id: number; readonly ok: true; readonly value: unknown }
  | { readonly type: 'reply'; readonly id: number; readonly ok: false; readonly error: string };

/** What `modules` answers: everything this process has loaded. */
export interface LoadedModules {
  /** Keys of require.cache (absolute paths of every loaded JS file and native addon). */
  readonly requireCache: readonly string[];
  /** Files mapped into this process (/proc/self/maps): native addons show up here too. */
  readonly mappedFiles: readonly string[];
}

/** process.hrtime.bigint() as a decimal string (CLOCK_MONOTONIC ns, comparable across processes). */
function monotonicNs(): string {
  return process.hrtime.bigint().toString();
}

function send(message: HostMessage): void {
  process.send!(message);
}

function mappedFiles(): string[] {
  const files = new Set<string>();
  for (const line of fs.readFileSync('/proc/self/maps', 'utf8').split('\n')) {
    const file = line.split(/\s+/).slice(5).join(' ');
    if (file.startsWith('/')) files.add(file);
  }
  return [...files].sort();
}

const USAGE = 'usage: host-process.js patched|unpatched [--hls-time <s>] [--expose-hook] [--ffmpeg <binary>]\n';
const mode = process.argv[2];
const flags = process.argv.slice(3);
const hlsTimeAt = flags.indexOf('--hls-time');
const hlsTimeSeconds = hlsTimeAt < 0 ? undefined : Number(flags[hlsTimeAt + 1]);
const exposeHook = flags.includes('--expose-hook');
const ffmpegAt = flags.indexOf('--ffmpeg');
const ffmpegPath = ffmpegAt < 0 ? undefined : flags[ffmpegAt + 1];
if ((mode !== 'patched' && mode !== 'unpatched') || (hlsTimeSeconds !== undefined && !(hlsTimeSeconds > 0)) || (exposeHook && mode !== 'patched')) {
  process.stderr.write(USAGE);
  process.exit(2);
}

/** The live hook the patched module loaded (--expose-hook); its internals are reached as in test/integration/tap.test.ts. */
let exposedHook: unknown = null;

/**
 * Wraps the plugin's loadDecodeBoundaryHook before the host module loads, so the hook the
 * patched module creates is kept here. Same module instance: the host resolves the plugin
 * through the same symlink to the same real path.
 */
function captureHook(hostDir: string): void {
  const entry = require.resolve('vas-frame-export/plugin', { paths: [hostDir] });
  const plugin = require(entry) as { loadDecodeBoundaryHook: (...args: unknown[]) => unknown };
  const load = plugin.loadDecodeBoundaryHook;
  plugin.loadDecodeBoundaryHook = (...args: unknown[]) => (exposedHook = load(...args));
}

/** Ends the hook's tap thread (worker.terminate), as a crash of that thread would. */
async function killTapThread(): Promise<{ terminated: boolean }> {
  const worker = (exposedHook as { tap?: { worker?: { terminate(): Promise<number> } | null } } | null)?.tap?.worker;
  if (!worker) throw new Error('no tap thread to kill (host not started with --expose-hook, export off, or no camera running)');
  await worker.terminate();
  return { terminated: true };
}

let host: PreparedHost | null = null;
let pipeline: RtspPipelineLike | null = null;
let closing = false;

async function handle(request: HostRequest): Promise<unknown> {
  const p = pipeline!;
  switch (request.op) {
    case 'start': {
      const startedNs = monotonicNs();
      p.start(request.camera);
      return { startedNs, pid: p.lastSpawn(request.camera.id)?.pid };
    }
    case 'stop': {
      const startedNs = monotonicNs();
      await p.stop(request.cameraId);
      return { startedNs, stoppedNs: monotonicNs() };
    }
    case 'stopAll':
      await p.stopAll();
      return null;
    case 'lastSpawn':
      return p.lastSpawn(request.cameraId) ?? null;
    case 'isRunning':
      return p.isRunning(request.cameraId);
    case 'stderrTail':
      return p.stderrTail(request.cameraId);
    case 'busy': {
      // VAS's main thread stuck in synchronous work: no timer, no I/O callback, no message.
      const startedNs = monotonicNs();
      const until = Date.now() + request.ms;
      let spins = 0;
      while (Date.now() < until) spins++;
      return { startedNs, endedNs: monotonicNs(), spins };
    }
    case 'killTapThread':
      return killTapThread();
    case 'modules':
      return { requireCache: Object.keys(require.cache).sort(), mappedFiles: mappedFiles() } satisfies LoadedModules;
  }
}

async function shutdown(code: number): Promise<void> {
  if (closing) return;
  closing = true;
  try {
    await pipeline?.stopAll();
  } finally {
    host?.cleanup();
    process.exit(code);
  }
}

process.on('message', (request: HostRequest) => {
  handle(request).then(
    (value) => send({ type: 'reply', id: request.id, ok: true, value }),
    (error: unknown) => send({ type: 'reply', id: request.id, ok: false, error: (error as Error)?.stack ?? String(error) }),
  );
});
// The test process went away (or closed the channel): stop every FFmpeg, remove the copy.
process.on('disconnect', () => void shutdown(0));
process.on('SIGTERM', () => void shutdown(0));

try {
  host = prepareHost({ patched: mode === 'patched' });
  if (exposeHook) captureHook(host.dir);
  pipeline = host.load({
    ...(hlsTimeSeconds === undefined ? {} : { hlsTimeSeconds }),
    ...(ffmpegPath === undefined ? {} : { ffmpegPath }),
  });
  send({ type: 'ready', pid: process.pid, dir: host.dir });
} catch (error) {
  process.stderr.write(`host-process: ${(error as Error).stack ?? String(error)}\n`);
  host?.cleanup();
  process.exit(1);
}
