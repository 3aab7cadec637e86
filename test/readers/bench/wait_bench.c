/*
 * Reader side of wait_bench.py: receives frames from a fake writer and prints, per frame, the
 * commit -> reader-has-frame latency (CLOCK_MONOTONIC now minus the slot's timestamp_ns), then
 * a summary line with the voluntary context switches (getrusage) and CPU time.
 *
 * Usage: wait_bench <dir> <camera> <seconds> futex|poll1ms
 *   futex    vas_frames_wait_next (FUTEX_WAIT on notify_seq)
 *   poll1ms  vas_frames_read_latest, sleeping 1 ms while nothing is newer (the version 1
 *            example program's loop)
 */
#include "vas_frames.h"

#include <inttypes.h>
#include <sys/resource.h>

int main(int argc, char **argv) {
    if (argc != 5) return 2;
    const int futex = strcmp(argv[4], "futex") == 0;
    vas_frames_reader r;
    if (vas_frames_reader_init(&r, argv[1], argv[2]) != 0) return 2;
    const uint64_t end = vas_frames_monotonic_ns() + (uint64_t)(atof(argv[3]) * 1e9);
    static unsigned char buf[1 << 24];
    uint64_t frames = 0, last = 0, last_generation = 0;
    struct rusage before, after;
    getrusage(RUSAGE_SELF, &before);
    for (uint64_t now = vas_frames_monotonic_ns(); now < end; now = vas_frames_monotonic_ns()) {
        vas_frame_info info;
        int rc;
        if (futex) {
            rc = vas_frames_wait_next(&r, buf, sizeof buf, &info, (int64_t)((end - now) / 1000000u));
        } else {
            rc = vas_frames_read_latest(&r, buf, sizeof buf, &info);
            if (rc == VAS_FRAMES_READ_OK && info.generation == last_generation && info.frame_id <= last) rc = -2;
            if (rc != VAS_FRAMES_READ_OK) {
                struct timespec ms = { 0, 1000000L };
                nanosleep(&ms, NULL);
                continue;
            }
        }
        if (rc != VAS_FRAMES_READ_OK) continue;
        printf("%" PRIu64 "\n", vas_frames_monotonic_ns() - info.timestamp_ns);
        last = info.frame_id;
        last_generation = info.generation;
        frames++;
    }
    getrusage(RUSAGE_SELF, &after);
    const double cpu = (double)(after.ru_utime.tv_sec - before.ru_utime.tv_sec + after.ru_stime.tv_sec - before.ru_stime.tv_sec) +
                       (double)(after.ru_utime.tv_usec - before.ru_utime.tv_usec + after.ru_stime.tv_usec - before.ru_stime.tv_usec) / 1e6;
    printf("summary frames=%" PRIu64 " wakeups=%ld cpu_s=%.4f\n", frames, after.ru_nvcsw - before.ru_nvcsw, cpu);
    vas_frames_reader_close(&r);
    return 0;
}
