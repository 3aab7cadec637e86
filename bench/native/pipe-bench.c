/*
 * The bench's native helper, built by bench/lib/native.ts with gcc. Four modes:
 *
 *   feed <frame_bytes> <stamps_file|-> <fd>...
 *       The producer: "FFmpeg" writing raw frames into pipes, with no decode cost, the way
 *       FFmpeg's rawvideo output writes them: blocking write(2)s of 32 KiB (its AVIOContext
 *       buffer, IO_BUFFER_SIZE). Reads lines "N [fps [delay_us]]" on stdin and writes N frames
 *       to every fd, as fast as the readers take them, or paced like cameras: fd c's frame k is
 *       due at delay + (k + c / fds) / fps. Answers "k\n" when done. At EOF it closes the fds
 *       and writes (fd index, frame number, CLOCK_MONOTONIC ns after the frame's last byte) as
 *       double triples to stamps_file. Every frame carries u32 frame number (1-based per fd)
 *       and u32 fd index in its first 8 bytes.
 *   floor <frame_bytes> <slots> <file> [poll]
 *       The floor: read(2) from stdin (a pipe, enlarged like the tap's) straight into slot
 *       (count % slots) of a MAP_SHARED mapping of a tmpfs file; after each whole frame, the
 *       frame count (u64) at offset 0 of the file. Nothing else. With "poll", the tap's
 *       syscall pattern without its JS: non-blocking reads until a short read, then poll(2) on
 *       the pipe and an idle wake pipe.
 *   run <out_file> <program> <args>...
 *       Runs program with this process's fds and writes "user_us sys_us" of it (wait4 rusage)
 *       to out_file. Exits with the program's status.
 *   wake-floor <frame_bytes> <fps> <frames> <rounds>
 *       The floor of "commit -> reader holds its copy": a writer process fills a frame in a
 *       MAP_SHARED mapping (memset, as the tap's readv fills a slot), stamps CLOCK_MONOTONIC,
 *       bumps a futex word and FUTEX_WAKEs, <fps> times a second; a reader process waits on the
 *       word (FUTEX_WAIT), memcpys the frame into its own buffer and takes the time. Prints
 *       "p50_ns p99_ns" per round of <frames> frames.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/futex.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define CHUNK 32768

static void die(const char *what) {
  perror(what);
  exit(1);
}

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void write_frame(int fd, uint8_t *frame, size_t size) {
  for (size_t done = 0; done < size;) {
    ssize_t n = write(fd, frame + done, size - done < CHUNK ? size - done : CHUNK);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) die("write");
    done += (size_t)n;
  }
}

static int feed(int argc, char **argv) {
  size_t size = strtoul(argv[2], NULL, 10), used = 0, cap = 1 << 16;
  int fds = argc - 4;
  uint8_t *frame = malloc(size);
  uint32_t *written = calloc((size_t)fds, sizeof *written);
  double *stamps = malloc(cap * sizeof *stamps);
  if (frame == NULL || written == NULL || stamps == NULL || fds < 1) die("feed");
  for (size_t i = 8; i < size; i++) frame[i] = (uint8_t)(i * 131u >> 6);
  char line[128];
  while (fgets(line, sizeof line, stdin) != NULL) {
    long count = 0;
    double fps = 0, delay_us = 0;
    if (sscanf(line, "%ld %lf %lf", &count, &fps, &delay_us) < 1) break;
    uint64_t start = now_ns() + (uint64_t)(delay_us * 1000);
    for (long k = 0; k < count; k++) {
      for (int c = 0; c < fds; c++) {
        if (fps > 0) {
          uint64_t due = start + (uint64_t)((k + (double)c / fds) * 1e9 / fps);
          struct timespec ts = { (time_t)(due / 1000000000u), (long)(due % 1000000000u) };
          while (now_ns() < due && clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR) {}
        }
        uint32_t index = (uint32_t)c;
        written[c]++;
        memcpy(frame, &written[c], 4);
        memcpy(frame + 4, &index, 4);
        write_frame(atoi(argv[4 + c]), frame, size);
        if (used + 3 > cap && (stamps = realloc(stamps, (cap *= 2) * sizeof *stamps)) == NULL) die("realloc");
        stamps[used++] = c;
        stamps[used++] = written[c];
        stamps[used++] = (double)now_ns();
      }
    }
    printf("k\n");
    fflush(stdout);
  }
  for (int c = 0; c < fds; c++) close(atoi(argv[4 + c]));
  FILE *out = strcmp(argv[3], "-") == 0 ? NULL : fopen(argv[3], "wb");
  if (out != NULL && (fwrite(stamps, sizeof *stamps, used, out) != used || fclose(out) != 0)) die(argv[3]);
  return 0;
}

static int floor_reader(char **argv, int poll_mode) {
  size_t size = strtoul(argv[2], NULL, 10), slots = strtoul(argv[3], NULL, 10);
  size_t stride = (size + 4095) & ~(size_t)4095, length = 4096 + slots * stride;
  int fd = open(argv[4], O_RDWR | O_CREAT, 0600);
  if (fd < 0 || ftruncate(fd, (off_t)length) != 0) die(argv[4]);
  uint8_t *map = mmap(NULL, length, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (map == MAP_FAILED) die("mmap");
  unsigned long pipe_max = 1u << 20;
  FILE *f = fopen("/proc/sys/fs/pipe-max-size", "r");
  if (f != NULL) {
    if (fscanf(f, "%lu", &pipe_max) != 1) pipe_max = 1u << 20;
    fclose(f);
  }
  int pipe_size = (int)(size < pipe_max ? size : pipe_max);
  if (fcntl(0, F_SETPIPE_SZ, pipe_size) < pipe_size) die("F_SETPIPE_SZ");
  int wake[2], must_poll = 1;
  struct pollfd fds[2] = { { -1, POLLIN, 0 }, { 0, POLLIN, 0 } };
  if (poll_mode && (pipe(wake) != 0 || fcntl(0, F_SETFL, fcntl(0, F_GETFL) | O_NONBLOCK) != 0)) die("poll mode");
  fds[0].fd = poll_mode ? wake[0] : -1;
  for (uint64_t frames = 0;; frames++) {
    uint8_t *slot = map + 4096 + (frames % slots) * stride;
    for (size_t filled = 0; filled < size;) {
      if (poll_mode && must_poll && poll(fds, 2, 125) <= 0) continue;
      ssize_t n = read(0, slot + filled, size - filled);
      if (n == 0) return 0;
      must_poll = n < 0 || (size_t)n < size - filled; /* a short read emptied the pipe */
      if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
      if (n < 0) die("read");
      filled += (size_t)n;
    }
    __atomic_store_n((uint64_t *)map, frames + 1, __ATOMIC_RELEASE);
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

