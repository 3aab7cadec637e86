/*
 * vas_frames.h - reader for VAS frame exports, format version 1. Single header, C11.
 *
 * VAS exports decoded NV12 camera frames into shared memory:
 *
 *     <dir>/<camera_id>/frame.meta   header + slot table
 *     <dir>/<camera_id>/frame.data   slot_count page-aligned slots of raw NV12
 *
 * docs/frame-export-format.md is the normative description; the names below mirror
 * src/layout/frame-export-layout.ts (Header.X -> VAS_FRAMES_HEADER_X, Slot.X ->
 * VAS_FRAMES_SLOT_X). Requires GCC or Clang (__atomic builtins), a little-endian host and
 * POSIX.1-2008 (openat, fstatat). Include this header first, or define _POSIX_C_SOURCE >=
 * 200809L (or _GNU_SOURCE) before your first #include.
 *
 * Typical use:
 *
 *     vas_frames_export ex;
 *     char err[256];
 *     if (vas_frames_open(&ex, "/dev/shm/vas", "cam-1", err, sizeof err) != VAS_FRAMES_OK) ...;
 *     uint8_t *buf = malloc(ex.frame_size);
 *     vas_frame_info info;
 *     if (vas_frames_check(&ex) == VAS_FRAMES_LIVE &&
 *         vas_frames_read_latest(&ex, buf, ex.frame_size, &info) == VAS_FRAMES_READ_OK) ...;
 *     vas_frames_close(&ex);
 *
 * When vas_frames_check() returns VAS_FRAMES_REPLACED (a restart published a new generation)
 * or VAS_FRAMES_NOT_PRESENT, close and open again (src/reader/c/example.c does).
 *
 * Memory ordering: the reader side of the seqlocks (spec 5.2) uses __atomic_load_n(...,
 * __ATOMIC_ACQUIRE) for every seq / status_seq / state load and __atomic_thread_fence(
 * __ATOMIC_ACQUIRE) where the spec says fence_r (a compiler barrier on x86-64, `dmb ishld` on
 * arm64). Fields read inside a seqlock use relaxed 32-bit atomic loads; the frame bytes are
 * copied with memcpy, which races with the writer by design: the copy is discarded unless both
 * sequence reads are equal and even and the frame id matches. u64 fields are read as two u32
 * halves (low at offset, high at offset + 4, spec section 2), which only needs 4-byte alignment
 * and never emits a 64-bit atomic instruction (on some 32-bit targets those write, and would
 * fault on a PROT_READ mapping).
 *
 * Nothing here allocates except the mappings; nothing writes to the export.
 * A vas_frames_export is not thread-safe: use one per thread (they can map the same export).
 */
#ifndef VAS_FRAMES_H
#define VAS_FRAMES_H

#if !defined(_POSIX_C_SOURCE) && !defined(_XOPEN_SOURCE) && !defined(_GNU_SOURCE) && !defined(_DEFAULT_SOURCE)
#define _POSIX_C_SOURCE 200809L
#endif

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#if !defined(__GNUC__)
#error "vas_frames.h needs GCC or Clang (__atomic builtins)"
#endif
#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "vas_frames.h: the frame export format is little-endian; big-endian hosts are not supported"
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------------------------------- */
/* Constants                                                                                */
/* ---------------------------------------------------------------------------------------- */

#define VAS_FRAMES_FORMAT_VERSION 1u
#define VAS_FRAMES_PIXEL_FORMAT_NV12 0x3231564Eu /* fourcc 'NV12' read as a little-endian u32 */
#define VAS_FRAMES_META_FILE_NAME "frame.meta"
#define VAS_FRAMES_DATA_FILE_NAME "frame.data"
#define VAS_FRAMES_SLOT_ALIGNMENT 4096u
#define VAS_FRAMES_STATE_LIVE 1u
#define VAS_FRAMES_STATE_STOPPED 2u
#define VAS_FRAMES_HEADER_SIZE_V1 128u
#define VAS_FRAMES_SLOT_META_SIZE_V1 64u
#define VAS_FRAMES_HEARTBEAT_INTERVAL_MS 250u
#define VAS_FRAMES_HEARTBEAT_STALE_MS 2000u
#define VAS_FRAMES_DEFAULT_DIR "/dev/shm/vas"
#define VAS_FRAMES_CAMERA_ID_MAX 64u

/* Global header offsets (spec 3.1). */
#define VAS_FRAMES_HEADER_VERSION 0u
#define VAS_FRAMES_HEADER_HEADER_SIZE 4u
#define VAS_FRAMES_HEADER_SLOT_META_SIZE 8u
#define VAS_FRAMES_HEADER_SLOT_COUNT 12u
#define VAS_FRAMES_HEADER_SLOT_STRIDE 16u
#define VAS_FRAMES_HEADER_PIXEL_FORMAT 20u
#define VAS_FRAMES_HEADER_WIDTH 24u
#define VAS_FRAMES_HEADER_HEIGHT 28u
#define VAS_FRAMES_HEADER_Y_STRIDE 32u
#define VAS_FRAMES_HEADER_UV_STRIDE 36u
#define VAS_FRAMES_HEADER_UV_OFFSET 40u
#define VAS_FRAMES_HEADER_FRAME_SIZE 44u
#define VAS_FRAMES_HEADER_WRITER_PID 48u
#define VAS_FRAMES_HEADER_STATE 52u                 /* atomic */
#define VAS_FRAMES_HEADER_GENERATION 56u
#define VAS_FRAMES_HEADER_WRITER_PIDNS 64u
#define VAS_FRAMES_HEADER_CREATED_REALTIME_NS 72u
#define VAS_FRAMES_HEADER_STATUS_SEQ 80u            /* atomic: seqlock over 88..127 */
#define VAS_FRAMES_HEADER_HEARTBEAT_INTERVAL_MS 84u
#define VAS_FRAMES_HEADER_LATEST_FRAME_ID 88u
#define VAS_FRAMES_HEADER_HEARTBEAT_NS 96u
#define VAS_FRAMES_HEADER_FRAMES_WRITTEN 104u
#define VAS_FRAMES_HEADER_DROPPED_SIZE_MISMATCH 112u
#define VAS_FRAMES_HEADER_DROPPED_TRUNCATED 120u

