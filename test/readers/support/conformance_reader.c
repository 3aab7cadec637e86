/*
 * Conformance: the C reader's view of an export, as the JSON every reader prints.
 * Usage: conformance_reader <dir> <camera>
 */
#include "vas_frames.h"

#include <inttypes.h>

int main(int argc, char **argv) {
    if (argc != 3) return 2;
    vas_frames_reader r;
    if (vas_frames_reader_init(&r, argv[1], argv[2]) != 0) return 2;
    vas_frames_status st = vas_frames_reader_status(&r);
    if (st != VAS_FRAMES_LIVE && st != VAS_FRAMES_IDLE) {
        fprintf(stderr, "status %s %s\n", vas_frames_status_name(st), r.error);
        return 1;
    }
    const vas_frames_export *ex = &r.ex;
    vas_frames_status_block status;
    unsigned char *buf = malloc(ex->frame_size);
    vas_frame_info info;
    if (buf == NULL || !vas_frames_read_status(ex, &status) ||
        vas_frames_read_latest(&r, buf, ex->frame_size, &info) != VAS_FRAMES_READ_OK) {
        fprintf(stderr, "no frame\n");
        return 1;
    }
    printf("{\"version\":%" PRIu32 ",\"header_size\":%" PRIu32 ",\"slot_meta_size\":%" PRIu32
           ",\"slot_count\":%" PRIu32 ",\"slot_stride\":%" PRIu32 ",\"pixel_format\":\"%s\""
           ",\"width\":%" PRIu32 ",\"height\":%" PRIu32 ",\"y_stride\":%" PRIu32 ",\"uv_stride\":%" PRIu32
           ",\"uv_offset\":%" PRIu32 ",\"frame_size\":%" PRIu32 ",\"writer_pid\":%" PRIu32
           ",\"writer_pidns\":\"%" PRIu64 "\",\"generation\":\"%" PRIu64 "\",\"created_realtime_ns\":\"%" PRIu64 "\""
           ",\"heartbeat_interval_ms\":%" PRIu32,
           ex->version, ex->header_size, ex->slot_meta_size, ex->slot_count, ex->slot_stride,
           info.pixel_format == VAS_FRAMES_PIXEL_FORMAT_NV12 ? "NV12" : "?",
           ex->width, ex->height, ex->y_stride, ex->uv_stride, ex->uv_offset, ex->frame_size, ex->writer_pid,
           ex->writer_pidns, ex->generation, ex->created_realtime_ns, ex->heartbeat_interval_ms);
    printf(",\"latest_frame_id\":\"%" PRIu64 "\",\"frames_written\":\"%" PRIu64 "\",\"dropped_size_mismatch\":\"%" PRIu64
           "\",\"dropped_truncated\":\"%" PRIu64 "\"",
           status.latest_frame_id, status.frames_written, status.dropped_size_mismatch, status.dropped_truncated);
    printf(",\"frame_id\":\"%" PRIu64 "\",\"timestamp_ns\":\"%" PRIu64 "\",\"wallclock_ns\":\"%" PRIu64 "\""
           ",\"frame_width\":%" PRIu32 ",\"frame_height\":%" PRIu32 ",\"strides\":[%" PRIu32 ",%" PRIu32 "]"
           ",\"frame_uv_offset\":%" PRIu32 ",\"data_size\":%" PRIu32 ",\"slot\":%" PRIu32 ",\"frame_generation\":\"%" PRIu64 "\""
           ",\"color_matrix\":%" PRIu32 ",\"color_range\":%" PRIu32 ",\"source_width\":%" PRIu32
           ",\"source_height\":%" PRIu32 ",\"data_fnv1a64\":\"%016" PRIx64 "\",\"data_hex\":\"",
           info.frame_id, info.timestamp_ns, info.wallclock_ns, info.width, info.height, info.y_stride, info.uv_stride,
           info.uv_offset, info.data_size, info.slot, info.generation, info.color_matrix, info.color_range,
           info.source_width, info.source_height, vas_frames_fnv1a64(buf, info.data_size));
    for (uint32_t i = 0; i < info.data_size; i++) printf("%02x", buf[i]);
    printf("\"}\n");
    free(buf);
    vas_frames_reader_close(&r);
    return 0;
}
