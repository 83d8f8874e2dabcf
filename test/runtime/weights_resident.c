/*===- weights_resident.c - Embedded weights mapped at session creation -===*
 *
 * weights_resident LIB.so: dlopens a model library and prints how much of
 * its read-only data (where onnx-compile embeds the weights) is resident
 * in the process, from /proc/self/smaps, before and after the first
 * session is created. The runtime populates those pages at creation
 * (MADV_POPULATE_READ), so that the first run takes no page fault per
 * 64 KiB of weights; without that, they only become resident as the run
 * reads them.
 *
 *===----------------------------------------------------------------------===*/

#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "onnx-compile/onnxc_runtime.h"

/* Size and Rss (KiB) of the largest read-only, non-executable mapping of
 * the file whose path ends in `name`. */
static void rodata_kib(const char *name, long *size, long *rss) {
  *size = *rss = 0;
  FILE *maps = fopen("/proc/self/smaps", "r");
  if (!maps) {
    perror("/proc/self/smaps");
    exit(2);
  }
  char line[4096];
  int mine = 0;
  long current = 0;
  while (fgets(line, sizeof line, maps)) {
    unsigned long begin, end;
    char perms[8];
    int path = 0;
    if (sscanf(line, "%lx-%lx %7s %*s %*s %*s %n", &begin, &end, perms,
               &path) == 3 &&
        path > 0) {
      char *file = line + path;
      file[strcspn(file, "\n")] = '\0';
      size_t n = strlen(file), m = strlen(name);
      mine = strcmp(perms, "r--p") == 0 && n >= m &&
             strcmp(file + n - m, name) == 0 &&
             (long)((end - begin) / 1024) > *size;
      if (mine)
        current = (long)((end - begin) / 1024);
      continue;
    }
    long kib;
    if (mine && sscanf(line, "Rss: %ld kB", &kib) == 1) {
      *size = current;
      *rss = kib;
    }
  }
  fclose(maps);
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: weights_resident LIB.so\n");
    return 2;
  }
  void *lib = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
  if (!lib) {
    fprintf(stderr, "%s\n", dlerror());
    return 2;
  }
  const onnxc_model *(*get)(void) =
      (const onnxc_model *(*)(void))dlsym(lib, "onnxc_model_get");
  onnxc_status (*create)(const onnxc_model *, onnxc_session **) =
      (onnxc_status(*)(const onnxc_model *, onnxc_session **))dlsym(
          lib, "onnxc_session_create");
  void (*destroy)(onnxc_session *) =
      (void (*)(onnxc_session *))dlsym(lib, "onnxc_session_destroy");
  if (!get || !create || !destroy) {
    fprintf(stderr, "FAIL: not a model library\n");
    return 1;
  }
  const char *name = strrchr(argv[1], '/') ? strrchr(argv[1], '/') : argv[1];
  long size, before, after;
  rodata_kib(name, &size, &before);
  onnxc_session *session = NULL;
  if (create(get(), &session) != ONNXC_OK) {
    fprintf(stderr, "FAIL: session creation\n");
    return 1;
  }
  rodata_kib(name, &size, &after);
  printf("read-only data: %ld KiB, resident before the session: %ld KiB, "
         "after: %ld KiB\n", size, before, after);
  /* Before: what dlopen touched (headers, a fault-around or two). */
  printf("before: %s\n", before * 2 < size ? "mostly absent" : "FAIL");
  printf("after: %s\n", after * 10 >= size * 9 ? "resident" : "FAIL");
  destroy(session);
  return 0;
}