/* Slot record offsets (spec 3.2); record i starts at header_size + i * slot_meta_size. */
#define VAS_FRAMES_SLOT_SEQ 0u                      /* atomic seqlock: odd while written */
#define VAS_FRAMES_SLOT_INDEX 4u
#define VAS_FRAMES_SLOT_FRAME_ID 8u
#define VAS_FRAMES_SLOT_TIMESTAMP_NS 16u
#define VAS_FRAMES_SLOT_WALLCLOCK_NS 24u
#define VAS_FRAMES_SLOT_DATA_OFFSET 32u
#define VAS_FRAMES_SLOT_DATA_SIZE 40u

/* Attempts of the seqlock loops. The writer holds status_seq odd for a few stores only. */
#define VAS_FRAMES_STATUS_TRIES 100
#define VAS_FRAMES_READ_TRIES 4

/* ---------------------------------------------------------------------------------------- */
/* Layout                                                                                   */
/* ---------------------------------------------------------------------------------------- */

/* Global header of frame.meta, version 1 (128 bytes). Naturally aligned, no packing. */
typedef struct vas_frame_meta_header_v1 {
    uint32_t version;
    uint32_t header_size;
    uint32_t slot_meta_size;
    uint32_t slot_count;
    uint32_t slot_stride;
    uint32_t pixel_format;
    uint32_t width;
    uint32_t height;
    uint32_t y_stride;
    uint32_t uv_stride;
    uint32_t uv_offset;
    uint32_t frame_size;
    uint32_t writer_pid;
    uint32_t state;                 /* atomic */
    uint64_t generation;
    uint64_t writer_pidns;
    uint64_t created_realtime_ns;
    uint32_t status_seq;            /* atomic */
    uint32_t heartbeat_interval_ms;
    /* status block, read under status_seq */
    uint64_t latest_frame_id;
    uint64_t heartbeat_ns;
    uint64_t frames_written;
    uint64_t dropped_size_mismatch;
    uint64_t dropped_truncated;
} vas_frame_meta_header_v1;

/* One slot record, version 1 (64 bytes). */
typedef struct vas_frame_slot_v1 {
    uint32_t seq;                   /* atomic */
    uint32_t slot_index;
    uint64_t frame_id;
    uint64_t timestamp_ns;
    uint64_t wallclock_ns;
    uint64_t data_offset;
    uint32_t data_size;
    uint32_t reserved[5];
} vas_frame_slot_v1;

