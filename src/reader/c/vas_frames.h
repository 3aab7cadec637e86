/*
 * vas_frames.h - reader for VAS frame exports, format versions 1 and 2. Single header, C11.
 *
 * VAS exports decoded NV12 camera frames into shared memory:
 *
 *     <dir>/<camera_id>/frame.meta   header + slot table
 *     <dir>/<camera_id>/frame.data   slot_count page-aligned slots of raw NV12
 *
 * docs/frame-export-format.md is the normative description (section numbers below are its);
 * the names mirror src/layout/frame-export-layout.ts (Header.X -> VAS_FRAMES_HEADER_X, Slot.X
 * -> VAS_FRAMES_SLOT_X). Requires Linux, GCC or Clang (__atomic builtins) and a little-endian
 * host. Include this header first, or define _DEFAULT_SOURCE (or _GNU_SOURCE) before your
 * first #include.
 *
 * Typical use:
 *
 *     vas_frames_reader r;
 *     if (vas_frames_reader_init(&r, NULL, "cam-1") != 0) ...;   // NULL: $AI_FRAME_EXPORT_DIR or /dev/shm/vas
 *     unsigned char *nv12 = NULL;
 *     size_t len = 0;
 *     vas_frame_info info;
 *     for (;;) {
 *         int rc = vas_frames_wait_next(&r, nv12, len, &info, 1000);   // blocks on the futex word
 *         if (rc == VAS_FRAMES_READ_EINVAL) {                          // buffer too small
 *             len = vas_frames_frame_size(&r);
 *             nv12 = realloc(nv12, len);                               // (check for NULL)
 *         } else if (rc == VAS_FRAMES_READ_OK) {
 *             ... info.width x info.height NV12 in nv12; vas_frames_nv12_to_rgb24() converts ...
 *         } else {
 *             vas_frames_status st = vas_frames_reader_status(&r);     // live, idle, not-present, ...
 *             fprintf(stderr, "%s %s\n", vas_frames_status_name(st), r.error);
 *         }
 *     }
 *     vas_frames_reader_close(&r);
 *
 * The reader attaches when the export appears, follows restarts (new generations) by itself
 * and never fails because the export is absent, invalid or unreadable: the status says so.
 *
 * Memory ordering: the reader side of the seqlocks (spec 5.2) uses __atomic_load_n(...,
 * __ATOMIC_ACQUIRE) for every seq / status_seq / state / notify_seq / source_width load and
 * __atomic_thread_fence(__ATOMIC_ACQUIRE) where the spec says fence_r (a compiler barrier on
 * x86-64, `dmb ishld` on arm64): this reader is correct on any CPU. Fields read inside a
 * seqlock use relaxed 32-bit atomic loads; the frame bytes are copied with memcpy, which races
 * with the writer by design: the copy is discarded unless both sequence reads are equal and
 * even, the frame id matches and data_size == frame_size. u64 fields are read as two u32
 * halves (low at offset, high at offset + 4, spec 2), which only needs 4-byte alignment and
 * never emits a 64-bit atomic instruction (on some 32-bit targets those write, and would
 * fault on a PROT_READ mapping).
 *
 * Nothing here writes to the export; FUTEX_WAIT only reads the futex word. Memory is allocated
 * only when a generation is attached (the mappings and its slot offset table).
 * A vas_frames_reader is not thread-safe: use one per thread (they can map the same export).
 */
#ifndef VAS_FRAMES_H
#define VAS_FRAMES_H

#if !defined(_POSIX_C_SOURCE) && !defined(_XOPEN_SOURCE) && !defined(_GNU_SOURCE) && !defined(_DEFAULT_SOURCE)
#define _DEFAULT_SOURCE 1 /* POSIX.1-2008 and syscall(2) */
#endif

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>
#if defined(__linux__)
#include <linux/futex.h>
#include <sys/syscall.h>
#endif

#if !defined(__GNUC__)
#error "vas_frames.h needs GCC or Clang (__atomic builtins)"
#endif
#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "vas_frames.h: the frame export format is little-endian; big-endian hosts are not supported"
#endif
#if defined(__linux__) && defined(__GLIBC__) && !defined(__USE_MISC) && !defined(__cplusplus)
/* Included after a strict _POSIX_C_SOURCE: glibc then hides syscall(2), which FUTEX_WAIT needs. */
extern long int syscall(long int number, ...);
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------------------------------- */
/* Constants                                                                                */
/* ---------------------------------------------------------------------------------------- */

#define VAS_FRAMES_FORMAT_VERSION 2u
#define VAS_FRAMES_PIXEL_FORMAT_NV12 0x3231564Eu /* fourcc 'NV12' read as a little-endian u32 */
#define VAS_FRAMES_META_FILE_NAME "frame.meta"
#define VAS_FRAMES_DATA_FILE_NAME "frame.data"
#define VAS_FRAMES_SLOT_ALIGNMENT 4096u
#define VAS_FRAMES_STATE_LIVE 1u
#define VAS_FRAMES_STATE_STOPPED 2u
#define VAS_FRAMES_STATE_IDLE 3u                    /* version 2 */
#define VAS_FRAMES_HEADER_SIZE_V1 128u
#define VAS_FRAMES_HEADER_SIZE_V2 160u
#define VAS_FRAMES_SLOT_META_SIZE_V1 64u
#define VAS_FRAMES_DEFAULT_DIR "/dev/shm/vas"
#define VAS_FRAMES_CAMERA_ID_MAX 64u

/* Colour (spec 3.3): color_matrix is ITU-T H.273 MatrixCoefficients. */
#define VAS_FRAMES_COLOR_MATRIX_BT709 1u
#define VAS_FRAMES_COLOR_MATRIX_BT601 6u
#define VAS_FRAMES_COLOR_RANGE_LIMITED 1u
#define VAS_FRAMES_COLOR_RANGE_FULL 2u

