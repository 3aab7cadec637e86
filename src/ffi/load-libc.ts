import type { FfiBackend } from '../config/frame-export-config';
import type { LibC } from './libc';

/** Loads the chosen backend; the native module is required only here, only when asked for. */
export function loadLibC(backend: FfiBackend): LibC {
  if (backend === 'ffi-rs') {
    const { FfiRsLibC } = require('./ffi-rs-libc') as typeof import('./ffi-rs-libc');
    return new FfiRsLibC();
  }
  const { KoffiLibC } = require('./koffi-libc') as typeof import('./koffi-libc');
  return new KoffiLibC();
}
