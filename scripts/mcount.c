/*
 * Counts the process's heap allocation calls (malloc, calloc, realloc, posix_memalign, aligned_alloc; anonymous
 * mmaps), all threads, for StepAllocationCount (src/test/.../backend/cpu): which backend calls allocate natively per
 * training step. Not part of the build. Use:
 *   gcc -O2 -shared -fPIC -o /tmp/libmcount.so scripts/mcount.c -ldl -lpthread
 *   LD_PRELOAD=/tmp/libmcount.so java -Dmcount.lib=/tmp/libmcount.so [-Dmcount.byLib=true] -cp ... \
 *       dev.nncompress.backend.cpu.StepAllocationCount student 40
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stddef.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <stdio.h>
#include <string.h>
#include <pthread.h>
/* callers by shared object: who allocates */
#define SLOTS 64
static const char *lib[SLOTS]; static long lib_all[SLOTS], lib_big[SLOTS];
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static __thread int busy;
static void by_lib(void *ra, size_t n) {
  if (busy) return; busy = 1;
  Dl_info info; const char *f = "?";
  if (dladdr(ra, &info) && info.dli_fname) f = info.dli_fname;
  pthread_mutex_lock(&mu);
  for (int i = 0; i < SLOTS; i++) { if (!lib[i]) lib[i] = f; if (lib[i] == f || strcmp(lib[i], f) == 0) { lib_all[i]++; if (n >= 65536) lib_big[i]++; break; } }
  pthread_mutex_unlock(&mu);
  busy = 0;
}
void mcount_dump(void) { for (int i = 0; i < SLOTS && lib[i]; i++) fprintf(stderr, "mcount %10ld %8ld %s\n", lib_all[i], lib_big[i], lib[i]); }
void mcount_reset(void) { pthread_mutex_lock(&mu); for (int i = 0; i < SLOTS; i++) { lib_all[i] = 0; lib_big[i] = 0; } pthread_mutex_unlock(&mu); }
/* Counts heap allocation calls of the whole process (all threads), and those of >= 64 KiB. */
static atomic_long n_all, n_big, n_mmap;
static void *(*real_malloc)(size_t);
static void *(*real_calloc)(size_t, size_t);
static void *(*real_realloc)(void *, size_t);
static int (*real_memalign)(void **, size_t, size_t);
static void *(*real_aligned)(size_t, size_t);
static void *(*real_mmap)(void *, size_t, int, int, int, off_t);
static char boot[4096]; static size_t boot_used;
static void count(size_t n) { atomic_fetch_add(&n_all, 1); if (n >= 65536) atomic_fetch_add(&n_big, 1); }
void *malloc(size_t n) {
  if (!real_malloc) { real_malloc = dlsym(RTLD_NEXT, "malloc"); }
  count(n); by_lib(__builtin_return_address(0), n); return real_malloc(n);
}
void *calloc(size_t a, size_t b) {
  if (!real_calloc) { /* dlsym may call calloc */
    static int in; if (in) { void *p = boot + boot_used; boot_used += (a*b + 15) & ~15; return p; }
    in = 1; real_calloc = dlsym(RTLD_NEXT, "calloc"); in = 0; }
  count(a * b); return real_calloc(a, b);
}
void *realloc(void *p, size_t n) { if (!real_realloc) real_realloc = dlsym(RTLD_NEXT, "realloc"); count(n); return real_realloc(p, n); }
int posix_memalign(void **p, size_t al, size_t n) { if (!real_memalign) real_memalign = dlsym(RTLD_NEXT, "posix_memalign"); count(n); by_lib(__builtin_return_address(0), n); return real_memalign(p, al, n); }
void *aligned_alloc(size_t al, size_t n) { if (!real_aligned) real_aligned = dlsym(RTLD_NEXT, "aligned_alloc"); count(n); by_lib(__builtin_return_address(0), n); return real_aligned(al, n); }
void *mmap(void *a, size_t n, int pr, int fl, int fd, off_t off) { if (!real_mmap) real_mmap = dlsym(RTLD_NEXT, "mmap"); if (fd == -1) atomic_fetch_add(&n_mmap, 1); return real_mmap(a, n, pr, fl, fd, off); }
long mcount_all(void) { return atomic_load(&n_all); }
long mcount_big(void) { return atomic_load(&n_big); }
long mcount_mmap(void) { return atomic_load(&n_mmap); }