#ifdef __cplusplus
#define VAS_FRAMES__STATIC_ASSERT(cond, msg) static_assert(cond, msg)
#else
#define VAS_FRAMES__STATIC_ASSERT(cond, msg) _Static_assert(cond, msg)
#endif
#define VAS_FRAMES__ASSERT_AT(type, field, offset) \
    VAS_FRAMES__STATIC_ASSERT(offsetof(type, field) == (offset), #type "." #field " must be at offset " #offset)

VAS_FRAMES__ASSERT_AT(vas_frame_meta_header_v1, version, VAS_FRAMES_HEADER_VERSION);
VAS_FRAMES__ASSERT_AT(vas_frame_meta_header_v1, header_size, VAS_FRAMES_HEADER_HEADER_SIZE);
VAS_FRAMES__ASSERT_AT(vas_frame_meta_header_v1, slot_meta_size, VAS_FRAMES_HEADER_SLOT_META_SIZE);
VAS_FRAMES__ASSERT_AT(vas_frame_meta_header_v1, slot_count, VAS_FRAMES_HEADER_SLOT_COUNT);
VAS_FRAMES__ASSERT_AT(vas_frame_meta_header_v1, slot_stride, VAS_FRAMES_HEADER_SLOT_STRIDE);
VAS_FRAMES__ASSERT_AT(vas_frame_meta_header_v1, pixel_format, VAS_FRAMES_HEADER_PIXEL_FORMAT);
VAS_FRAMES__ASSERT_AT(vas_frame_meta_header_v1, width, VAS_FRAMES_HEADER_WIDTH);
VAS_FRAMES__ASSERT_AT(vas_frame_meta_header_v1, height, VAS_FRAMES_HEADER_HEIGHT);
VAS_FRAMES__ASSERT_AT(vas_frame_meta_header_v1, y_stride, VAS_FRAMES_HEADER_Y_STRIDE);
VAS_FRAMES__ASSERT_AT(vas_frame_meta_header_v1, uv_stride, VAS_FRAMES_HEADER_UV_STRIDE);
VAS_FRAMES__ASSERT_AT(vas_frame_meta_header_v1, uv_offset, VAS_FRAMES_HEADER_UV_OFFSET);
VAS_FRAMES__ASSERT_AT(vas_frame_meta_header_v1, frame_size, VAS_FRAMES_HEADER_FRAME_SIZE);
VAS_FRAMES__ASSERT_AT(vas_frame_meta_header_v1, writer_pid, VAS_FRAMES_HEADER_WRITER_PID);
VAS_FRAMES__ASSERT_AT(vas_frame_meta_header_v1, state, VAS_FRAMES_HEADER_STATE);
VAS_FRAMES__ASSERT_AT(vas_frame_meta_header_v1, generation, VAS_FRAMES_HEADER_GENERATION);
VAS_FRAMES__ASSERT_AT(vas_frame_meta_header_v1, writer_pidns, VAS_FRAMES_HEADER_WRITER_PIDNS);
VAS_FRAMES__ASSERT_AT(vas_frame_meta_header_v1, created_realtime_ns, VAS_FRAMES_HEADER_CREATED_REALTIME_NS);
VAS_FRAMES__ASSERT_AT(vas_frame_meta_header_v1, status_seq, VAS_FRAMES_HEADER_STATUS_SEQ);
VAS_FRAMES__ASSERT_AT(vas_frame_meta_header_v1, heartbeat_interval_ms, VAS_FRAMES_HEADER_HEARTBEAT_INTERVAL_MS);
VAS_FRAMES__ASSERT_AT(vas_frame_meta_header_v1, latest_frame_id, VAS_FRAMES_HEADER_LATEST_FRAME_ID);
VAS_FRAMES__ASSERT_AT(vas_frame_meta_header_v1, heartbeat_ns, VAS_FRAMES_HEADER_HEARTBEAT_NS);
VAS_FRAMES__ASSERT_AT(vas_frame_meta_header_v1, frames_written, VAS_FRAMES_HEADER_FRAMES_WRITTEN);
VAS_FRAMES__ASSERT_AT(vas_frame_meta_header_v1, dropped_size_mismatch, VAS_FRAMES_HEADER_DROPPED_SIZE_MISMATCH);
VAS_FRAMES__ASSERT_AT(vas_frame_meta_header_v1, dropped_truncated, VAS_FRAMES_HEADER_DROPPED_TRUNCATED);
VAS_FRAMES__STATIC_ASSERT(sizeof(vas_frame_meta_header_v1) == VAS_FRAMES_HEADER_SIZE_V1, "header must be 128 bytes");

VAS_FRAMES__ASSERT_AT(vas_frame_slot_v1, seq, VAS_FRAMES_SLOT_SEQ);
VAS_FRAMES__ASSERT_AT(vas_frame_slot_v1, slot_index, VAS_FRAMES_SLOT_INDEX);
VAS_FRAMES__ASSERT_AT(vas_frame_slot_v1, frame_id, VAS_FRAMES_SLOT_FRAME_ID);
VAS_FRAMES__ASSERT_AT(vas_frame_slot_v1, timestamp_ns, VAS_FRAMES_SLOT_TIMESTAMP_NS);
VAS_FRAMES__ASSERT_AT(vas_frame_slot_v1, wallclock_ns, VAS_FRAMES_SLOT_WALLCLOCK_NS);
VAS_FRAMES__ASSERT_AT(vas_frame_slot_v1, data_offset, VAS_FRAMES_SLOT_DATA_OFFSET);
VAS_FRAMES__ASSERT_AT(vas_frame_slot_v1, data_size, VAS_FRAMES_SLOT_DATA_SIZE);
VAS_FRAMES__ASSERT_AT(vas_frame_slot_v1, reserved, 44u);
VAS_FRAMES__STATIC_ASSERT(sizeof(vas_frame_slot_v1) == VAS_FRAMES_SLOT_META_SIZE_V1, "slot record must be 64 bytes");

VAS_FRAMES__STATIC_ASSERT(sizeof(uint32_t) == 4 && sizeof(uint64_t) == 8, "fixed-width types");

/* ---------------------------------------------------------------------------------------- */
/* Types                                                                                    */
/* ---------------------------------------------------------------------------------------- */

/* Return codes of vas_frames_open / vas_frames_open_at. */
enum {
    VAS_FRAMES_OK = 0,
    VAS_FRAMES_ABSENT = 1,   /* the directory or one of the files does not exist (not-present) */
    VAS_FRAMES_INVALID = 2,  /* refused by the section 6 validation; err names field and values */
    VAS_FRAMES_ERROR = -1    /* system error; errno set, err describes it */
};

/* Return codes of vas_frames_read_latest. */
enum {
    VAS_FRAMES_READ_OK = 0,        /* *info and dst hold one valid frame */
    VAS_FRAMES_READ_NO_FRAME = 1,  /* latest_frame_id is 0: nothing committed yet */
    VAS_FRAMES_READ_SKIPPED = 2,   /* no valid read in VAS_FRAMES_READ_TRIES attempts */
    VAS_FRAMES_READ_BUSY = 3,      /* status_seq stayed odd for every try */
    VAS_FRAMES_READ_EINVAL = -1    /* dst_len < frame_size, or export not open */
};

/* What vas_frames_check reports (spec 5.3). */
typedef enum vas_frames_status {
    VAS_FRAMES_LIVE = 0,
    VAS_FRAMES_NOT_PRESENT = 1,  /* directory gone, or state STOPPED */
    VAS_FRAMES_WRITER_DEAD = 2,  /* writer pid gone (same pid namespace) or heartbeat > 2 s old */
    VAS_FRAMES_REPLACED = 3,     /* <dir>/<camera_id> is another directory now: close, reopen */
    VAS_FRAMES_BAD_STATE = 4     /* state is neither LIVE nor STOPPED */
} vas_frames_status;

/* An open export: the two read-only MAP_SHARED mappings and the static header fields. */
typedef struct vas_frames_export {
    const unsigned char *meta;      /* mapping of frame.meta */
    size_t meta_len;
    const unsigned char *data;      /* mapping of frame.data */
    size_t data_len;
    const vas_frame_meta_header_v1 *header;  /* == meta; static fields only, see below */
    /* Static header fields, copied and validated at open (they never change afterwards). */
    uint32_t version, header_size, slot_meta_size, slot_count, slot_stride;
    uint32_t width, height, y_stride, uv_stride, uv_offset, frame_size;
    uint32_t writer_pid, heartbeat_interval_ms;
    uint64_t generation, writer_pidns, created_realtime_ns;
    /* Where it came from, to detect a replaced directory (restart). */
    int parent_fd;                  /* the export dir, O_DIRECTORY (owned) */
    char camera_id[VAS_FRAMES_CAMERA_ID_MAX + 1];
    dev_t dir_dev;
    ino_t dir_ino;
    uint64_t own_pidns;             /* inode of our /proc/self/ns/pid, 0 if unknown */
    /* Reader-side counters and state. */
    uint64_t skipped;               /* read attempts discarded (odd, overwritten, lapped) */
    uint64_t status_unreadable_since_ns;  /* 0, or when status_seq was first seen stuck odd */
} vas_frames_export;

/* The status block, read consistently under status_seq. */
typedef struct vas_frames_status_block {
    uint64_t latest_frame_id;
    uint64_t heartbeat_ns;
    uint64_t frames_written;
    uint64_t dropped_size_mismatch;
    uint64_t dropped_truncated;
} vas_frames_status_block;

/* One valid frame's metadata. A frame is identified by (generation, frame_id). */
typedef struct vas_frame_info {
    uint64_t generation;
    uint64_t frame_id;
    uint64_t timestamp_ns;          /* CLOCK_MONOTONIC at commit */
    uint64_t wallclock_ns;          /* CLOCK_REALTIME at commit */
    uint64_t data_offset;
    uint32_t width, height;
    uint32_t y_stride, uv_stride, uv_offset;
    uint32_t data_size;
    uint32_t slot;
    uint32_t pixel_format;          /* VAS_FRAMES_PIXEL_FORMAT_NV12 */
} vas_frame_info;

/* ---------------------------------------------------------------------------------------- */
/* Internals                                                                                */
/* ---------------------------------------------------------------------------------------- */

static inline uint32_t vas_frames__u32(const unsigned char *base, size_t offset) {
    /* Static fields (written before publication): a plain aligned load. */
    uint32_t v;
    memcpy(&v, base + offset, sizeof v);
    return v;
}

static inline uint64_t vas_frames__u64(const unsigned char *base, size_t offset) {
    return (uint64_t)vas_frames__u32(base, offset) | ((uint64_t)vas_frames__u32(base, offset + 4) << 32);
}

static inline uint32_t vas_frames__load_acquire(const unsigned char *base, size_t offset) {
    /* load_acquire of an atomic u32 field (4-byte aligned: checked at open). */
    return __atomic_load_n((const uint32_t *)(const void *)(base + offset), __ATOMIC_ACQUIRE);
}

static inline uint32_t vas_frames__load_relaxed(const unsigned char *base, size_t offset) {
    return __atomic_load_n((const uint32_t *)(const void *)(base + offset), __ATOMIC_RELAXED);
}

static inline uint64_t vas_frames__load_u64_relaxed(const unsigned char *base, size_t offset) {
    /* A u64 inside a seqlock: two relaxed u32 halves; a torn value is caught by the seq check. */
    uint32_t lo = vas_frames__load_relaxed(base, offset);
    uint32_t hi = vas_frames__load_relaxed(base, offset + 4);
    return (uint64_t)lo | ((uint64_t)hi << 32);
}

static inline uint64_t vas_frames_monotonic_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static inline void vas_frames__cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield" ::: "memory");
#endif
}

