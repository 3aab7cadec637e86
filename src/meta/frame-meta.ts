/** What a reader learns about one valid frame. u64 clock values are bigint: they exceed 2^53. */
export interface FrameMeta {
  readonly cameraId: string;
  readonly generation: bigint;
  readonly frameId: number;
  readonly timestampNs: bigint;
  readonly wallClockNs: bigint;
  readonly width: number;
  readonly height: number;
  readonly pixelFormat: 'NV12';
  /** [Y plane stride, UV plane stride] in bytes. */
  readonly strides: readonly [number, number];
  readonly uvOffset: number;
  /** The YUV matrix and range of the bytes (format spec 3.3); toRgb uses them. */
  readonly colorMatrix: 'bt709' | 'bt601';
  readonly colorRange: 'limited' | 'full';
  /** The camera's picture before scaling, for mapping detections back; 0 when not known. */
  readonly sourceWidth: number;
  readonly sourceHeight: number;
  readonly dataSize: number;
  readonly slot: number;
}

/** A valid frame: its meta and a copy of its NV12 bytes. */
export interface Frame {
  readonly meta: FrameMeta;
  readonly data: Uint8Array;
}
