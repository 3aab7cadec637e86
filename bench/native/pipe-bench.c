/*
 * The bench's native helper (built by bench/lib/native.ts with gcc). Four modes:
 *
 *   feed <frame_bytes> <fd>...
 *       The producer: "FFmpeg" writing raw frames into pipes, with no decode cost, the way
 *       FFmpeg's rawvideo output does: blocking write(2)s of CHUNK bytes (its AVIOContext
 *       buffer, IO_BUFFER_SIZE = 32768; env PIPE_BENCH_CHUNK overrides). Reads lines "N [fps
 *       [delay_us]]" on stdin and writes N frames to every fd, as fast as the readers take
 *       them, or paced at fps starting delay_us from now; answers "k\n" on stdout. Closes the
 *       fds at EOF.
 *   rate <frame_bytes> <fps> <warmup_ms> <window_ms> <stamps_file> <fd>...
 *       The same producer paced like cameras: camera i's frame k is due at
 *       start + i * period / N + k * period. Starts on a line on stdin, prints "start\n" when
 *       the warm-up is over and "end <frames written per camera...>\n" after the window, then
 *       closes the pipes and writes (camera, frame, CLOCK_MONOTONIC ns after the frame's last
 *       byte) as double triples to stamps_file.
 *   floor <frame_bytes> <slots> <file> [poll]
 *       The floor: read(2) from stdin (a pipe, enlarged like the tap's) straight into slot
 *       (count % slots) of a MAP_SHARED mapping of a tmpfs file; after each whole frame, the
 *       frame count (u64) is stored at offset 0 of the file. Nothing else. With "poll", the
 *       tap's syscall pattern without its JS: stdin non-blocking, poll(2) on it and an idle wake
 *       pipe (125 ms timeout), read(2) until a short read.
 *   run <out_file> <program> <args>...
 *       Runs program with this process's fds and writes "user_us sys_us" of it (wait4 rusage)
 *       to out_file. Exits with the program's status.
 *
 * Every frame carries u32 frame number (1-based, per fd) and u32 fd index in its first 8 bytes.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <errno.h>

static void die(const char *what) {
  perror(what);
  exit(1);
}

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void sleep_until(uint64_t ns) {
  struct timespec ts = { (time_t)(ns / 1000000000u), (long)(ns % 1000000000u) };
  while (now_ns() < ns && clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR) {}
}

static size_t chunk = 32768;

static void write_frame(int fd, uint8_t *frame, size_t size, uint32_t number, uint32_t index) {
  memcpy(frame, &number, 4);
  memcpy(frame + 4, &index, 4);
  for (size_t done = 0; done < size;) {
    ssize_t n = write(fd, frame + done, size - done < chunk ? size - done : chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) die("write");
    done += (size_t)n;
  }
}

static int producer(int argc, char **argv, int paced) {
  size_t size = strtoul(argv[2], NULL, 10);
  int first = paced ? 7 : 3;
  int cameras = argc - first;
  uint8_t *frame = malloc(size);
  uint32_t *written = calloc((size_t)cameras, sizeof *written);
  if (frame == NULL || written == NULL || cameras < 1) die("producer setup");
  if (getenv("PIPE_BENCH_CHUNK") != NULL) chunk = strtoul(getenv("PIPE_BENCH_CHUNK"), NULL, 10);
  for (size_t i = 8; i < size; i++) frame[i] = (uint8_t)(i * 131u >> 6);
  if (!paced) {
    char line[128];
    while (fgets(line, sizeof line, stdin) != NULL) {
      long count = 0;
      double fps = 0, delay_us = 0;
      if (sscanf(line, "%ld %lf %lf", &count, &fps, &delay_us) < 1) break;
      uint64_t start = now_ns() + (uint64_t)(delay_us * 1000);
      for (long k = 0; k < count; k++) {
        if (fps > 0) sleep_until(start + (uint64_t)(k * 1e9 / fps));
        for (int c = 0; c < cameras; c++) write_frame(atoi(argv[first + c]), frame, size, ++written[c], (uint32_t)c);
      }
      printf("k\n");
      fflush(stdout);
    }
  } else {
    double period = 1e9 / atof(argv[3]);
    uint64_t warmup = strtoull(argv[4], NULL, 10) * 1000000u, window = strtoull(argv[5], NULL, 10) * 1000000u;
    size_t cap = (size_t)cameras * (size_t)((warmup + window) / period + 4) * 3, used = 0;
    double *stamps = malloc(cap * sizeof *stamps);
    if (stamps == NULL || scanf("%*s") != 0) die("rate setup");
    uint64_t start = now_ns();
    int started = 0;
    for (;;) {
      uint64_t elapsed = now_ns() - start, earliest = UINT64_MAX;
      if (!started && elapsed >= warmup) {
        started = 1;
        printf("start\n");
        fflush(stdout);
      }
      if (elapsed >= warmup + window) break;
      for (int c = 0; c < cameras; c++) {
        uint64_t due = (uint64_t)(c * period / cameras + written[c] * period);
        if (due <= elapsed) {
          write_frame(atoi(argv[first + c]), frame, size, ++written[c], (uint32_t)c);
          if (used + 3 <= cap) {
            stamps[used++] = c;
            stamps[used++] = written[c];
            stamps[used++] = (double)now_ns();
          }
          due = (uint64_t)(c * period / cameras + written[c] * period);
        }
        if (due < earliest) earliest = due;
      }
      sleep_until(start + (earliest < warmup + window ? earliest : warmup + window));
    }
    for (int c = 0; c < cameras; c++) close(atoi(argv[first + c]));
    FILE *out = fopen(argv[6], "wb");
    if (out == NULL || fwrite(stamps, sizeof *stamps, used, out) != used || fclose(out) != 0) die(argv[6]);
    printf("end");
    for (int c = 0; c < cameras; c++) printf(" %u", written[c]);
    printf("\n");
    fflush(stdout);
    return 0;
  }
  for (int c = 0; c < cameras; c++) close(atoi(argv[first + c]));
  return 0;
}

static size_t pipe_max_size(void) {
  FILE *f = fopen("/proc/sys/fs/pipe-max-size", "r");
  unsigned long value = 1u << 20;
  if (f != NULL) {
    if (fscanf(f, "%lu", &value) != 1) value = 1u << 20;
    fclose(f);
  }
  return value;
}

static int floor_reader(char **argv, int poll_mode) {
  size_t size = strtoul(argv[2], NULL, 10), slots = strtoul(argv[3], NULL, 10);
  size_t stride = (size + 4095) & ~(size_t)4095, length = 4096 + slots * stride;
  int fd = open(argv[4], O_RDWR | O_CREAT, 0600);
  if (fd < 0 || ftruncate(fd, (off_t)length) != 0) die(argv[4]);
  uint8_t *map = mmap(NULL, length, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (map == MAP_FAILED) die("mmap");
  size_t pipe_size = size < pipe_max_size() ? size : pipe_max_size();
  if (fcntl(0, F_SETPIPE_SZ, (int)pipe_size) < (int)pipe_size) die("F_SETPIPE_SZ");
  uint64_t *count = (uint64_t *)map;
  int wake[2], must_poll = 1;
  struct pollfd fds[2] = { { -1, POLLIN, 0 }, { 0, POLLIN, 0 } };
  int polling = poll_mode && pipe(wake) == 0 && fcntl(0, F_SETFL, fcntl(0, F_GETFL) | O_NONBLOCK) == 0;
  if (polling) fds[0].fd = wake[0];
  for (uint64_t frames = 0;; frames++) {
    uint8_t *slot = map + 4096 + (frames % slots) * stride;
    for (size_t filled = 0; filled < size;) {
      if (polling && must_poll && poll(fds, 2, 125) <= 0) continue;
      ssize_t n = read(0, slot + filled, size - filled);
      if (n == 0) return 0;
      must_poll = n < 0 || (size_t)n < size - filled; /* a short read emptied the pipe */
      if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
      if (n < 0) die("read");
      filled += (size_t)n;
    }
    __atomic_store_n(count, frames + 1, __ATOMIC_RELEASE);
  }
}

