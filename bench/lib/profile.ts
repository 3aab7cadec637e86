/** How much each item measures: --quick (under a minute in all) or the full profile. */
export interface Profile {
  readonly name: 'quick' | 'full';
  /** Item 1: samples per side, calls per sample. */
  readonly offReps: number;
  readonly offCalls: number;
  readonly spawnCalls: number;
  /** Item 2: samples per side, frames per sample. */
  readonly tapReps: number;
  readonly tapFrames: number;
  /** Item 3. */
  readonly naiveReps: number;
  readonly naiveFrames: number;
  /** Item 4: camera counts, repetitions of the whole sweep, warm-up and measured window. */
  readonly scalingCameras: readonly number[];
  readonly scalingReps: number;
  readonly scalingWarmupMs: number;
  readonly scalingWindowMs: number;
  /** Window of the runs with the sleeping diagnostic reader. */
  readonly scalingQuietWindowMs: number;
  /** Item 5. */
  readonly readerReps: number;
  readonly readerCalls: number;
  /** Item 6: frames in the measured window (the prescribed 100k in both profiles). */
  readonly allocFrames: number;
  /** Item 7: processes per side. */
  readonly memoryReps: number;
}

export const QUICK: Profile = {
  name: 'quick',
  offReps: 7,
  offCalls: 1_000_000,
  spawnCalls: 100_000,
  tapReps: 5,
  tapFrames: 24,
  naiveReps: 5,
  naiveFrames: 10,
  scalingCameras: [1, 4],
  scalingReps: 1,
  scalingWarmupMs: 700,
  scalingWindowMs: 3000,
  scalingQuietWindowMs: 2000,
  readerReps: 5,
  readerCalls: 20,
  allocFrames: 100_000,
  memoryReps: 1,
};

export const FULL: Profile = {
  name: 'full',
  offReps: 21,
  offCalls: 3_000_000,
  spawnCalls: 300_000,
  tapReps: 15,
  tapFrames: 60,
  naiveReps: 15,
  naiveFrames: 30,
  scalingCameras: [1, 4, 8, 16, 32],
  scalingReps: 3,
  scalingWarmupMs: 2000,
  scalingWindowMs: 10_000,
  scalingQuietWindowMs: 6000,
  readerReps: 15,
  readerCalls: 40,
  allocFrames: 100_000,
  memoryReps: 3,
};
