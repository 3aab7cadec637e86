/*
 * vas_frames_dump - prints the frames of a VAS frame export, one line per valid frame:
 *
 *   frame_id=... timestamp_ns=... width=... height=... generation=... data_size=... checksum=<fnv1a64>
 *
 * Usage: vas_frames_dump <dir> <camera> [n] [timeout_ms]
 *
 * Prints up to n frames (default 1), each newer than the previous one printed (a new generation
 * always counts as newer), waiting for them with vas_frames_wait_next (no polling on a version 2
 * export); waits for the export to appear and follows restarts. Status changes go to stderr.
 * Exit: 0 when n frames were printed, 1 on timeout (default 5000 ms), 2 on a usage error, an
 * invalid export or a system error.
 *
 * Build: gcc -std=c11 -Wall -Wextra -Werror -O2 -o vas_frames_dump example.c
 */
#include "vas_frames.h"

#include <inttypes.h>

static int parse_u(const char *s, unsigned long *out) {
    char *end = NULL;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0') return 0;
    *out = v;
    return 1;
}

int main(int argc, char **argv) {
    unsigned long want = 1, timeout_ms = 5000;
    if (argc < 3 || argc > 5 || (argc > 3 && !parse_u(argv[3], &want)) ||
        (argc > 4 && !parse_u(argv[4], &timeout_ms))) {
        fprintf(stderr, "usage: %s <dir> <camera> [n] [timeout_ms]\n", argv[0]);
        return 2;
    }
    vas_frames_reader reader;
    if (vas_frames_reader_init(&reader, argv[1], argv[2]) != 0) {
        fprintf(stderr, "vas_frames_dump: invalid camera id \"%s\" or export path: %s\n", argv[2], strerror(errno));
        return 2;
    }

    const uint64_t deadline = vas_frames_monotonic_ns() + (uint64_t)timeout_ms * 1000000u;
    unsigned char *buf = NULL;
    size_t buf_len = 0;
    unsigned long printed = 0;
    int last_status = -1;
    int exit_code = 1;

    while (printed < want) {
        const uint64_t now = vas_frames_monotonic_ns();
        if (now >= deadline) break;
        const vas_frames_status st = vas_frames_reader_status(&reader);
        if (st == VAS_FRAMES_RESTARTED) {
            fprintf(stderr, "status=restarted generation=%" PRIu64 "\n", reader.ex.generation);
        } else if ((int)st != last_status) {
            fprintf(stderr, "status=%s%s%s\n", vas_frames_status_name(st), reader.error[0] ? " " : "", reader.error);
        }
        last_status = (int)st;
        if (st == VAS_FRAMES_INVALID) {
            exit_code = 2;
            goto done;
        }
        const uint64_t left_ms = (deadline - now) / 1000000u;
        vas_frame_info info;
        const int rc = vas_frames_wait_next(&reader, buf, buf_len, &info, (int64_t)(left_ms < 250 ? left_ms : 250));
        if (rc == VAS_FRAMES_READ_EINVAL) {     /* first frame, or a larger one after a restart */
            free(buf);
            buf_len = vas_frames_frame_size(&reader);
            buf = (unsigned char *)malloc(buf_len);
            if (buf == NULL) {
                fprintf(stderr, "vas_frames_dump: out of memory\n");
                exit_code = 2;
                goto done;
            }
        } else if (rc == VAS_FRAMES_READ_OK) {
            printf("frame_id=%" PRIu64 " timestamp_ns=%" PRIu64 " width=%" PRIu32 " height=%" PRIu32
                   " generation=%" PRIu64 " data_size=%" PRIu32 " checksum=%016" PRIx64 "\n",
                   info.frame_id, info.timestamp_ns, info.width, info.height, info.generation,
                   info.data_size, vas_frames_fnv1a64(buf, info.data_size));
            fflush(stdout);
            printed++;
        }
    }
    exit_code = printed >= want ? 0 : 1;
done:
    fprintf(stderr, "vas_frames_dump: %lu of %lu frames, skipped=%" PRIu64 "\n", printed, want, reader.skipped);
    vas_frames_reader_close(&reader);
    free(buf);
    return exit_code;
}