static uint64_t monotonic_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static int compare_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return x < y ? -1 : x > y;
}

static int wake_floor(char **argv) {
  size_t frame_bytes = strtoul(argv[2], NULL, 10);
  long fps = strtol(argv[3], NULL, 10);
  int frames = atoi(argv[4]), rounds = atoi(argv[5]);
  if (frame_bytes == 0 || fps <= 0 || frames <= 0 || rounds <= 0) die("wake-floor arguments");
  struct shared { uint32_t word; uint32_t pad; uint64_t committed_ns; } *shared =
      mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  unsigned char *frame = mmap(NULL, frame_bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (shared == MAP_FAILED || frame == MAP_FAILED) die("mmap");
  memset(frame, 1, frame_bytes);
  pid_t reader = fork();
  if (reader < 0) die("fork");
  if (reader == 0) {
    unsigned char *mine = malloc(frame_bytes);
    uint64_t *latency = malloc(sizeof(uint64_t) * (size_t)frames);
    if (mine == NULL || latency == NULL) die("malloc");
    memset(mine, 0, frame_bytes);
    for (int round = 0; round < rounds; round++) {
      for (int i = 0; i < frames; i++) {
        uint32_t seen = __atomic_load_n(&shared->word, __ATOMIC_ACQUIRE);
        while (__atomic_load_n(&shared->word, __ATOMIC_ACQUIRE) == seen) syscall(SYS_futex, &shared->word, FUTEX_WAIT, seen, NULL, NULL, 0);
        memcpy(mine, frame, frame_bytes);
        latency[i] = monotonic_ns() - __atomic_load_n(&shared->committed_ns, __ATOMIC_ACQUIRE);
      }
      qsort(latency, (size_t)frames, sizeof(uint64_t), compare_u64);
      printf("%llu %llu\n", (unsigned long long)latency[frames / 2], (unsigned long long)latency[frames * 99 / 100]);
      fflush(stdout);
    }
    _exit(mine[frame_bytes - 1] == 0xff ? 1 : 0); /* reads the copy: the compiler keeps it */
  }
  struct timespec period = { 0, 1000000000L / fps };
  for (long i = 0; i < (long)frames * rounds + 1; i++) {
    nanosleep(&period, NULL);
    memset(frame, (unsigned char)(i & 0x7f), frame_bytes);
    __atomic_store_n(&shared->committed_ns, monotonic_ns(), __ATOMIC_RELEASE);
    __atomic_add_fetch(&shared->word, 1, __ATOMIC_RELEASE);
    syscall(SYS_futex, &shared->word, FUTEX_WAKE, 1, NULL, NULL, 0);
  }
  int status;
  if (waitpid(reader, &status, 0) != reader) die("waitpid");
  return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

int main(int argc, char **argv) {
  if (argc >= 5 && strcmp(argv[1], "feed") == 0) return feed(argc, argv);
  if ((argc == 5 || argc == 6) && strcmp(argv[1], "floor") == 0) return floor_reader(argv, argc == 6);
  if (argc >= 4 && strcmp(argv[1], "run") == 0) return run(argv);
  if (argc == 6 && strcmp(argv[1], "wake-floor") == 0) return wake_floor(argv);
  fprintf(stderr, "usage: pipe-bench feed|floor|run|wake-floor ... (see the source)\n");
  return 2;
}
