/*
 * Test probe for the C reader (src/reader/c/vas_frames.h): one vas_frames_reader driven step
 * by step from stdin, so that test_c_reader.py can put the C reader through the same sequences
 * as the Python reader. Usage: c_reader_probe <dir> <camera>
 *
 * Commands (one per line) and their answer (one JSON line each):
 *   status            {"status": "...", "error": "..."}
 *   latest            {"rc": n, ...frame fields when rc is 0..., "skipped": n}
 *   wait <ms>         as latest, through vas_frames_wait_next, plus "wakeups": the voluntary
 *                     context switches (getrusage) the call took
 *   age-busy <ms>     pretend the current BUSY run started <ms> earlier (liveness rule 4)
 */
#include "vas_frames.h"

#include <inttypes.h>
#include <sys/resource.h>

static long voluntary_switches(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_nvcsw;
}

static void print_read(vas_frames_reader *r, int rc, const vas_frame_info *info, const unsigned char *buf) {
    printf("{\"rc\":%d,\"skipped\":%" PRIu64, rc, r->skipped);
    if (rc == VAS_FRAMES_READ_OK)
        printf(",\"frame_id\":%" PRIu64 ",\"generation\":\"%" PRIu64 "\",\"checksum\":\"%016" PRIx64 "\""
               ",\"color_matrix\":%" PRIu32 ",\"color_range\":%" PRIu32 ",\"source_width\":%" PRIu32
               ",\"source_height\":%" PRIu32,
               info->frame_id, info->generation, vas_frames_fnv1a64(buf, info->data_size), info->color_matrix,
               info->color_range, info->source_width, info->source_height);
}

int main(int argc, char **argv) {
    if (argc != 3) return 2;
    vas_frames_reader r;
    if (vas_frames_reader_init(&r, argv[1], argv[2]) != 0) return 2;
    static unsigned char buf[1 << 24];
    char line[64];
    while (fgets(line, sizeof line, stdin) != NULL) {
        vas_frame_info info;
        long ms = 0;
        if (strncmp(line, "status", 6) == 0) {
            vas_frames_status st = vas_frames_reader_status(&r);
            printf("{\"status\":\"%s\",\"error\":\"%s\"", vas_frames_status_name(st), r.error);
        } else if (strncmp(line, "latest", 6) == 0) {
            print_read(&r, vas_frames_read_latest(&r, buf, sizeof buf, &info), &info, buf);
        } else if (sscanf(line, "wait %ld", &ms) == 1) {
            const long before = voluntary_switches();
            const int rc = vas_frames_wait_next(&r, buf, sizeof buf, &info, ms);
            const long wakeups = voluntary_switches() - before;
            print_read(&r, rc, &info, buf);
            printf(",\"wakeups\":%ld", wakeups);
        } else if (sscanf(line, "age-busy %ld", &ms) == 1) {
            r.busy_since_ns -= (uint64_t)ms * 1000000u;
            printf("{");
        } else {
            printf("{\"unknown\":true");
        }
        printf("}\n");
        fflush(stdout);
    }
    vas_frames_reader_close(&r);
    return 0;
}