/* Timing rules (spec 5.2, 5.4, 6.3). */
#define VAS_FRAMES_HEARTBEAT_STALE_MS 2000u
#define VAS_FRAMES_STATUS_TRIES 100
#define VAS_FRAMES_READ_TRIES 4
#ifndef VAS_FRAMES_WAIT_RECHECK_MS /* overridable for tests only: the spec says 1000 */
#define VAS_FRAMES_WAIT_RECHECK_MS 1000u
#endif
#define VAS_FRAMES_POLL_MS 100u
#define VAS_FRAMES_FRAME_POLL_MS 5u

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
#define VAS_FRAMES_HEADER_NOTIFY_SEQ 128u           /* v2, atomic: the futex word */
#define VAS_FRAMES_HEADER_COLOR_MATRIX 132u         /* v2 */
#define VAS_FRAMES_HEADER_COLOR_RANGE 136u          /* v2 */
#define VAS_FRAMES_HEADER_SOURCE_WIDTH 140u         /* v2, atomic, 0 = not known */
#define VAS_FRAMES_HEADER_SOURCE_HEIGHT 144u        /* v2, atomic */

/* Slot record offsets (spec 3.2); record i starts at header_size + i * slot_meta_size. */
#define VAS_FRAMES_SLOT_SEQ 0u                      /* atomic seqlock: odd while written */
#define VAS_FRAMES_SLOT_INDEX 4u
#define VAS_FRAMES_SLOT_FRAME_ID 8u
#define VAS_FRAMES_SLOT_TIMESTAMP_NS 16u
#define VAS_FRAMES_SLOT_WALLCLOCK_NS 24u
#define VAS_FRAMES_SLOT_DATA_OFFSET 32u
#define VAS_FRAMES_SLOT_DATA_SIZE 40u

/* ---------------------------------------------------------------------------------------- */
/* Layout                                                                                   */
/* ---------------------------------------------------------------------------------------- */

/* Global header of frame.meta, version 2 (160 bytes; version 1 is its first 128). Naturally
 * aligned, no packing. Documentation of the layout: access the mapping through the reader,
 * which uses the atomic loads the protocol needs. */
typedef struct vas_frame_meta_header_v2 {
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
    /* version 2 */
    uint32_t notify_seq;            /* atomic: the futex word */
    uint32_t color_matrix;
    uint32_t color_range;
    uint32_t source_width;          /* atomic */
    uint32_t source_height;         /* atomic */
    uint32_t reserved[3];
} vas_frame_meta_header_v2;

/* One slot record (64 bytes). */
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

VAS_FRAMES__ASSERT_AT(vas_frame_meta_header_v2, version, VAS_FRAMES_HEADER_VERSION);
VAS_FRAMES__ASSERT_AT(vas_frame_meta_header_v2, header_size, VAS_FRAMES_HEADER_HEADER_SIZE);
VAS_FRAMES__ASSERT_AT(vas_frame_meta_header_v2, slot_meta_size, VAS_FRAMES_HEADER_SLOT_META_SIZE);
VAS_FRAMES__ASSERT_AT(vas_frame_meta_header_v2, slot_count, VAS_FRAMES_HEADER_SLOT_COUNT);
VAS_FRAMES__ASSERT_AT(vas_frame_meta_header_v2, slot_stride, VAS_FRAMES_HEADER_SLOT_STRIDE);
VAS_FRAMES__ASSERT_AT(vas_frame_meta_header_v2, pixel_format, VAS_FRAMES_HEADER_PIXEL_FORMAT);
VAS_FRAMES__ASSERT_AT(vas_frame_meta_header_v2, width, VAS_FRAMES_HEADER_WIDTH);
VAS_FRAMES__ASSERT_AT(vas_frame_meta_header_v2, height, VAS_FRAMES_HEADER_HEIGHT);
VAS_FRAMES__ASSERT_AT(vas_frame_meta_header_v2, y_stride, VAS_FRAMES_HEADER_Y_STRIDE);
VAS_FRAMES__ASSERT_AT(vas_frame_meta_header_v2, uv_stride, VAS_FRAMES_HEADER_UV_STRIDE);
VAS_FRAMES__ASSERT_AT(vas_frame_meta_header_v2, uv_offset, VAS_FRAMES_HEADER_UV_OFFSET);
VAS_FRAMES__ASSERT_AT(vas_frame_meta_header_v2, frame_size, VAS_FRAMES_HEADER_FRAME_SIZE);
VAS_FRAMES__ASSERT_AT(vas_frame_meta_header_v2, writer_pid, VAS_FRAMES_HEADER_WRITER_PID);
VAS_FRAMES__ASSERT_AT(vas_frame_meta_header_v2, state, VAS_FRAMES_HEADER_STATE);
VAS_FRAMES__ASSERT_AT(vas_frame_meta_header_v2, generation, VAS_FRAMES_HEADER_GENERATION);
VAS_FRAMES__ASSERT_AT(vas_frame_meta_header_v2, writer_pidns, VAS_FRAMES_HEADER_WRITER_PIDNS);
VAS_FRAMES__ASSERT_AT(vas_frame_meta_header_v2, created_realtime_ns, VAS_FRAMES_HEADER_CREATED_REALTIME_NS);
VAS_FRAMES__ASSERT_AT(vas_frame_meta_header_v2, status_seq, VAS_FRAMES_HEADER_STATUS_SEQ);
VAS_FRAMES__ASSERT_AT(vas_frame_meta_header_v2, heartbeat_interval_ms, VAS_FRAMES_HEADER_HEARTBEAT_INTERVAL_MS);
VAS_FRAMES__ASSERT_AT(vas_frame_meta_header_v2, latest_frame_id, VAS_FRAMES_HEADER_LATEST_FRAME_ID);
VAS_FRAMES__ASSERT_AT(vas_frame_meta_header_v2, heartbeat_ns, VAS_FRAMES_HEADER_HEARTBEAT_NS);
VAS_FRAMES__ASSERT_AT(vas_frame_meta_header_v2, frames_written, VAS_FRAMES_HEADER_FRAMES_WRITTEN);
VAS_FRAMES__ASSERT_AT(vas_frame_meta_header_v2, dropped_size_mismatch, VAS_FRAMES_HEADER_DROPPED_SIZE_MISMATCH);
VAS_FRAMES__ASSERT_AT(vas_frame_meta_header_v2, dropped_truncated, VAS_FRAMES_HEADER_DROPPED_TRUNCATED);
VAS_FRAMES__ASSERT_AT(vas_frame_meta_header_v2, notify_seq, VAS_FRAMES_HEADER_NOTIFY_SEQ);
VAS_FRAMES__ASSERT_AT(vas_frame_meta_header_v2, color_matrix, VAS_FRAMES_HEADER_COLOR_MATRIX);
VAS_FRAMES__ASSERT_AT(vas_frame_meta_header_v2, color_range, VAS_FRAMES_HEADER_COLOR_RANGE);
VAS_FRAMES__ASSERT_AT(vas_frame_meta_header_v2, source_width, VAS_FRAMES_HEADER_SOURCE_WIDTH);
VAS_FRAMES__ASSERT_AT(vas_frame_meta_header_v2, source_height, VAS_FRAMES_HEADER_SOURCE_HEIGHT);
VAS_FRAMES__ASSERT_AT(vas_frame_meta_header_v2, reserved, 148u);
VAS_FRAMES__STATIC_ASSERT(offsetof(vas_frame_meta_header_v2, notify_seq) == VAS_FRAMES_HEADER_SIZE_V1,
                          "version 2 appends to the 128-byte version 1 header");
