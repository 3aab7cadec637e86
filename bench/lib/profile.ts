/** How much each item measures: --quick (about 4 minutes in all) or the full profile. */
export interface Profile {
  readonly name: 'quick' | 'full';
  /** off: repetitions, calls per side and repetition. */
  readonly offReps: number;
  readonly offCalls: number;
  /** floor: frames of the settling round, rounds, frames per round (30 fps). */
  readonly floorSettleFrames: number;
  readonly floorReps: number;
  readonly floorFrames: number;
  /** ffmpeg: on/off pairs per source, seconds of input (the first 2 are probed and dropped). */
  readonly ffmpegPairs: number;
  readonly ffmpegSeconds: number;
  /** scaling: camera counts, sweeps, warm-up and window frames (30 fps). */
  readonly scalingCameras: readonly number[];
  readonly scalingReps: number;
  readonly scalingWarmupFrames: number;
  readonly scalingWindowFrames: number;
  /** alloc: measured frames (100k in both), runs; memory: processes per side. */
  readonly allocFrames: number;
  readonly allocReps: number;
  readonly memoryReps: number;
}

export const QUICK: Profile = {
  name: 'quick', offReps: 7, offCalls: 1_000_000, floorSettleFrames: 450, floorReps: 7, floorFrames: 60,
  ffmpegPairs: 3, ffmpegSeconds: 6, scalingCameras: [1, 4], scalingReps: 1, scalingWarmupFrames: 150, scalingWindowFrames: 90,
  allocFrames: 100_000, allocReps: 1, memoryReps: 1,
};

export const FULL: Profile = {
  name: 'full', offReps: 21, offCalls: 3_000_000, floorSettleFrames: 900, floorReps: 15, floorFrames: 90,
  ffmpegPairs: 6, ffmpegSeconds: 10, scalingCameras: [1, 4, 8, 16, 32], scalingReps: 2, scalingWarmupFrames: 450, scalingWindowFrames: 300,
  allocFrames: 100_000, allocReps: 3, memoryReps: 3,
};
