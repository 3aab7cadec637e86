/**
 * Injection tokens of the live path, explicit and dependency-free (the plugin entry may import
 * this file without loading tsyringe).
 */
export const TOKENS = {
  Config: Symbol('vas-frame-export:Config'),
  LibC: Symbol('vas-frame-export:LibC'),
  Clock: Symbol('vas-frame-export:FrameClock'),
  WriterIdentity: Symbol('vas-frame-export:WriterIdentity'),
  MetaEncoder: Symbol('vas-frame-export:MetaEncoder'),
  SharedMemory: Symbol('vas-frame-export:SharedMemoryStore'),
  TapThread: Symbol('vas-frame-export:TapThread'),
  /** The tap arguments the preflighted FFmpeg accepts (ffmpeg-preflight.ts TapOptions). */
  TapOptions: Symbol('vas-frame-export:TapOptions'),
  Logger: Symbol('vas-frame-export:Logger'),
} as const;
