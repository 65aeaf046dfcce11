/* mapper: mmap files for the PAT capture. Each argument is PATH (the whole file) or
   PATH@OFFSET+SIZE (hex or decimal). Maps each with O_RDWR|O_SYNC, reads the first word, runs
   $WHILE (if set) while everything is mapped, then unmaps in reverse order. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
int main(int argc, char **argv) {
  void *maps[8];
  size_t sizes[8];
  int n = 0;
  for (int i = 1; i < argc && n < 8; i++) {
    char path[256];
    off_t off = 0;
    size_t size = 0;
    snprintf(path, sizeof path, "%s", argv[i]);
    char *at = strchr(path, '@');
    if (at) {
      *at = 0;
      char *plus;
      off = strtoull(at + 1, &plus, 0);
      size = strtoull(plus + 1, NULL, 0);
    }
    int fd = open(path, O_RDWR | O_SYNC);
    if (fd < 0) {
      perror(path);
      continue;
    }
    if (!at) {
      struct stat st;
      fstat(fd, &st);
      size = st.st_size;
    }
    void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, off);
    if (p == MAP_FAILED) {
      fprintf(stderr, "mapper: mmap %s: ", argv[i]);
      perror("");
      close(fd);
      continue;
    }
    printf("mapper: mapped %s size %zu\n", argv[i], size);
    fflush(stdout);
    volatile unsigned *w = p;
    unsigned v = *w;
    (void)v;
    maps[n] = p;
    sizes[n] = size;
    n++;
    close(fd);
  }
  if (getenv("WHILE")) system(getenv("WHILE"));
  while (n-- > 0) munmap(maps[n], sizes[n]);
  return 0;
}
