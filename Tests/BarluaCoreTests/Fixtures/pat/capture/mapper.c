/* mapper: mmap PCI sysfs resource files for the PAT capture; args: [-k] PATH... maps each
   (whole file), touches the first word, then unmaps them in reverse order. */
#include <fcntl.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <stdlib.h>
int main(int argc, char **argv) {
  void *maps[8]; size_t sizes[8]; int n = 0;
  for (int i = 1; i < argc && n < 8; i++) {
    int fd = open(argv[i], O_RDWR | O_SYNC);
    if (fd < 0) { perror(argv[i]); continue; }
    struct stat st; fstat(fd, &st);
    void *p = mmap(NULL, st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED) { perror("mmap"); close(fd); continue; }
    printf("mapper: mapped %s size %ld\n", argv[i], (long)st.st_size); fflush(stdout);
    volatile unsigned *w = p; unsigned v = *w; (void)v;
    maps[n] = p; sizes[n] = st.st_size; n++;
    close(fd);
  }
  if (getenv("WHILE")) system(getenv("WHILE"));
  while (n-- > 0) munmap(maps[n], sizes[n]);
  return 0;
}
