import { createFrameExportContainer, FrameExportHook, TOKENS } from '../../plugin/live';
import type { Env } from '../../src/config/frame-export-config';
import { FakeClock, FixedWriterIdentity } from './fake-clock';
import { enabledConfig, MemoryLogger } from './live-container';
import { MemoryShmStore } from './memory-shm-store';

/**
 * The live hook exactly as plugin/live.ts wires it, with the stubbed shared memory registered
 * in place of the file store (and, unless `realClock`, a fake clock and identity).
 */
export function createStubbedHook(env: Env = {}, realClock = false) {
  const logger = new MemoryLogger();
  const container = createFrameExportContainer(enabledConfig({ AI_FRAME_WIDTH: '64', AI_FRAME_HEIGHT: '32', ...env }), logger);
  const store = new MemoryShmStore();
  const clock = new FakeClock();
  container.register(TOKENS.SharedMemory, { useValue: store });
  if (!realClock) {
    container.register(TOKENS.Clock, { useValue: clock });
    container.register(TOKENS.WriterIdentity, { useValue: new FixedWriterIdentity() });
  }
  const hook = container.resolve(FrameExportHook);
  return { hook, store, clock, logger };
}