/* ---------------------------------------------------------------------------------------- */
/* Validation (spec section 6)                                                              */
/* ---------------------------------------------------------------------------------------- */

/* 1 if camera_id matches ^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$ and holds no "..". */
static inline int vas_frames_valid_camera_id(const char *id) {
    size_t n = 0;
    if (id == NULL) return 0;
    for (; id[n] != '\0'; n++) {
        unsigned char c = (unsigned char)id[n];
        int alnum = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
        if (n == 0 && !alnum) return 0;
        if (!alnum && c != '_' && c != '.' && c != '-') return 0;
        if (n >= VAS_FRAMES_CAMERA_ID_MAX) return 0;
    }
    return n >= 1 && strstr(id, "..") == NULL;
}

/*
 * Checks a frame.meta of meta_len bytes (mapped at meta) against a frame.data of data_len
 * bytes. Returns 1 if valid, 0 with a message naming the field and both values in err
 * otherwise. Same checks and messages as the TypeScript and Python readers, plus the 4-byte
 * alignment of the slot table that the atomic seq loads need.
 */
static inline int vas_frames_validate(const unsigned char *meta, uint64_t meta_len, uint64_t data_len,
                                      char *err, size_t errlen) {
#define VAS_FRAMES__FAIL(...) do { if (err != NULL && errlen > 0) snprintf(err, errlen, __VA_ARGS__); return 0; } while (0)
    if (meta_len < VAS_FRAMES_HEADER_SIZE_V1)
        VAS_FRAMES__FAIL("frame.meta is %llu bytes, smaller than the %u-byte v1 header",
                         (unsigned long long)meta_len, VAS_FRAMES_HEADER_SIZE_V1);
    const uint32_t version = vas_frames__u32(meta, VAS_FRAMES_HEADER_VERSION);
    const uint32_t header_size = vas_frames__u32(meta, VAS_FRAMES_HEADER_HEADER_SIZE);
    const uint32_t slot_meta_size = vas_frames__u32(meta, VAS_FRAMES_HEADER_SLOT_META_SIZE);
    const uint32_t slot_count = vas_frames__u32(meta, VAS_FRAMES_HEADER_SLOT_COUNT);
    const uint32_t slot_stride = vas_frames__u32(meta, VAS_FRAMES_HEADER_SLOT_STRIDE);
    const uint32_t pixel_format = vas_frames__u32(meta, VAS_FRAMES_HEADER_PIXEL_FORMAT);
    const uint32_t width = vas_frames__u32(meta, VAS_FRAMES_HEADER_WIDTH);
    const uint32_t height = vas_frames__u32(meta, VAS_FRAMES_HEADER_HEIGHT);
    const uint32_t y_stride = vas_frames__u32(meta, VAS_FRAMES_HEADER_Y_STRIDE);
    const uint32_t uv_stride = vas_frames__u32(meta, VAS_FRAMES_HEADER_UV_STRIDE);
    const uint32_t uv_offset = vas_frames__u32(meta, VAS_FRAMES_HEADER_UV_OFFSET);
    const uint32_t frame_size = vas_frames__u32(meta, VAS_FRAMES_HEADER_FRAME_SIZE);
    const unsigned long long expected_frame_size =
        (unsigned long long)y_stride * height + (unsigned long long)uv_stride * (height / 2u);
    const unsigned long long y_plane = (unsigned long long)y_stride * height;
    const unsigned long long meta_needed = (unsigned long long)header_size + (unsigned long long)slot_count * slot_meta_size;
    const unsigned long long data_needed = (unsigned long long)slot_count * slot_stride;

    if (version < VAS_FRAMES_FORMAT_VERSION)
        VAS_FRAMES__FAIL("version %u is older than %u", version, VAS_FRAMES_FORMAT_VERSION);
    if (header_size < VAS_FRAMES_HEADER_SIZE_V1)
        VAS_FRAMES__FAIL("header_size %u < %u", header_size, VAS_FRAMES_HEADER_SIZE_V1);
    if (slot_meta_size < VAS_FRAMES_SLOT_META_SIZE_V1)
        VAS_FRAMES__FAIL("slot_meta_size %u < %u", slot_meta_size, VAS_FRAMES_SLOT_META_SIZE_V1);
    if (header_size % 4u != 0 || slot_meta_size % 4u != 0)
        VAS_FRAMES__FAIL("header_size %u / slot_meta_size %u are not multiples of 4", header_size, slot_meta_size);
    if (pixel_format != VAS_FRAMES_PIXEL_FORMAT_NV12)
        VAS_FRAMES__FAIL("pixel_format 0x%x is not NV12 (0x%x)", pixel_format, VAS_FRAMES_PIXEL_FORMAT_NV12);
    if (width == 0 || width % 2u != 0 || height == 0 || height % 2u != 0)
        VAS_FRAMES__FAIL("geometry %ux%u is not even and non-zero", width, height);
    if (y_stride < width || uv_stride < width)
        VAS_FRAMES__FAIL("strides %u/%u < width %u", y_stride, uv_stride, width);
    if ((unsigned long long)frame_size != expected_frame_size)
        VAS_FRAMES__FAIL("frame_size %u != y_stride*height + uv_stride*height/2 (%llu)", frame_size, expected_frame_size);
    if ((unsigned long long)uv_offset != y_plane)
        VAS_FRAMES__FAIL("uv_offset %u != y_stride*height (%llu)", uv_offset, y_plane);
    if (slot_count < 1u)
        VAS_FRAMES__FAIL("slot_count %u < 1", slot_count);
    if (slot_stride < frame_size || slot_stride % VAS_FRAMES_SLOT_ALIGNMENT != 0)
        VAS_FRAMES__FAIL("slot_stride %u is below frame_size %u or not a multiple of %u",
                         slot_stride, frame_size, VAS_FRAMES_SLOT_ALIGNMENT);
    if (meta_len < meta_needed)
        VAS_FRAMES__FAIL("frame.meta is %llu bytes, needs %llu", (unsigned long long)meta_len, meta_needed);
    if (data_len < data_needed)
        VAS_FRAMES__FAIL("frame.data is %llu bytes, needs %llu", (unsigned long long)data_len, data_needed);
    return 1;
#undef VAS_FRAMES__FAIL
}

