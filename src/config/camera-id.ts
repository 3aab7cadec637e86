/**
 * Camera ids become directory names under the export dir, so they are held to a strict pattern:
 * 1 to 64 characters of [A-Za-z0-9_.-], starting with a letter or digit, never containing "..".
 * That excludes "/", NUL, control characters, a leading dot and every path trick.
 */
export const CAMERA_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

/** Returns null when the id is acceptable, else a one-line reason. */
export function cameraIdProblem(cameraId: unknown): string | null {
  if (typeof cameraId !== 'string') return `camera id must be a string, got ${typeof cameraId}`;
  if (!CAMERA_ID_PATTERN.test(cameraId) || cameraId.includes('..')) {
    return `camera id ${JSON.stringify(cameraId).slice(0, 80)} is not accepted: use 1-64 characters of ` +
      `[A-Za-z0-9_.-], starting with a letter or digit, without ".."`;
  }
  return null;
}
