import type { ExportMemory } from '../shm/export-memory';
import type { FrameRing } from '../ring/frame-ring';
import type { SlotReader } from '../reader/slot-reader';
import type { MetaView } from '../meta/meta-view';

/**
 * Who writes a camera's ring right now: the main thread (onFrame, heartbeats) or the tap
 * thread (FFmpeg pipe). Exactly one at any instant; hand-over is by message.
 */
export type RingOwner = 'main' | 'tap';

/** One camera's live export, as the hook tracks it on the main thread. */
export class CameraExport {
  owner: RingOwner = 'main';
  /** The tap pipes between ffmpegOutput and onProcessSpawned: [read end, write end] each. */
  pendingPipes: { readonly frames: [number, number]; readonly probe: [number, number] | null } | null = null;
  tapId = 0;
  /** The stream ended (or its tap failed): state IDLE until VAS restarts or stops the camera. */
  idle = false;

  constructor(
    readonly cameraId: string,
    readonly memory: ExportMemory,
    readonly meta: MetaView,
    public ring: FrameRing,
    readonly reader: SlotReader,
  ) {}
}