VAS_FRAMES__STATIC_ASSERT(sizeof(vas_frame_meta_header_v2) == VAS_FRAMES_HEADER_SIZE_V2, "header must be 160 bytes");

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

/* What a reader reports (spec 6). */
typedef enum vas_frames_status {
    VAS_FRAMES_LIVE = 0,         /* attached, writer alive, stream running */
    VAS_FRAMES_IDLE = 1,         /* attached, writer alive, stream ended: the last frames stay readable */
    VAS_FRAMES_RESTARTED = 2,    /* once, instead of LIVE or IDLE, after attaching to another generation */
    VAS_FRAMES_NOT_PRESENT = 3,  /* no export now (not started, stopped, between two generations) */
    VAS_FRAMES_WRITER_DEAD = 4,  /* writer gone (crashed, killed) or frozen for more than 2 s */
    VAS_FRAMES_INVALID = 5       /* something unusable at the path: the reader's error says what */
} vas_frames_status;

/* Return codes of vas_frames_read_latest and vas_frames_wait_next. */
enum {
    VAS_FRAMES_READ_OK = 0,           /* dst and *info hold one valid frame */
    VAS_FRAMES_READ_NO_FRAME = 1,     /* latest_frame_id is 0: nothing committed yet */
    VAS_FRAMES_READ_SKIPPED = 2,      /* no valid read in VAS_FRAMES_READ_TRIES attempts */
    VAS_FRAMES_READ_NOT_READABLE = 3, /* the status is not live or idle (vas_frames_reader_status says why) */
    VAS_FRAMES_READ_TIMEOUT = 4,      /* vas_frames_wait_next: no newer frame in time */
    VAS_FRAMES_READ_EINVAL = -1       /* dst_len < vas_frames_frame_size(), or a NULL argument */
};

/* One attached generation: the two read-only MAP_SHARED mappings and its static fields,
 * copied and validated at attach (they never change afterwards). */
typedef struct vas_frames_export {
    const unsigned char *meta;      /* mapping of frame.meta; NULL when detached */
    size_t meta_len;
    const unsigned char *data;      /* mapping of frame.data */
    size_t data_len;
    uint64_t *data_offsets;         /* per slot, as checked at attach (spec 7) */
    uint32_t version, header_size, slot_meta_size, slot_count, slot_stride;
    uint32_t width, height, y_stride, uv_stride, uv_offset, frame_size;
    uint32_t writer_pid, heartbeat_interval_ms;
    uint32_t color_matrix, color_range;     /* version 1 files: BT.601, limited (spec 3.5) */
    uint64_t generation, writer_pidns, created_realtime_ns;
    dev_t dir_dev;                  /* the camera directory attached */
    ino_t dir_ino;
} vas_frames_export;

/* A reader of one camera's export. Initialise with vas_frames_reader_init. */
typedef struct vas_frames_reader {
    char path[PATH_MAX];            /* <dir>/<camera_id> */
    vas_frames_export ex;           /* ex.meta == NULL while detached */
    char error[PATH_MAX + 256];     /* one-line reason while the status is INVALID, else "" */
    uint64_t skipped;               /* read attempts discarded (odd, overwritten, lapped, size, busy) */
    /* Internal state. */
    uint64_t own_pidns;             /* inode of our /proc/self/ns/pid, 0 if unknown */
    uint64_t known_generation;      /* last generation attached, 0 = none (generations are never 0) */
    int restart_pending;
    int heartbeat_dead;             /* verdict of liveness rules 3 and 4 (spec 6.3) */
    uint64_t busy_since_ns;         /* first BUSY of the current run, 0 = none */
    uint64_t last_generation, last_frame_id;   /* the frame last returned */
    int futex_ok;                   /* 0 once FUTEX_WAIT was refused: poll */
} vas_frames_reader;

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
    uint32_t color_matrix;          /* H.273 code; version 1 exports: BT.601 */
    uint32_t color_range;           /* 1 limited, 2 full */
    uint32_t source_width;          /* camera picture before scaling; 0 (both) while not known */
    uint32_t source_height;
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
    /* load_acquire of an atomic u32 field (4-byte aligned: checked at attach). */
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

static inline void vas_frames__sleep_ns(uint64_t ns) {
    struct timespec ts = { (time_t)(ns / 1000000000u), (long)(ns % 1000000000u) };
    nanosleep(&ts, NULL);
}

/* FUTEX_WAIT on notify_seq (spec 5.4): sleeps while the word equals expected, until a
 * FUTEX_WAKE, the timeout or a signal. Reads the word, writes nothing; shared (no
 * FUTEX_PRIVATE_FLAG) because the word lives in a shared file mapping. 0 if futex cannot be
 * used here (the caller then polls). */
static inline int vas_frames__futex_wait(const unsigned char *meta, uint32_t expected, uint64_t timeout_ns) {
#if defined(__linux__) && defined(SYS_futex)
    struct timespec ts = { (time_t)(timeout_ns / 1000000000u), (long)(timeout_ns % 1000000000u) };
    if (syscall(SYS_futex, meta + VAS_FRAMES_HEADER_NOTIFY_SEQ, (long)FUTEX_WAIT, (long)expected, &ts,
                (void *)0, 0L) == 0)
        return 1;
    /* EAGAIN: the word had already changed; ETIMEDOUT; EINTR: a signal. All: look again. */
    return errno == EAGAIN || errno == ETIMEDOUT || errno == EINTR;
#else
    (void)meta; (void)expected; (void)timeout_ns;
    return 0;
#endif
}

