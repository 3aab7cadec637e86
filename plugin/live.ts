/**
 * The live path, wired with tsyringe. Loaded by plugin/index.ts only when the flag is on.
 * Every dependency has an explicit token (src/tokens.ts); a test swaps one registration, for
 * example TOKENS.SharedMemory for the in-memory stub, before resolving the hook.
 */
import 'reflect-metadata';
import { Lifecycle, container as rootContainer, instanceCachingFactory, type DependencyContainer } from 'tsyringe';
import { LibcFrameClock } from '../src/clock/frame-clock';
import type { FrameExportConfig } from '../src/config/frame-export-config';
import type { LibC } from '../src/ffi/libc';
import { loadLibC } from '../src/ffi/load-libc';
import { FrameExportHook } from '../src/hook/frame-export-hook';
import type { Logger } from '../src/log/logger';
import { MetaEncoder } from '../src/meta/meta-encoder';
import { ProcessWriterIdentity, type WriterIdentity } from '../src/meta/writer-identity';
import { ExportError } from '../src/shm/export-memory';
import { FileShmStore } from '../src/shm/file-shm-store';
import { preflightFfmpeg, type TapOptions } from '../src/tap/ffmpeg-preflight';
import { TapThread } from '../src/tap/tap-thread';
import { TOKENS } from '../src/tokens';

export { FrameExportHook, TOKENS };

export function createFrameExportContainer(config: FrameExportConfig, logger: Logger): DependencyContainer {
  const container = rootContainer.createChildContainer();
  container.register(TOKENS.Config, { useValue: config });
  container.register(TOKENS.Logger, { useValue: logger });
  container.register(TOKENS.LibC, { useFactory: instanceCachingFactory(() => loadLibC(config.ffi)) });
  container.register(TOKENS.Clock, {
    useFactory: instanceCachingFactory((c) => new LibcFrameClock(c.resolve<LibC>(TOKENS.LibC))),
  });
  container.register(TOKENS.WriterIdentity, { useClass: ProcessWriterIdentity }, { lifecycle: Lifecycle.ContainerScoped });
  container.register(TOKENS.MetaEncoder, {
    useFactory: instanceCachingFactory((c) => new MetaEncoder(c.resolve(TOKENS.Clock), c.resolve<WriterIdentity>(TOKENS.WriterIdentity))),
  });
  container.register(TOKENS.SharedMemory, { useClass: FileShmStore }, { lifecycle: Lifecycle.ContainerScoped });
  container.register(TOKENS.TapThread, { useClass: TapThread }, { lifecycle: Lifecycle.ContainerScoped });
  container.register(TOKENS.TapOptions, {
    useFactory: instanceCachingFactory((): TapOptions => {
      const verdict = preflightFfmpeg(config.ffmpeg, config.width, config.height);
      if (!verdict.accepted) throw new ExportError(verdict.message);
      if (verdict.fpsModeOption !== '-fps_mode') {
        logger.info(`${verdict.version} does not know -fps_mode; the frame tap uses its equivalent ${verdict.fpsModeOption} passthrough`);
      }
      if (!verdict.sourceProbe) logger.info(`${verdict.version} rejects the source probe output; exports will not record the cameras' own picture size`);
      return { fpsModeOption: verdict.fpsModeOption, sourceProbe: verdict.sourceProbe };
    }),
  });
  container.register(FrameExportHook, { useClass: FrameExportHook }, { lifecycle: Lifecycle.ContainerScoped });
  return container;
}

export function createLiveHook(config: FrameExportConfig, logger: Logger): FrameExportHook {
  const container = createFrameExportContainer(config, logger);
  // Resolved first so that their own one-line errors (an unknown export group, an FFmpeg that
  // rejects the tap's arguments) reach the log as they are, not wrapped in the container's
  // multi-line "cannot inject" message.
  // The preflight first: an FFmpeg that rejects the tap leaves no trace, not even the export dir.
  container.resolve(TOKENS.TapOptions);
  container.resolve(TOKENS.SharedMemory);
  return container.resolve(FrameExportHook);
}
