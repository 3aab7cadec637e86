/**
 * FFmpeg's raw-frame branch: the first video stream, decoded, scaled to the export geometry
 * (any camera size yields frames of exactly the configured size), NV12, one frame after the
 * other with no container, into the tap pipe at child fd `fd`. passthrough: no frame is
 * duplicated or dropped to fake a constant rate.
 */
export function ffmpegTapArgs(width: number, height: number, fd: number): string[] {
  return [
    '-map', '0:v:0',
    '-fps_mode', 'passthrough',
    '-vf', `scale=${width}:${height}:flags=bilinear,format=nv12`,
    '-pix_fmt', 'nv12',
    '-f', 'rawvideo',
    `pipe:${fd}`,
  ];
}