/* ---------------------------------------------------------------------------------------- */
/* Validation (spec section 7)                                                              */
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
 * Checks a frame.meta of meta_len bytes (mapped at meta; may be NULL when meta_len < 128)
 * against a frame.data of data_len bytes: every rule of spec section 7, in its order. Returns
 * 1 if valid, 0 with a message naming the field and both values in err otherwise (the same
 * messages as the Python reader).
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
    const unsigned long long generation = vas_frames__u64(meta, VAS_FRAMES_HEADER_GENERATION);
    const uint32_t min_header = version >= 2u ? VAS_FRAMES_HEADER_SIZE_V2 : VAS_FRAMES_HEADER_SIZE_V1;
    const unsigned long long expected_frame_size =
        (unsigned long long)y_stride * height + (unsigned long long)uv_stride * (height / 2u);
    const unsigned long long y_plane = (unsigned long long)y_stride * height;
    const unsigned long long meta_needed = (unsigned long long)header_size + (unsigned long long)slot_count * slot_meta_size;
    const unsigned long long data_needed = (unsigned long long)slot_count * slot_stride;

    if (version < 1u)
        VAS_FRAMES__FAIL("version %u is older than 1", version);
    if (generation == 0u)
        VAS_FRAMES__FAIL("generation %llu: must be non-zero", generation);
    if (header_size < min_header)
        VAS_FRAMES__FAIL("header_size %u < %u (version %u)", header_size, min_header, version);
    if (slot_meta_size < VAS_FRAMES_SLOT_META_SIZE_V1)
        VAS_FRAMES__FAIL("slot_meta_size %u < %u", slot_meta_size, VAS_FRAMES_SLOT_META_SIZE_V1);
    if (header_size % 8u != 0)
        VAS_FRAMES__FAIL("header_size %u is not a multiple of 8", header_size);
    if (slot_meta_size % 8u != 0)
        VAS_FRAMES__FAIL("slot_meta_size %u is not a multiple of 8", slot_meta_size);
    if (pixel_format != VAS_FRAMES_PIXEL_FORMAT_NV12)
        VAS_FRAMES__FAIL("pixel_format 0x%x is not NV12 (0x%x)", pixel_format, VAS_FRAMES_PIXEL_FORMAT_NV12);
    if (width == 0 || width % 2u != 0 || height == 0 || height % 2u != 0)
        VAS_FRAMES__FAIL("geometry %ux%u is not even and non-zero", width, height);
    if (y_stride < width)
        VAS_FRAMES__FAIL("y_stride %u < width %u", y_stride, width);
    if (uv_stride < width)
        VAS_FRAMES__FAIL("uv_stride %u < width %u", uv_stride, width);
    if ((unsigned long long)uv_offset != y_plane)
        VAS_FRAMES__FAIL("uv_offset %u != y_stride*height (%llu)", uv_offset, y_plane);
    if ((unsigned long long)frame_size != expected_frame_size)
        VAS_FRAMES__FAIL("frame_size %u != y_stride*height + uv_stride*height/2 (%llu)", frame_size, expected_frame_size);
    if (slot_count < 1u)
        VAS_FRAMES__FAIL("slot_count %u < 1", slot_count);
    if (slot_stride < frame_size)
        VAS_FRAMES__FAIL("slot_stride %u < frame_size %u", slot_stride, frame_size);
    if (slot_stride % VAS_FRAMES_SLOT_ALIGNMENT != 0)
        VAS_FRAMES__FAIL("slot_stride %u is not a multiple of %u", slot_stride, VAS_FRAMES_SLOT_ALIGNMENT);
    if (meta_len < meta_needed)
        VAS_FRAMES__FAIL("frame.meta is %llu bytes, needs %llu", (unsigned long long)meta_len, meta_needed);
    if (data_len < data_needed)
        VAS_FRAMES__FAIL("frame.data is %llu bytes, needs %llu", (unsigned long long)data_len, data_needed);
    for (uint32_t i = 0; i < slot_count; i++) {
        const size_t record = (size_t)header_size + (size_t)i * slot_meta_size;
        const uint32_t index = vas_frames__u32(meta, record + VAS_FRAMES_SLOT_INDEX);
        const unsigned long long offset = vas_frames__u64(meta, record + VAS_FRAMES_SLOT_DATA_OFFSET);
        if (index != i)
            VAS_FRAMES__FAIL("slot %u: slot_index %u != %u", i, index, i);
        if (offset % VAS_FRAMES_SLOT_ALIGNMENT != 0)
            VAS_FRAMES__FAIL("slot %u: data_offset %llu is not a multiple of %u", i, offset, VAS_FRAMES_SLOT_ALIGNMENT);
        if (offset > data_len || data_len - offset < frame_size)   /* offset + frame_size > size, without overflow */
            VAS_FRAMES__FAIL("slot %u: data_offset %llu + frame_size %u > frame.data size %llu", i, offset, frame_size,
                             (unsigned long long)data_len);
    }
    return 1;
#undef VAS_FRAMES__FAIL
}

/* ---------------------------------------------------------------------------------------- */
/* Attach / detach (spec 1, 6.1 step 2)                                                     */
/* ---------------------------------------------------------------------------------------- */

static inline void vas_frames__detach(vas_frames_reader *r) {
    vas_frames_export *ex = &r->ex;
    if (ex->meta != NULL) munmap((void *)(uintptr_t)ex->meta, ex->meta_len);
    if (ex->data != NULL) munmap((void *)(uintptr_t)ex->data, ex->data_len);
    free(ex->data_offsets);
    memset(ex, 0, sizeof *ex);
}

/* An errno met on the way to the files (spec 6.1 steps 1-2). name: what was being opened. */
static inline vas_frames_status vas_frames__os_error(vas_frames_reader *r, const char *name, int e) {
    if (e == EACCES || e == EPERM)
        snprintf(r->error, sizeof r->error, "permission denied");
    else if (e == ELOOP)
        snprintf(r->error, sizeof r->error, "%s is a symbolic link", name);
    else
        snprintf(r->error, sizeof r->error, "%s: %.200s", name, strerror(e));
    return VAS_FRAMES_INVALID;
}

/* Maps <path>/frame.meta and frame.data read-only, both from one directory inode, and
 * validates them. Returns VAS_FRAMES_LIVE when attached, else the status to report. */
