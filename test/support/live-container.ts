import { parseFrameExportConfig, type Env, type FrameExportConfig } from '../../src/config/frame-export-config';
import type { Logger } from '../../src/log/logger';

/** A Logger that keeps lines for assertions. */
export class MemoryLogger implements Logger {
  readonly lines: string[] = [];
  info(message: string): void {
    this.lines.push(`info: ${message}`);
  }
  warn(message: string): void {
    this.lines.push(`warning: ${message}`);
  }
  error(message: string): void {
    this.lines.push(`error: ${message}`);
  }
}

/** A valid enabled config from env overrides (throws if the env is not valid). */
export function enabledConfig(env: Env = {}): FrameExportConfig {
  const result = parseFrameExportConfig({ AI_FRAME_EXPORT_ENABLED: 'true', ...env });
  if (result.kind !== 'enabled') throw new Error(`test config not enabled: ${JSON.stringify(result)}`);
  return result.config;
}
