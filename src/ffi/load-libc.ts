import type { FfiBackend } from '../config/frame-export-config';
import type { LibC } from './libc';

/**
 * One binding per backend per thread: module state is per thread (each worker has its own), and
 * a binding holds native resources for its thread's calls (ffi-rs a scratch page mapped once),
 * so a process that opens and closes readers all day must not make a new one each time.
 */
const loaded: Partial<Record<FfiBackend, LibC>> = {};

/** Loads the chosen backend; the native module is required only here, only when asked for. */
export function loadLibC(backend: FfiBackend): LibC {
  return loaded[backend] ??= create(backend);
}

function create(backend: FfiBackend): LibC {
  if (backend === 'ffi-rs') {
    const { FfiRsLibC } = require('./ffi-rs-libc') as typeof import('./ffi-rs-libc');
    return new FfiRsLibC();
  }
  const { KoffiLibC } = require('./koffi-libc') as typeof import('./koffi-libc');
  return new KoffiLibC();
}
