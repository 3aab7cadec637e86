/*
 * The C reader's colour conversion (vas_frames_nv12_to_rgb24) on one tightly packed NV12 file.
 * Usage: nv12_to_rgb <in.nv12> <out.rgb> <width> <height> <color_matrix> <color_range>
 */
#include "vas_frames.h"

int main(int argc, char **argv) {
    if (argc != 7) return 2;
    const uint32_t width = (uint32_t)strtoul(argv[3], NULL, 10), height = (uint32_t)strtoul(argv[4], NULL, 10);
    const size_t in_len = (size_t)width * height * 3u / 2u, out_len = (size_t)width * height * 3u;
    unsigned char *in = malloc(in_len), *out = malloc(out_len);
    FILE *f = fopen(argv[1], "rb");
    if (in == NULL || out == NULL || f == NULL || fread(in, 1, in_len, f) != in_len) return 1;
    fclose(f);
    vas_frames_nv12_to_rgb24(in, width, height, width, width, (uint32_t)strtoul(argv[5], NULL, 10),
                             (uint32_t)strtoul(argv[6], NULL, 10), out, 0);
    f = fopen(argv[2], "wb");
    if (f == NULL || fwrite(out, 1, out_len, f) != out_len || fclose(f) != 0) return 1;
    free(in);
    free(out);
    return 0;
}