/* ---------------------------------------------------------------------------------------- */
/* Open / close                                                                             */
/* ---------------------------------------------------------------------------------------- */

static inline void vas_frames__init(vas_frames_export *ex) {
    memset(ex, 0, sizeof *ex);
    ex->parent_fd = -1;
}

/* Unmaps and closes. Safe on a zeroed, failed or already closed export. */
static inline void vas_frames_close(vas_frames_export *ex) {
    if (ex == NULL) return;
    if (ex->meta != NULL) munmap((void *)(uintptr_t)ex->meta, ex->meta_len);
    if (ex->data != NULL) munmap((void *)(uintptr_t)ex->data, ex->data_len);
    if (ex->parent_fd >= 0) close(ex->parent_fd);
    vas_frames__init(ex);
}

static inline int vas_frames__sys(const char *what, char *err, size_t errlen) {
    int e = errno;
    if (err != NULL && errlen > 0) snprintf(err, errlen, "%s: %s", what, strerror(e));
    errno = e;
    return VAS_FRAMES_ERROR;
}

/*
 * Opens <parent_fd>/<camera_id>/{frame.meta,frame.data}: the camera directory first
 * (O_DIRECTORY | O_NOFOLLOW), then both files with openat() from that directory fd, so both
 * come from the SAME directory inode (spec section 1); then fstat, mmap PROT_READ MAP_SHARED
 * and validation. parent_fd is duplicated (the caller keeps its own). On failure *ex is left
 * closed (vas_frames_close is still safe).
 */
