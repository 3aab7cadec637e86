/** Where the plugin's one-line messages go. VAS may register its own logger. */
export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

const PREFIX = '[vas-frame-export]';

export class ConsoleLogger implements Logger {
  info(message: string): void {
    process.stderr.write(`${PREFIX} info: ${message}\n`);
  }

  warn(message: string): void {
    process.stderr.write(`${PREFIX} warning: ${message}\n`);
  }

  error(message: string): void {
    process.stderr.write(`${PREFIX} error: ${message}\n`);
  }
}

/**
 * At most one line per key per interval, with the number of lines it held back. For bad input
 * that can arrive once per frame: VAS's log must not become the frame path.
 */
export class RateLimitedLog {
  private readonly lastAt = new Map<string, number>();
  private readonly held = new Map<string, number>();

  constructor(private readonly logger: Logger, private readonly intervalMs = 10_000) {}

  warn(key: string, message: () => string): void {
    const now = Date.now();
    const last = this.lastAt.get(key);
    if (last !== undefined && now - last < this.intervalMs) {
      this.held.set(key, (this.held.get(key) ?? 0) + 1);
      return;
    }
    const held = this.held.get(key) ?? 0;
    this.lastAt.set(key, now);
    this.held.delete(key);
    this.logger.warn(held > 0 ? `${message()} (${held} more like it since the last report)` : message());
  }
}
