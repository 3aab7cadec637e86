/**
 * The outputs the tap adds to VAS's FFmpeg, after VAS's own.
 *
 * Frames, into the tap pipe at child fd `fd`: the first video stream, decoded, scaled to the
 * export geometry (any camera size yields frames of exactly the configured size),
 * limited-range NV12, one frame after the other with no container.
 * - passthrough: no frame is duplicated or dropped to fake a constant rate. FFmpeg 5.1 and later
 *   spell it `-fps_mode`, older ones `-vsync` (the preflight picks the one the binary accepts).
 * - `out_range=tv`: full-range cameras (yuvj) are converted to limited range, so every export
 *   has one range (recorded in the header). The matrix is deliberately not converted:
 *   swscale's YUV-to-YUV matrix conversion costs about 4x the scaling itself (measured with
 *   FFmpeg 5.1, 1080p to 720p) and FFmpeg 5.1 ignores the stream's own matrix tag when it does
 *   it; the frames keep the camera's matrix, which the header records from
 *   AI_FRAME_COLOR_MATRIX.
 *
 * Source probe, into child fd `probeFd` (optional): the camera's picture size before scaling,
 * for readers to map detections back. FFmpeg reports it nowhere else but its log (VAS's stderr).
 * One decoded picture, once per FFmpeg start, reduced to two grey rows whose YUV4MPEG2 header
 * carries the width as `W<width>` and the height as the pixel aspect ratio `A1:<height>`
 * (setsar before the crop; max=65535 keeps 1/height exact). About 2 x width bytes in all.
 * `select=eq(n,0)` comes first because FFmpeg (4.1 and 5.1) goes on feeding every decoded
 * picture into the filter graph of an output that `-frames:v 1` has finished: without it the
 * grey conversion ran on every frame (measured: +1.2 s of CPU for 300 1080p frames, about 4 ms
 * a frame; with it, within noise).
 */
export type FpsModeOption = '-fps_mode' | '-vsync';

export function ffmpegTapArgs(width: number, height: number, fd: number, fpsModeOption: FpsModeOption, probeFd: number | null): string[] {
  const frames = [
    '-map', '0:v:0',
    fpsModeOption, 'passthrough',
    '-vf', `scale=${width}:${height}:flags=bilinear:out_range=tv,format=nv12`,
    '-pix_fmt', 'nv12',
    '-f', 'rawvideo',
    `pipe:${fd}`,
  ];
  if (probeFd === null) return frames;
  return [
    ...frames,
    '-map', '0:v:0',
    '-frames:v', '1',
    '-vf', 'select=eq(n\\,0),setsar=r=1/h:max=65535,format=gray,crop=iw:2:0:0',
    '-strict', '-1',
    '-f', 'yuv4mpegpipe',
    `pipe:${probeFd}`,
  ];
}

/** The source geometry from the probe output's YUV4MPEG2 header line, or null. */
export function parseSourceProbe(headerLine: string): { width: number; height: number } | null {
  const match = /^YUV4MPEG2 .*\bW([0-9]{1,5}) .*\bA1:([0-9]{1,5})\b/.exec(headerLine);
  if (match === null) return null;
  const width = Number(match[1]);
  const height = Number(match[2]);
  return width > 0 && width <= 65535 && height > 0 && height <= 65535 ? { width, height } : null;
}