static int run(char **argv) {
  pid_t pid = fork();
  if (pid < 0) die("fork");
  if (pid == 0) {
    execvp(argv[3], argv + 3);
    die(argv[3]);
  }
  /* The program holds the inherited fds (e.g. a tap pipe's write end); this process must not. */
  for (int fd = 3; fd < 1024; fd++) close(fd);
  int status;
  struct rusage usage;
  if (wait4(pid, &status, 0, &usage) != pid) die("wait4");
  FILE *out = fopen(argv[2], "w");
  if (out == NULL) die(argv[2]);
  fprintf(out, "%ld %ld\n", usage.ru_utime.tv_sec * 1000000L + usage.ru_utime.tv_usec,
          usage.ru_stime.tv_sec * 1000000L + usage.ru_stime.tv_usec);
  fclose(out);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int main(int argc, char **argv) {
  if (argc >= 4 && strcmp(argv[1], "feed") == 0) return producer(argc, argv, 0);
  if (argc >= 8 && strcmp(argv[1], "rate") == 0) return producer(argc, argv, 1);
  if ((argc == 5 || argc == 6) && strcmp(argv[1], "floor") == 0) return floor_reader(argv, argc == 6 && strcmp(argv[5], "poll") == 0);
  if (argc >= 4 && strcmp(argv[1], "run") == 0) return run(argv);
  fprintf(stderr, "usage: pipe-bench feed|rate|floor|run ... (see the source)\n");
  return 2;
}
