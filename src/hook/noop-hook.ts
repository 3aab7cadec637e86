import type { DecodeBoundaryHook, FfmpegTapOutput } from './decode-boundary-hook';

/** Nothing to add to FFmpeg: VAS's argv and stdio stay exactly as they were. */
export const EMPTY_TAP_OUTPUT: FfmpegTapOutput = Object.freeze({
  args: Object.freeze([]) as readonly string[],
  stdio: Object.freeze([]) as readonly number[],
});

/**
 * The hook VAS holds when frame export is off: a frozen constant whose methods do nothing,
 * create nothing and allocate nothing (ffmpegOutput returns the same frozen empty output).
 */
export const NOOP_HOOK: DecodeBoundaryHook = Object.freeze({
  onStreamStart(): void {},
  onFrame(): void {},
  onStreamStop(): void {},
  ffmpegOutput(): FfmpegTapOutput {
    return EMPTY_TAP_OUTPUT;
  },
  onProcessSpawned(): void {},
  latestFrame(): null {
    return null;
  },
  close(): void {},
});