static inline vas_frames_status vas_frames__attach(vas_frames_reader *r) {
    vas_frames_status result = VAS_FRAMES_INVALID;
    int fds[3] = { -1, -1, -1 };    /* directory, frame.meta, frame.data */
    void *meta = MAP_FAILED, *data = MAP_FAILED;
    uint64_t *offsets = NULL;
    struct stat dst, mst, fst;
    size_t meta_len = 0, data_len = 0;
    const char *const names[2] = { VAS_FRAMES_META_FILE_NAME, VAS_FRAMES_DATA_FILE_NAME };

    fds[0] = open(r->path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fds[0] < 0 || fstat(fds[0], &dst) != 0) {
        result = errno == ENOENT || errno == ENOTDIR ? VAS_FRAMES_NOT_PRESENT : vas_frames__os_error(r, r->path, errno);
        goto out;
    }
    /* Both files from the SAME directory inode (spec 1): openat(dirfd, ...). Opening two paths
     * in turn could pair the meta of one generation with the data of the next. */
    for (int i = 0; i < 2; i++) {
        fds[i + 1] = openat(fds[0], names[i], O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        if (fds[i + 1] < 0) {
            /* ENOENT: the directory is being built or removed. */
            result = errno == ENOENT ? VAS_FRAMES_NOT_PRESENT : vas_frames__os_error(r, names[i], errno);
            goto out;
        }
    }
    if (fstat(fds[1], &mst) != 0 || fstat(fds[2], &fst) != 0) {
        result = vas_frames__os_error(r, "fstat", errno);
        goto out;
    }
    if (!S_ISREG(mst.st_mode) || !S_ISREG(fst.st_mode)) {
        const int meta_bad = !S_ISREG(mst.st_mode);
        snprintf(r->error, sizeof r->error, "%s is not a regular file (mode 0o%o)", names[meta_bad ? 0 : 1],
                 (unsigned)(meta_bad ? mst.st_mode : fst.st_mode));
        goto out;
    }
    if ((uint64_t)mst.st_size < VAS_FRAMES_HEADER_SIZE_V1) {   /* before mapping: mmap refuses 0 bytes */
        vas_frames_validate(NULL, (uint64_t)mst.st_size, (uint64_t)fst.st_size, r->error, sizeof r->error);
        goto out;
    }
    if ((uint64_t)mst.st_size > SIZE_MAX || (uint64_t)fst.st_size > SIZE_MAX) {
        snprintf(r->error, sizeof r->error, "frame.meta or frame.data is too large to map");
        goto out;
    }
    meta_len = (size_t)mst.st_size;
    data_len = (size_t)fst.st_size;
    /* Read-only and shared: we see the writer's stores and can never write. */
    meta = mmap(NULL, meta_len, PROT_READ, MAP_SHARED, fds[1], 0);
    if (meta == MAP_FAILED) {
        result = vas_frames__os_error(r, "mmap frame.meta", errno);
        goto out;
    }
    if (!vas_frames_validate((const unsigned char *)meta, meta_len, data_len, r->error, sizeof r->error)) goto out;
    /* Validated: data_len >= slot_count * slot_stride >= 4096, so never an empty mapping. */
    data = mmap(NULL, data_len, PROT_READ, MAP_SHARED, fds[2], 0);
    if (data == MAP_FAILED) {
        result = vas_frames__os_error(r, "mmap frame.data", errno);
        goto out;
    }
    {
        const unsigned char *m = (const unsigned char *)meta;
        vas_frames_export *ex = &r->ex;
        const uint32_t slot_count = vas_frames__u32(m, VAS_FRAMES_HEADER_SLOT_COUNT);
        offsets = (uint64_t *)malloc((size_t)slot_count * sizeof *offsets);
        if (offsets == NULL) {
            result = vas_frames__os_error(r, "slot table", ENOMEM);
            goto out;
        }
        ex->version = vas_frames__u32(m, VAS_FRAMES_HEADER_VERSION);
        ex->header_size = vas_frames__u32(m, VAS_FRAMES_HEADER_HEADER_SIZE);
        ex->slot_meta_size = vas_frames__u32(m, VAS_FRAMES_HEADER_SLOT_META_SIZE);
        ex->slot_count = slot_count;
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
        if (ex->version >= 2u) {
            ex->color_matrix = vas_frames__u32(m, VAS_FRAMES_HEADER_COLOR_MATRIX);
            ex->color_range = vas_frames__u32(m, VAS_FRAMES_HEADER_COLOR_RANGE);
        } else {  /* spec 3.5: BT.601 (FFmpeg's rule for an unspecified matrix), limited */
            ex->color_matrix = VAS_FRAMES_COLOR_MATRIX_BT601;
            ex->color_range = VAS_FRAMES_COLOR_RANGE_LIMITED;
        }
        for (uint32_t i = 0; i < slot_count; i++)
            offsets[i] = vas_frames__u64(m, (size_t)ex->header_size + (size_t)i * ex->slot_meta_size +
                                                VAS_FRAMES_SLOT_DATA_OFFSET);
        ex->data_offsets = offsets;
        ex->meta = m;
        ex->meta_len = meta_len;
        ex->data = (const unsigned char *)data;
        ex->data_len = data_len;
        ex->dir_dev = dst.st_dev;
        ex->dir_ino = dst.st_ino;
        offsets = NULL;             /* owned by ex now */
        meta = data = MAP_FAILED;
    }
    r->busy_since_ns = 0;
    r->heartbeat_dead = 0;
    if (r->known_generation != 0 && r->ex.generation != r->known_generation) r->restart_pending = 1;
    r->known_generation = r->ex.generation;
    result = VAS_FRAMES_LIVE;
out:
    free(offsets);
    if (meta != MAP_FAILED) munmap(meta, meta_len);
    if (data != MAP_FAILED) munmap(data, data_len);
    for (int i = 0; i < 3; i++)
        if (fds[i] >= 0) close(fds[i]);
    return result;
}

/* ---------------------------------------------------------------------------------------- */
/* Reader protocol (spec 5.2)                                                               */
/* ---------------------------------------------------------------------------------------- */

/* read_status(): a consistent copy of the status block. 1 on success, 0 (BUSY) if status_seq
 * was odd or moved for every one of VAS_FRAMES_STATUS_TRIES tries. */
static inline int vas_frames_read_status(const vas_frames_export *ex, vas_frames_status_block *out) {
    const unsigned char *m = ex->meta;
    for (int attempt = 0; attempt < VAS_FRAMES_STATUS_TRIES; attempt++) {
        uint32_t s1 = vas_frames__load_acquire(m, VAS_FRAMES_HEADER_STATUS_SEQ);
        if (s1 & 1u) continue;      /* the writer is inside publish() */
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

/* read_latest() on the attached generation: never a torn frame. */
static inline int vas_frames__read(vas_frames_reader *r, void *dst, size_t dst_len, vas_frame_info *info) {
    const vas_frames_export *ex = &r->ex;
    const unsigned char *m = ex->meta;
    if (dst == NULL || dst_len < ex->frame_size) return VAS_FRAMES_READ_EINVAL;
    for (int attempt = 0; attempt < VAS_FRAMES_READ_TRIES; attempt++) {
        vas_frames_status_block status;
        if (!vas_frames_read_status(ex, &status)) {     /* BUSY */
            r->skipped++;
            continue;
        }
        const uint64_t latest = status.latest_frame_id;
        if (latest == 0) return VAS_FRAMES_READ_NO_FRAME;
        const uint32_t index = (uint32_t)((latest - 1u) % ex->slot_count);
        const size_t record = (size_t)ex->header_size + (size_t)index * ex->slot_meta_size;
        const uint64_t data_offset = ex->data_offsets[index];   /* as checked at attach */

        const uint32_t q1 = vas_frames__load_acquire(m, record + VAS_FRAMES_SLOT_SEQ);
        if (q1 & 1u) {              /* being written: skip */
            r->skipped++;
            continue;
        }
        __atomic_thread_fence(__ATOMIC_ACQUIRE);   /* fence_r: fields and bytes after q1 */
        const uint64_t frame_id = vas_frames__load_u64_relaxed(m, record + VAS_FRAMES_SLOT_FRAME_ID);
        const uint64_t timestamp_ns = vas_frames__load_u64_relaxed(m, record + VAS_FRAMES_SLOT_TIMESTAMP_NS);
        const uint64_t wallclock_ns = vas_frames__load_u64_relaxed(m, record + VAS_FRAMES_SLOT_WALLCLOCK_NS);
        const uint32_t data_size = vas_frames__load_relaxed(m, record + VAS_FRAMES_SLOT_DATA_SIZE);
        /* Racy copy by design (seqlock): discarded below unless the slot stayed stable. */
        memcpy(dst, ex->data + (size_t)data_offset, ex->frame_size);
        __atomic_thread_fence(__ATOMIC_ACQUIRE);   /* fence_r: every copy load before q2 */
        const uint32_t q2 = vas_frames__load_acquire(m, record + VAS_FRAMES_SLOT_SEQ);
        if (q2 != q1 || frame_id != latest || data_size != ex->frame_size) {
            /* Overwritten while copying, lapped (the slot holds another frame), or a corrupt
             * record: discard. */
            r->skipped++;
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
            info->color_matrix = ex->color_matrix;
            info->color_range = ex->color_range;
            info->source_width = info->source_height = 0;
            if (ex->version >= 2u) {
                /* Spec 3.1: source_width first (load-acquire; the writer stores it last). */
                info->source_width = vas_frames__load_acquire(m, VAS_FRAMES_HEADER_SOURCE_WIDTH);
                if (info->source_width != 0)
                    info->source_height = vas_frames__load_acquire(m, VAS_FRAMES_HEADER_SOURCE_HEIGHT);
            }
        }
        return VAS_FRAMES_READ_OK;
    }
    return VAS_FRAMES_READ_SKIPPED;
}

/* ---------------------------------------------------------------------------------------- */
/* Status (spec 6.1) and liveness (spec 6.3)                                                */
/* ---------------------------------------------------------------------------------------- */

/* Liveness rules 1 and 2 for a pid of OUR pid namespace: 1 if the process does not exist or
 * is a zombie (killed, not yet reaped). Never called with pid 0 or a negative pid. */
static inline int vas_frames__process_gone(uint32_t pid) {
    if (kill((pid_t)pid, 0) != 0 && errno == ESRCH) return 1;   /* EPERM: exists (another user) */
    char path[32], line[512];
    snprintf(path, sizeof path, "/proc/%u/stat", (unsigned)pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return 0;           /* /proc unreadable: the heartbeat rule judges, at most 2 s later */
    ssize_t n = read(fd, line, sizeof line - 1);
    close(fd);
    if (n <= 0) return 0;
    line[n] = '\0';
    /* "pid (comm) S ...": comm may contain ')' and spaces, the state follows the last ')'. */
    const char *p = strrchr(line, ')');
    if (p == NULL) return 0;
    p++;
    while (*p == ' ') p++;
    return *p == 'Z' || *p == 'X';
}

static inline int vas_frames__writer_dead(vas_frames_reader *r) {
    const vas_frames_export *ex = &r->ex;
    /* Rules 1-2: pid checks only in the writer's own pid namespace (elsewhere the pid names
     * another process). kill() never sees pid 0 (our process group) or a negative pid. */
    if (ex->writer_pidns != 0 && ex->writer_pidns == r->own_pidns && ex->writer_pid > 0 &&
        ex->writer_pid <= 0x7fffffffu && vas_frames__process_gone(ex->writer_pid))
        return 1;
    const uint64_t now = vas_frames_monotonic_ns();
    const uint64_t stale = (uint64_t)VAS_FRAMES_HEARTBEAT_STALE_MS * 1000000u;
    vas_frames_status_block status;
    if (!vas_frames_read_status(ex, &status)) {
        /* Rule 4: BUSY. A writer that died inside publish() leaves status_seq odd: dead once
         * that has lasted 2 s; until then the previous verdict stands. */
        if (r->busy_since_ns == 0) r->busy_since_ns = now;
        if (now - r->busy_since_ns > stale) r->heartbeat_dead = 1;
        return r->heartbeat_dead;
    }
    r->busy_since_ns = 0;
    /* Rule 3: stale heartbeat. */
    r->heartbeat_dead = now > status.heartbeat_ns && now - status.heartbeat_ns > stale;
    return r->heartbeat_dead;
}

/* Steps 1-4, 6 and 7 of spec 6.1 (step 5, RESTARTED, is vas_frames_reader_status's). */
static inline vas_frames_status vas_frames__evaluate(vas_frames_reader *r) {
    struct stat st;
    r->error[0] = '\0';
    /* 1. Path. */
    if (lstat(r->path, &st) != 0) {
        const int e = errno;
        vas_frames__detach(r);
        return e == ENOENT || e == ENOTDIR ? VAS_FRAMES_NOT_PRESENT : vas_frames__os_error(r, r->path, e);
    }
    if (!S_ISDIR(st.st_mode)) {
        vas_frames__detach(r);
        if (S_ISLNK(st.st_mode))
            snprintf(r->error, sizeof r->error, "%s is a symbolic link, not the export directory", r->path);
        else
            snprintf(r->error, sizeof r->error, "%s is not a directory (mode 0o%o)", r->path, (unsigned)st.st_mode);
        return VAS_FRAMES_INVALID;
    }
    /* 2. Attach, or re-attach when the path names another directory (a restart). */
    if (r->ex.meta == NULL || st.st_dev != r->ex.dir_dev || st.st_ino != r->ex.dir_ino) {
        vas_frames__detach(r);
        const vas_frames_status attached = vas_frames__attach(r);
        if (attached != VAS_FRAMES_LIVE) return attached;
    }
    /* 3. State. */
    const uint32_t state = vas_frames__load_acquire(r->ex.meta, VAS_FRAMES_HEADER_STATE);
    if (state == VAS_FRAMES_STATE_STOPPED) return VAS_FRAMES_NOT_PRESENT;
    if (state != VAS_FRAMES_STATE_LIVE && !(state == VAS_FRAMES_STATE_IDLE && r->ex.version >= 2u)) {
        snprintf(r->error, sizeof r->error, "unknown state %u", (unsigned)state);
        return VAS_FRAMES_INVALID;
    }
    /* 4. Liveness. */
    if (vas_frames__writer_dead(r)) return VAS_FRAMES_WRITER_DEAD;
    /* 6, 7. */
    return state == VAS_FRAMES_STATE_IDLE ? VAS_FRAMES_IDLE : VAS_FRAMES_LIVE;
}

/* ---------------------------------------------------------------------------------------- */
/* Public API                                                                               */
/* ---------------------------------------------------------------------------------------- */

/* Prepares a reader of <dir>/<camera_id> (dir NULL: $AI_FRAME_EXPORT_DIR, else
 * VAS_FRAMES_DEFAULT_DIR). Does not need the export to exist. 0, or -1 with errno EINVAL (bad
 * camera id) or ENAMETOOLONG. */
static inline int vas_frames_reader_init(vas_frames_reader *r, const char *dir, const char *camera_id) {
    memset(r, 0, sizeof *r);
    r->futex_ok = 1;
    if (!vas_frames_valid_camera_id(camera_id)) {
        errno = EINVAL;
        return -1;
    }
    if (dir == NULL) dir = getenv("AI_FRAME_EXPORT_DIR");
    if (dir == NULL || dir[0] == '\0') dir = VAS_FRAMES_DEFAULT_DIR;
    const int n = snprintf(r->path, sizeof r->path, "%s/%s", dir, camera_id);
    if (n < 0 || (size_t)n >= sizeof r->path) {
        errno = ENAMETOOLONG;
        return -1;
    }
    struct stat ns;
    r->own_pidns = stat("/proc/self/ns/pid", &ns) == 0 ? (uint64_t)ns.st_ino : 0;
    return 0;
}

/* Unmaps. Safe twice; the reader can be used again (it re-attaches). */
static inline void vas_frames_reader_close(vas_frames_reader *r) {
    vas_frames__detach(r);
}

/* The status now (spec 6), RESTARTED once after attaching to a new generation. While INVALID,
 * r->error holds the reason. */
static inline vas_frames_status vas_frames_reader_status(vas_frames_reader *r) {
    const vas_frames_status st = vas_frames__evaluate(r);
    if ((st == VAS_FRAMES_LIVE || st == VAS_FRAMES_IDLE) && r->restart_pending) {
        r->restart_pending = 0;
        return VAS_FRAMES_RESTARTED;
    }
    return st;
}

/* frame_size of the attached generation (the buffer size the reads need), 0 if none. */
static inline uint32_t vas_frames_frame_size(const vas_frames_reader *r) {
    return r->ex.meta != NULL ? r->ex.frame_size : 0u;
}

/*
 * Copies the latest valid frame into dst (frame_size bytes) and fills *info (may be NULL).
 * Evaluates the status first: reads only while it is live or idle (spec 6.2). Discarded
 * attempts increment r->skipped.
 */
static inline int vas_frames_read_latest(vas_frames_reader *r, void *dst, size_t dst_len, vas_frame_info *info) {
    const vas_frames_status st = vas_frames__evaluate(r);
    if (st != VAS_FRAMES_LIVE && st != VAS_FRAMES_IDLE) return VAS_FRAMES_READ_NOT_READABLE;
    vas_frame_info local;
    vas_frame_info *out = info != NULL ? info : &local;
    const int rc = vas_frames__read(r, dst, dst_len, out);
    if (rc == VAS_FRAMES_READ_OK) {
        r->last_generation = out->generation;
        r->last_frame_id = out->frame_id;
    }
    return rc;
}

/*
 * Waits for a frame newer than the last one returned by vas_frames_read_latest /
 * vas_frames_wait_next (a frame of another generation always counts as newer) and copies it
 * (spec 5.4). timeout_ms < 0: no timeout. Sleeps in FUTEX_WAIT on notify_seq (version 2),
 * woken by the writer's commit, re-evaluating the status at least every
 * VAS_FRAMES_WAIT_RECHECK_MS; polls every VAS_FRAMES_FRAME_POLL_MS on a version 1 export (or
 * where futex is refused), every VAS_FRAMES_POLL_MS while nothing is readable.
 * Returns VAS_FRAMES_READ_OK, VAS_FRAMES_READ_TIMEOUT, or VAS_FRAMES_READ_EINVAL when dst_len
 * is below vas_frames_frame_size() (grow the buffer and call again).
 */
static inline int vas_frames_wait_next(vas_frames_reader *r, void *dst, size_t dst_len, vas_frame_info *info,
                                       int64_t timeout_ms) {
    const uint64_t deadline = timeout_ms < 0 ? UINT64_MAX : vas_frames_monotonic_ns() + (uint64_t)timeout_ms * 1000000u;
    for (;;) {
        const vas_frames_status st = vas_frames__evaluate(r);
        const int readable = st == VAS_FRAMES_LIVE || st == VAS_FRAMES_IDLE;
        int can_wait = 0;
        uint32_t word = 0;
        if (readable) {
            if (dst == NULL || dst_len < r->ex.frame_size) return VAS_FRAMES_READ_EINVAL;
            can_wait = r->futex_ok && r->ex.version >= 2u;
            /* Load notify_seq BEFORE looking for a frame. A commit after this load changes the
             * word, so FUTEX_WAIT below returns at once (EAGAIN) instead of sleeping through
             * that commit: no lost wake-up. A commit before it is seen by the read below (the
             * writer publishes, then bumps the word; this load is an acquire). */
            if (can_wait) word = vas_frames__load_acquire(r->ex.meta, VAS_FRAMES_HEADER_NOTIFY_SEQ);
            /* Copy only when the published id is newer: the frame last returned is not copied
             * again on every wake-up. */
            vas_frames_status_block published;
            const int busy = !vas_frames_read_status(&r->ex, &published);
            const int newer = busy || r->ex.generation != r->last_generation || published.latest_frame_id > r->last_frame_id;
            vas_frame_info found;
            if (newer && vas_frames__read(r, dst, dst_len, &found) == VAS_FRAMES_READ_OK &&
                (found.generation != r->last_generation || found.frame_id > r->last_frame_id)) {
                r->last_generation = found.generation;
                r->last_frame_id = found.frame_id;
                if (info != NULL) *info = found;
                return VAS_FRAMES_READ_OK;
            }
        }
        const uint64_t now = vas_frames_monotonic_ns();
        if (now >= deadline) return VAS_FRAMES_READ_TIMEOUT;
        const uint64_t remaining = deadline - now;
        if (can_wait) {
            const uint64_t recheck = (uint64_t)VAS_FRAMES_WAIT_RECHECK_MS * 1000000u;
            if (vas_frames__futex_wait(r->ex.meta, word, remaining < recheck ? remaining : recheck)) continue;
            r->futex_ok = 0;        /* refused (seccomp, ...): poll from now on */
        }
        const uint64_t poll = (uint64_t)(readable ? VAS_FRAMES_FRAME_POLL_MS : VAS_FRAMES_POLL_MS) * 1000000u;
        vas_frames__sleep_ns(remaining < poll ? remaining : poll);
    }
}

static inline const char *vas_frames_status_name(vas_frames_status s) {
    switch (s) {
    case VAS_FRAMES_LIVE: return "live";
    case VAS_FRAMES_IDLE: return "idle";
    case VAS_FRAMES_RESTARTED: return "restarted";
    case VAS_FRAMES_NOT_PRESENT: return "not-present";
    case VAS_FRAMES_WRITER_DEAD: return "writer-dead";
    case VAS_FRAMES_INVALID: return "invalid";
    }
    return "unknown";
}

/* ---------------------------------------------------------------------------------------- */
/* Colour (spec 3.3)                                                                        */
/* ---------------------------------------------------------------------------------------- */

/*
 * NV12 to packed 24-bit RGB (bgr != 0: BGR, OpenCV's order), width * 3 bytes per output row,
 * the reference formula of spec 3.3:
 *
 *   limited range: Y' = (Y - 16) * 255/219   Cb = (U - 128) * 255/224   Cr = (V - 128) * 255/224
 *   full range:    Y' = Y                    Cb = U - 128               Cr = V - 128
 *   R = Y' + 2 (1 - Kr) Cr
 *   G = Y' - 2 Kb (1 - Kb) / Kg Cb - 2 Kr (1 - Kr) / Kg Cr
 *   B = Y' + 2 (1 - Kb) Cb
 *   BT.709 (color_matrix 1): Kr = 0.2126, Kb = 0.0722; any other matrix is BT.601: Kr = 0.299,
 *   Kb = 0.114; Kg = 1 - Kr - Kb. color_range 2 is full, anything else limited.
 *
 * each rounded to nearest and clamped to 0..255; the chroma sample at (x/2, y/2) serves the
 * 2x2 block at (x, y). With a frame: vas_frames_nv12_to_rgb24(buf, info.width, info.height,
 * info.y_stride, info.uv_stride, info.color_matrix, info.color_range, rgb, 0).
 */
static inline void vas_frames_nv12_to_rgb24(const void *nv12, uint32_t width, uint32_t height, uint32_t y_stride,
                                            uint32_t uv_stride, uint32_t color_matrix, uint32_t color_range,
                                            uint8_t *rgb, int bgr) {
    const int bt709 = color_matrix == VAS_FRAMES_COLOR_MATRIX_BT709;
    const float kr = bt709 ? 0.2126f : 0.299f, kb = bt709 ? 0.0722f : 0.114f, kg = 1.0f - kr - kb;
    const int full = color_range == VAS_FRAMES_COLOR_RANGE_FULL;
    const float y_scale = full ? 1.0f : 255.0f / 219.0f, y_offset = full ? 0.0f : 16.0f;
    const float c_scale = full ? 1.0f : 255.0f / 224.0f;
    const float r_v = c_scale * 2.0f * (1.0f - kr), b_u = c_scale * 2.0f * (1.0f - kb);
    const float g_u = -c_scale * 2.0f * kb * (1.0f - kb) / kg, g_v = -c_scale * 2.0f * kr * (1.0f - kr) / kg;
    const int ri = bgr ? 2 : 0, bi = bgr ? 0 : 2;
    const uint8_t *base = (const uint8_t *)nv12;
    const uint8_t *uv_plane = base + (size_t)y_stride * height;
    for (uint32_t y = 0; y < height; y++) {
        const uint8_t *luma = base + (size_t)y * y_stride;
        const uint8_t *chroma = uv_plane + (size_t)(y / 2u) * uv_stride;
        uint8_t *out = rgb + (size_t)y * width * 3u;
        for (uint32_t x = 0; x < width; x++) {
            const float lum = ((float)luma[x] - y_offset) * y_scale;
            const float cb = (float)chroma[x & ~1u] - 128.0f, cr = (float)chroma[x | 1u] - 128.0f;
            const float channels[3] = { lum + r_v * cr, lum + g_u * cb + g_v * cr, lum + b_u * cb };
            for (int c = 0; c < 3; c++) {
                const float v = channels[c] + 0.5f;   /* then truncation: round to nearest */
                out[3u * x + (unsigned)(c == 0 ? ri : c == 2 ? bi : 1)] = (uint8_t)(v <= 0.0f ? 0.0f : v >= 255.0f ? 255.0f : v);
            }
        }
    }
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
