/**
 * vas-frame-export/plugin: what VAS loads at its decode boundary.
 *
 * With AI_FRAME_EXPORT_ENABLED off (the default) this module loads only the dependency-free
 * config parser and the NOOP_HOOK constant: no tsyringe, no reflect-metadata, no koffi, no
 * ffi-rs, no file, no directory. The live path is required only when the flag is on.
 */
import { parseFrameExportConfig, type Env } from '../src/config/frame-export-config';
import type { DecodeBoundaryHook } from '../src/hook/decode-boundary-hook';
import { NOOP_HOOK } from '../src/hook/noop-hook';
import { ConsoleLogger, type Logger } from '../src/log/logger';

export { NOOP_HOOK };
export type { DecodeBoundaryHook, FfmpegTapOutput, SpawnedProcess } from '../src/hook/decode-boundary-hook';
export type { FrameGeometry } from '../src/layout/frame-export-layout';
export type { Frame, FrameMeta } from '../src/meta/frame-meta';
export type { Logger } from '../src/log/logger';

/**
 * Returns the hook for this environment: NOOP_HOOK when export is off or misconfigured (with
 * one log line saying which variable, what value, and what is accepted), else the live hook.
 * Never throws.
 */
export function loadDecodeBoundaryHook(env: Env = process.env, logger: Logger = new ConsoleLogger()): DecodeBoundaryHook {
  try {
    const result = parseFrameExportConfig(env);
    if (result.kind === 'disabled') {
      if (result.warning !== null) logger.warn(result.warning);
      return NOOP_HOOK;
    }
    if (result.kind === 'invalid') {
      logger.error(`${result.error}; frame export is off`);
      return NOOP_HOOK;
    }
    if (process.arch !== 'x64') {
      // JavaScript has no memory fence; the ring's seqlock is tear-free only where the CPU keeps
      // plain stores and loads in order around atomics (x86-64). Format spec section 5.3.
      logger.error(`frame export needs an x86-64 CPU (this is ${process.arch}): JavaScript atomics do not order ` +
        'the frame bytes around the ring\'s sequence counters here, so readers could see torn frames; frame export is off');
      return NOOP_HOOK;
    }
    const live = require('./live') as typeof import('./live');
    return live.createLiveHook(result.config, logger);
  } catch (error) {
    const message = (error as Error)?.message ?? String(error);
    logger.error(/frame export is off/.test(message) ? message : `frame export cannot start: ${message}; frame export is off`);
    return NOOP_HOOK;
  }
}
