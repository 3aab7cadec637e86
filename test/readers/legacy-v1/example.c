/*
 * vas_frames_dump - prints the frames of a VAS frame export, one line per valid frame:
 *
 *   frame_id=... timestamp_ns=... width=... height=... generation=... data_size=... checksum=<fnv1a64>
 *
 * Usage: vas_frames_dump <dir> <camera> [n] [timeout_ms]
 *
 * Prints up to n frames (default 1), each newer than the previous one printed (a new generation
 * always counts as newer), while the export is live; waits for the export to appear and follows
 * restarts. Status changes go to stderr. Exit: 0 when n frames were printed, 1 on timeout
 * (default 5000 ms), 2 on a usage error, an invalid export or a system error.
 *
 * Build: gcc -std=c11 -Wall -Wextra -Werror -O2 -o vas_frames_dump example.c
 */
#define _POSIX_C_SOURCE 200809L

#include "vas_frames.h"

#include <inttypes.h>
#include <stdlib.h>

static void sleep_ms(unsigned ms) {
    struct timespec ts = { (time_t)(ms / 1000u), (long)(ms % 1000u) * 1000000L };
    nanosleep(&ts, NULL);
}

static void note_status(const char **last, const char *status, const char *detail) {
    if (*last == NULL || strcmp(*last, status) != 0) {
        fprintf(stderr, "status=%s%s%s\n", status, detail ? " " : "", detail ? detail : "");
        *last = status;
    }
}

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
    const char *dir = argv[1];
    const char *camera = argv[2];
    if (!vas_frames_valid_camera_id(camera)) {
        fprintf(stderr, "vas_frames_dump: invalid camera id \"%s\"\n", camera);
        return 2;
    }

    const uint64_t deadline = vas_frames_monotonic_ns() + (uint64_t)timeout_ms * 1000000u;
    vas_frames_export ex;
    int attached = 0;
    unsigned char *buf = NULL;
    size_t buf_len = 0;
    uint64_t known_generation = 0, last_generation = 0, last_id = 0, skipped = 0;
    unsigned long printed = 0;
    const char *last_status = NULL;
    char err[256];
    int exit_code = 1;

    while (printed < want && vas_frames_monotonic_ns() < deadline) {
        if (!attached) {
            int rc = vas_frames_open(&ex, dir, camera, err, sizeof err);
            if (rc == VAS_FRAMES_ABSENT) {
                note_status(&last_status, "not-present", NULL);
                sleep_ms(5);
                continue;
            }
            if (rc == VAS_FRAMES_INVALID) {
                fprintf(stderr, "status=invalid %s\n", err);
                exit_code = 2;
                goto done;
            }
            if (rc != VAS_FRAMES_OK) {
                fprintf(stderr, "vas_frames_dump: %s\n", err);
                exit_code = 2;
                goto done;
            }
            attached = 1;
            if (known_generation != 0 && ex.generation != known_generation) {
                char g[48];
                snprintf(g, sizeof g, "generation=%" PRIu64, ex.generation);
                last_status = NULL;
                note_status(&last_status, "restarted", g);
            }
            known_generation = ex.generation;
            if (buf_len < ex.frame_size) {
                unsigned char *nb = realloc(buf, ex.frame_size);
                if (nb == NULL) {
                    fprintf(stderr, "vas_frames_dump: out of memory\n");
                    exit_code = 2;
                    goto done;
                }
                buf = nb;
                buf_len = ex.frame_size;
            }
        }

        vas_frames_status st = vas_frames_check(&ex);
        if (st == VAS_FRAMES_REPLACED || st == VAS_FRAMES_NOT_PRESENT) {
            /* A restart (new directory) or a stop: drop this mapping and open again. */
            if (st == VAS_FRAMES_NOT_PRESENT) note_status(&last_status, "not-present", NULL);
            skipped += ex.skipped;
            vas_frames_close(&ex);
            attached = 0;
            if (st == VAS_FRAMES_NOT_PRESENT) sleep_ms(5);
            continue;
        }
        if (st == VAS_FRAMES_BAD_STATE) {
            fprintf(stderr, "status=invalid state is neither LIVE nor STOPPED\n");
            exit_code = 2;
            goto done;
        }
        if (st == VAS_FRAMES_WRITER_DEAD) {
            note_status(&last_status, "writer-dead", NULL);
            sleep_ms(5);
            continue;
        }
        note_status(&last_status, "live", NULL);

        vas_frame_info info;
        int rc = vas_frames_read_latest(&ex, buf, buf_len, &info);
        if (rc == VAS_FRAMES_READ_OK && (info.generation != last_generation || info.frame_id > last_id)) {
            printf("frame_id=%" PRIu64 " timestamp_ns=%" PRIu64 " width=%" PRIu32 " height=%" PRIu32
                   " generation=%" PRIu64 " data_size=%" PRIu32 " checksum=%016" PRIx64 "\n",
                   info.frame_id, info.timestamp_ns, info.width, info.height, info.generation,
                   info.data_size, vas_frames_fnv1a64(buf, info.data_size));
            fflush(stdout);
            last_generation = info.generation;
            last_id = info.frame_id;
            printed++;
            continue;
        }
        sleep_ms(1);
    }
    exit_code = printed >= want ? 0 : 1;
done:
    if (attached) {
        skipped += ex.skipped;
        vas_frames_close(&ex);
    }
    free(buf);
    fprintf(stderr, "vas_frames_dump: %lu of %lu frames, skipped=%" PRIu64 "\n", printed, want, skipped);
    return exit_code;
}