static inline int vas_frames_open_at(vas_frames_export *ex, int parent_fd, const char *camera_id,
                                     char *err, size_t errlen) {
    vas_frames__init(ex);
    if (err != NULL && errlen > 0) err[0] = '\0';
    if (!vas_frames_valid_camera_id(camera_id)) {
        if (err != NULL && errlen > 0) snprintf(err, errlen, "invalid camera_id \"%s\"", camera_id ? camera_id : "(null)");
        errno = EINVAL;
        return VAS_FRAMES_ERROR;
    }
    int rc = VAS_FRAMES_ERROR;
    int cam_fd = -1, meta_fd = -1, data_fd = -1;
    void *meta = MAP_FAILED, *data = MAP_FAILED;
    struct stat dst, mst, fst;
    size_t meta_len = 0, data_len = 0;

    cam_fd = openat(parent_fd, camera_id, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (cam_fd < 0) {
        if (errno == ENOENT || errno == ENOTDIR) { rc = VAS_FRAMES_ABSENT; goto out; }
        rc = vas_frames__sys("open export directory", err, errlen);
        goto out;
    }
    if (fstat(cam_fd, &dst) != 0) { rc = vas_frames__sys("fstat export directory", err, errlen); goto out; }
    meta_fd = openat(cam_fd, VAS_FRAMES_META_FILE_NAME, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (meta_fd < 0) {
        rc = errno == ENOENT ? VAS_FRAMES_ABSENT : vas_frames__sys("open frame.meta", err, errlen);
        goto out;
    }
    data_fd = openat(cam_fd, VAS_FRAMES_DATA_FILE_NAME, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (data_fd < 0) {
        rc = errno == ENOENT ? VAS_FRAMES_ABSENT : vas_frames__sys("open frame.data", err, errlen);
        goto out;
    }
    if (fstat(meta_fd, &mst) != 0 || fstat(data_fd, &fst) != 0) {
        rc = vas_frames__sys("fstat", err, errlen);
        goto out;
    }
    if (!S_ISREG(mst.st_mode) || !S_ISREG(fst.st_mode)) {
        if (err != NULL && errlen > 0) snprintf(err, errlen, "frame.meta or frame.data is not a regular file");
        rc = VAS_FRAMES_INVALID;
        goto out;
    }
    if ((uint64_t)mst.st_size < VAS_FRAMES_HEADER_SIZE_V1) {
        vas_frames_validate(NULL, (uint64_t)mst.st_size, (uint64_t)fst.st_size, err, errlen);
        rc = VAS_FRAMES_INVALID;
        goto out;
    }
    if ((uint64_t)mst.st_size > SIZE_MAX || (uint64_t)fst.st_size > SIZE_MAX) {
        if (err != NULL && errlen > 0) snprintf(err, errlen, "frame.meta or frame.data is too large to map");
        rc = VAS_FRAMES_INVALID;
        goto out;
    }
    meta_len = (size_t)mst.st_size;
    data_len = (size_t)fst.st_size;
    /* Read-only and shared: we see the writer's stores and can never write. */
    meta = mmap(NULL, meta_len, PROT_READ, MAP_SHARED, meta_fd, 0);
    if (meta == MAP_FAILED) { rc = vas_frames__sys("mmap frame.meta", err, errlen); goto out; }
    if (!vas_frames_validate((const unsigned char *)meta, meta_len, data_len, err, errlen)) {
        rc = VAS_FRAMES_INVALID;
        goto out;
    }
    /* Validated: data_len >= slot_count * slot_stride >= 4096, so never an empty mapping. */
    data = mmap(NULL, data_len, PROT_READ, MAP_SHARED, data_fd, 0);
    if (data == MAP_FAILED) { rc = vas_frames__sys("mmap frame.data", err, errlen); goto out; }
    ex->parent_fd = fcntl(parent_fd, F_DUPFD_CLOEXEC, 0);
    if (ex->parent_fd < 0) { rc = vas_frames__sys("dup export dir fd", err, errlen); goto out; }

    {
        const unsigned char *m = (const unsigned char *)meta;
        struct stat ns;
        ex->meta = m;
        ex->meta_len = meta_len;
        ex->data = (const unsigned char *)data;
        ex->data_len = data_len;
        ex->header = (const vas_frame_meta_header_v1 *)meta;
        ex->version = vas_frames__u32(m, VAS_FRAMES_HEADER_VERSION);
        ex->header_size = vas_frames__u32(m, VAS_FRAMES_HEADER_HEADER_SIZE);
        ex->slot_meta_size = vas_frames__u32(m, VAS_FRAMES_HEADER_SLOT_META_SIZE);
        ex->slot_count = vas_frames__u32(m, VAS_FRAMES_HEADER_SLOT_COUNT);
        ex->slot_stride = vas_frames__u32(m, VAS_FRAMES_HEADER_SLOT_STRIDE);
        ex->width = vas_frames__u32(m, VAS_FRAMES_HEADER_WIDTH);
        ex->height = vas_frames__u32(m, VAS_FRAMES_HEADER_HEIGHT);
        ex->y_stride = vas_frames__u32(m, VAS_FRAMES_HEADER_Y_STRIDE);
        ex->uv_stride = vas_frames__u32(m, VAS_FRAMES_HEADER_UV_STRIDE);
        ex->uv_offset = vas_frames__u32(m, VAS_FRAMES_HEADER_UV_OFFSET);
        ex->frame_size = vas_frames__u32(m, VAS_FRAMES_HEADER_FRAME_SIZE);
        ex->writer_pid = vas_frames__u32(m, VAS_FRAMES_HEADER_WRITER_PID);
        ex->heartbeat_interval_ms = vas_frames__u32(m, VAS_FRAMES_HEADER_HEARTBEAT_INTERVAL_MS);
        ex->generation = vas_frames__u64(m, VAS_FRAMES_HEADER_GENERATION);
        ex->writer_pidns = vas_frames__u64(m, VAS_FRAMES_HEADER_WRITER_PIDNS);
        ex->created_realtime_ns = vas_frames__u64(m, VAS_FRAMES_HEADER_CREATED_REALTIME_NS);
        memcpy(ex->camera_id, camera_id, strlen(camera_id) + 1);
        ex->dir_dev = dst.st_dev;
        ex->dir_ino = dst.st_ino;
        ex->own_pidns = stat("/proc/self/ns/pid", &ns) == 0 ? (uint64_t)ns.st_ino : 0;
        meta = MAP_FAILED;  /* owned by ex now */
        data = MAP_FAILED;
    }
    rc = VAS_FRAMES_OK;
out:
    if (meta != MAP_FAILED) munmap(meta, meta_len);
    if (data != MAP_FAILED) munmap(data, data_len);
    if (data_fd >= 0) close(data_fd);
    if (meta_fd >= 0) close(meta_fd);
    if (cam_fd >= 0) close(cam_fd);
    return rc;
}

/* vas_frames_open_at() from a directory path (e.g. VAS_FRAMES_DEFAULT_DIR). */
static inline int vas_frames_open(vas_frames_export *ex, const char *dir, const char *camera_id,
                                  char *err, size_t errlen) {
    vas_frames__init(ex);
    int parent = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (parent < 0) {
        if (errno == ENOENT) {
            if (err != NULL && errlen > 0) err[0] = '\0';
            return VAS_FRAMES_ABSENT;
        }
        return vas_frames__sys(dir, err, errlen);
    }
    int rc = vas_frames_open_at(ex, parent, camera_id, err, errlen);
    int e = errno;
    close(parent);
    errno = e;
    return rc;
}

/* ---------------------------------------------------------------------------------------- */
/* Reader protocol (spec 5.2)                                                               */
/* ---------------------------------------------------------------------------------------- */

/* read_status(): a consistent copy of the status block. 1 on success, 0 if status_seq stayed
 * odd for VAS_FRAMES_STATUS_TRIES attempts. */
static inline int vas_frames_read_status(const vas_frames_export *ex, vas_frames_status_block *out) {
    const unsigned char *m = ex->meta;
    for (int attempt = 0; attempt < VAS_FRAMES_STATUS_TRIES; attempt++) {
        uint32_t s1 = vas_frames__load_acquire(m, VAS_FRAMES_HEADER_STATUS_SEQ);
        if (s1 & 1u) {              /* writer inside publish(): retry */
            vas_frames__cpu_relax();
            continue;
        }
        __atomic_thread_fence(__ATOMIC_ACQUIRE);   /* fence_r: copy after the s1 load */
        out->latest_frame_id = vas_frames__load_u64_relaxed(m, VAS_FRAMES_HEADER_LATEST_FRAME_ID);
        out->heartbeat_ns = vas_frames__load_u64_relaxed(m, VAS_FRAMES_HEADER_HEARTBEAT_NS);
        out->frames_written = vas_frames__load_u64_relaxed(m, VAS_FRAMES_HEADER_FRAMES_WRITTEN);
        out->dropped_size_mismatch = vas_frames__load_u64_relaxed(m, VAS_FRAMES_HEADER_DROPPED_SIZE_MISMATCH);
        out->dropped_truncated = vas_frames__load_u64_relaxed(m, VAS_FRAMES_HEADER_DROPPED_TRUNCATED);
        __atomic_thread_fence(__ATOMIC_ACQUIRE);   /* fence_r: copy before the re-check */
        if (vas_frames__load_acquire(m, VAS_FRAMES_HEADER_STATUS_SEQ) == s1) return 1;
    }
    return 0;
}

/*
 * read_latest(): copies the latest valid frame (frame_size bytes) into dst and fills *info.
 * Never returns a torn frame: a copy counts only if both slot seq loads are equal and even and
 * the slot holds the frame id that was published. Discarded attempts increment ex->skipped.
 * Does not check liveness: call vas_frames_check() first (a dead writer's last frame is still
 * readable, which is sometimes what a tool wants).
 */
static inline int vas_frames_read_latest(vas_frames_export *ex, void *dst, size_t dst_len, vas_frame_info *info) {
    if (ex == NULL || ex->meta == NULL || dst == NULL || dst_len < ex->frame_size) return VAS_FRAMES_READ_EINVAL;
    const unsigned char *m = ex->meta;
    for (int attempt = 0; attempt < VAS_FRAMES_READ_TRIES; attempt++) {
        vas_frames_status_block status;
        if (!vas_frames_read_status(ex, &status)) return VAS_FRAMES_READ_BUSY;
        const uint64_t latest = status.latest_frame_id;
        if (latest == 0) return VAS_FRAMES_READ_NO_FRAME;
        const uint32_t index = (uint32_t)((latest - 1u) % ex->slot_count);
        const size_t record = (size_t)ex->header_size + (size_t)index * ex->slot_meta_size;

        const uint32_t q1 = vas_frames__load_acquire(m, record + VAS_FRAMES_SLOT_SEQ);
        if (q1 & 1u) {              /* being written: skip */
            ex->skipped++;
            continue;
        }
        __atomic_thread_fence(__ATOMIC_ACQUIRE);   /* fence_r: fields and bytes after q1 */
        const uint64_t frame_id = vas_frames__load_u64_relaxed(m, record + VAS_FRAMES_SLOT_FRAME_ID);
        const uint64_t timestamp_ns = vas_frames__load_u64_relaxed(m, record + VAS_FRAMES_SLOT_TIMESTAMP_NS);
        const uint64_t wallclock_ns = vas_frames__load_u64_relaxed(m, record + VAS_FRAMES_SLOT_WALLCLOCK_NS);
        const uint64_t data_offset = vas_frames__load_u64_relaxed(m, record + VAS_FRAMES_SLOT_DATA_OFFSET);
        const uint32_t data_size = vas_frames__load_relaxed(m, record + VAS_FRAMES_SLOT_DATA_SIZE);
        /* Bounds before touching frame.data: fields read here may be torn (then the seq check
         * below would fail anyway) and must never send memcpy outside the mapping. */
        if (data_size != ex->frame_size || data_offset > (uint64_t)(ex->data_len - ex->frame_size)) {
            ex->skipped++;
            continue;
        }
        /* Racy copy by design (seqlock): discarded below unless the slot stayed stable. */
        memcpy(dst, ex->data + (size_t)data_offset, ex->frame_size);
        __atomic_thread_fence(__ATOMIC_ACQUIRE);   /* fence_r: every copy load before q2 */
        const uint32_t q2 = vas_frames__load_acquire(m, record + VAS_FRAMES_SLOT_SEQ);
        if (q2 != q1) {             /* overwritten while copying: discard */
            ex->skipped++;
            continue;
        }
        if (frame_id != latest) {   /* lapped: the slot holds another frame */
            ex->skipped++;
            continue;
        }
        if (info != NULL) {
            info->generation = ex->generation;
            info->frame_id = frame_id;
            info->timestamp_ns = timestamp_ns;
            info->wallclock_ns = wallclock_ns;
            info->data_offset = data_offset;
            info->width = ex->width;
            info->height = ex->height;
            info->y_stride = ex->y_stride;
            info->uv_stride = ex->uv_stride;
            info->uv_offset = ex->uv_offset;
            info->data_size = data_size;
            info->slot = index;
            info->pixel_format = VAS_FRAMES_PIXEL_FORMAT_NV12;
        }
        return VAS_FRAMES_READ_OK;
    }
    return VAS_FRAMES_READ_SKIPPED;
}

/* ---------------------------------------------------------------------------------------- */
/* Liveness (spec 5.3)                                                                      */
/* ---------------------------------------------------------------------------------------- */

/*
 * What the reader should report for this export now. Checks, in order: the directory entry
 * still names the mapped directory (else REPLACED, or NOT_PRESENT if gone), state, the writer
 * pid (only in the writer's pid namespace), the heartbeat age. A status block that stays
 * unreadable (writer died inside publish) is judged like a heartbeat: WRITER_DEAD after 2 s.
 */
static inline vas_frames_status vas_frames_check(vas_frames_export *ex) {
    struct stat st;
    if (fstatat(ex->parent_fd, ex->camera_id, &st, AT_SYMLINK_NOFOLLOW) != 0) return VAS_FRAMES_NOT_PRESENT;
    if (st.st_dev != ex->dir_dev || st.st_ino != ex->dir_ino) return VAS_FRAMES_REPLACED;
    const uint32_t state = vas_frames__load_acquire(ex->meta, VAS_FRAMES_HEADER_STATE);
    if (state == VAS_FRAMES_STATE_STOPPED) return VAS_FRAMES_NOT_PRESENT;
    if (state != VAS_FRAMES_STATE_LIVE) return VAS_FRAMES_BAD_STATE;
    /* writer_pid 0 must never reach kill(): kill(0, 0) targets our own process group. */
    if (ex->writer_pidns != 0 && ex->writer_pidns == ex->own_pidns &&
        ex->writer_pid > 0 && ex->writer_pid <= 0x7fffffffu) {
        if (kill((pid_t)ex->writer_pid, 0) != 0 && errno == ESRCH) return VAS_FRAMES_WRITER_DEAD;
        /* EPERM: the process exists (another user): alive. */
    }
    const uint64_t now = vas_frames_monotonic_ns();
    const uint64_t stale = (uint64_t)VAS_FRAMES_HEARTBEAT_STALE_MS * 1000000u;
    vas_frames_status_block status;
    if (!vas_frames_read_status(ex, &status)) {
        if (ex->status_unreadable_since_ns == 0) ex->status_unreadable_since_ns = now;
        return now - ex->status_unreadable_since_ns > stale ? VAS_FRAMES_WRITER_DEAD : VAS_FRAMES_LIVE;
    }
    ex->status_unreadable_since_ns = 0;
    if (now > status.heartbeat_ns && now - status.heartbeat_ns > stale) return VAS_FRAMES_WRITER_DEAD;
    return VAS_FRAMES_LIVE;
}

static inline const char *vas_frames_status_name(vas_frames_status s) {
    switch (s) {
    case VAS_FRAMES_LIVE: return "live";
    case VAS_FRAMES_NOT_PRESENT: return "not-present";
    case VAS_FRAMES_WRITER_DEAD: return "writer-dead";
    case VAS_FRAMES_REPLACED: return "restarted";
    case VAS_FRAMES_BAD_STATE: return "invalid";
    }
    return "unknown";
}

/* FNV-1a 64 (what example.c prints as checksum=). */
static inline uint64_t vas_frames_fnv1a64(const void *bytes, size_t len) {
    const unsigned char *p = (const unsigned char *)bytes;
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

#ifdef __cplusplus
}
#endif

#endif /* VAS_FRAMES_H */
