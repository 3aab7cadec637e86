/**
 * BASELINE FOR BENCHMARKS ONLY. Not part of the product and not a supported way to export
 * frames: it is the naive design the shared-memory ring is compared with.
 *
 * The naive design: per frame, write the pixels to a temporary file and rename it over
 * `frame.data`, then write a small JSON meta file the same way and rename it over `frame.meta`.
 * Each rename is atomic, so a reader never sees a half-written file; but every frame allocates
 * and fills a new file's pages, and frees the previous file's, and a reader can still pair the
 * meta of one frame with the data of another.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export class NaiveFileExporter {
  private frameId = 0;
  private readonly cameraDir: string;
  private readonly dataPath: string;
  private readonly metaPath: string;
  private readonly dataTemp: string;
  private readonly metaTemp: string;

  constructor(dir: string, readonly cameraId: string, readonly width: number, readonly height: number) {
    this.cameraDir = path.join(dir, cameraId);
    fs.mkdirSync(this.cameraDir, { recursive: true, mode: 0o750 });
    this.dataPath = path.join(this.cameraDir, 'frame.data');
    this.metaPath = path.join(this.cameraDir, 'frame.meta');
    this.dataTemp = path.join(this.cameraDir, `.frame.data.${process.pid}.tmp`);
    this.metaTemp = path.join(this.cameraDir, `.frame.meta.${process.pid}.tmp`);
  }

  writeFrame(frame: Uint8Array): void {
    this.frameId++;
    fs.writeFileSync(this.dataTemp, frame, { mode: 0o640 });
    fs.renameSync(this.dataTemp, this.dataPath);
    const meta = {
      version: 1,
      camera_id: this.cameraId,
      frame_id: this.frameId,
      timestamp_ns: process.hrtime.bigint().toString(),
      wallclock_ms: Date.now(),
      width: this.width,
      height: this.height,
      pixel_format: 'NV12',
      data_size: frame.length,
    };
    fs.writeFileSync(this.metaTemp, JSON.stringify(meta), { mode: 0o640 });
    fs.renameSync(this.metaTemp, this.metaPath);
  }
}
