/**
 * FFmpeg's raw-frame branch: the first video stream, decoded, scaled to the export geometry
 * (any camera size yields frames of exactly the configured size), limited-range NV12, one frame
 * after the other with no container, into the tap pipe at child fd `fd`.
 *
 * - passthrough: no frame is duplicated or dropped to fake a constant rate. FFmpeg 5.1 and later
 *   spell it `-fps_mode`, older ones `-vsync` (the preflight picks the one the binary accepts).
 * - `out_range=tv`: full-range cameras (yuvj) are converted to limited range, so every export
 *   has one range (recorded in the header). The matrix is deliberately not converted:
 *   swscale's YUV-to-YUV matrix conversion costs about 4x the scaling itself (measured with
 *   FFmpeg 5.1, 1080p to 720p) and FFmpeg 5.1 ignores the stream's own matrix tag when it does
 *   it; the frames keep the camera's matrix, which the header records from
 *   AI_FRAME_COLOR_MATRIX.
 */
export type FpsModeOption = '-fps_mode' | '-vsync';

export function ffmpegTapArgs(width: number, height: number, fd: number, fpsModeOption: FpsModeOption = '-fps_mode'): string[] {
  return [
    '-map', '0:v:0',
    fpsModeOption, 'passthrough',
    '-vf', `scale=${width}:${height}:flags=bilinear:out_range=tv,format=nv12`,
    '-pix_fmt', 'nv12',
    '-f', 'rawvideo',
    `pipe:${fd}`,
  ];
}
