// Bare C volatile loops over a mapped file, one access of each width per element, in
// ascending order: what bar_timing.lua's per-width figures are compared against
// (bench/bar_timing). No interpreter, no guard, no string: the most a per-width transfer
// can do on this memory. Prints "c_<dir>_<width> MB/s" lines, best of `passes`.
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

#define LOOPS(bits)                                                                       \
  static double write##bits(volatile uint8_t *p, size_t size) {                           \
    double t = now();                                                                     \
    for (size_t o = 0; o < size; o += bits / 8)                                           \
      *(volatile uint##bits##_t *)(p + o) = (uint##bits##_t)(o * 0x9E3779B97F4A7C15u);    \
    return now() - t;                                                                     \
  }                                                                                       \
  static double read##bits(volatile uint8_t *p, size_t size, uint64_t *sink) {            \
    double t = now();                                                                     \
    uint64_t s = 0;                                                                       \
    for (size_t o = 0; o < size; o += bits / 8) s += *(volatile uint##bits##_t *)(p + o); \
    *sink += s;                                                                           \
    return now() - t;                                                                     \
  }
LOOPS(8)
LOOPS(16)
LOOPS(32)
LOOPS(64)

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: volatile_loops FILE PASSES\n");
    return 2;
  }
  int fd = open(argv[1], O_RDWR);
  if (fd < 0) return perror(argv[1]), 1;
  size_t size = (size_t)lseek(fd, 0, SEEK_END);
  volatile uint8_t *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (p == MAP_FAILED) return perror("mmap"), 1;
  int passes = atoi(argv[2]);
  uint64_t sink = 0;
  double w[4] = {1e9, 1e9, 1e9, 1e9}, r[4] = {1e9, 1e9, 1e9, 1e9}, t;
  for (int i = 0; i < passes; i++) {
    if ((t = write8(p, size)) < w[0]) w[0] = t;
    if ((t = read8(p, size, &sink)) < r[0]) r[0] = t;
    if ((t = write16(p, size)) < w[1]) w[1] = t;
    if ((t = read16(p, size, &sink)) < r[1]) r[1] = t;
    if ((t = write32(p, size)) < w[2]) w[2] = t;
    if ((t = read32(p, size, &sink)) < r[2]) r[2] = t;
    if ((t = write64(p, size)) < w[3]) w[3] = t;
    if ((t = read64(p, size, &sink)) < r[3]) r[3] = t;
  }
  static const char *names[4] = {"8", "16", "32", "64"};
  for (int k = 0; k < 4; k++) {
    printf("c_write_%s %.1f\n", names[k], size / w[k] / 1e6);
    printf("c_read_%s %.1f\n", names[k], size / r[k] / 1e6);
  }
  fprintf(stderr, "(sink %llu)\n", (unsigned long long)sink);
  return 0;
}
