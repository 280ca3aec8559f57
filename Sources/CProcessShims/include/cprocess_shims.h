#ifndef CPROCESS_SHIMS_H
#define CPROCESS_SHIMS_H

/// prctl(PR_SET_NO_NEW_PRIVS, 1): neither this process nor anything it executes can gain privileges again
/// (set-user-ID binaries, file capabilities). Returns 0 or -errno.
int cprocess_set_no_new_privs(void);

/// The process's effective capability set (the first 64 capabilities), from capget(2); -errno on failure.
long long cprocess_effective_capabilities(void);

/// glibc malloc's accounting over every arena (mallinfo2): bytes handed out and not returned (ordinary chunks plus
/// mmapped ones) and bytes held free. Returns 0, or -1 where the figures would not describe the heap: the C library
/// has no mallinfo2 (glibc < 2.33, musl), or malloc is not glibc's (a sanitizer runtime, jemalloc or tcmalloc
/// interposed: glibc's arenas then hold almost nothing).
int cprocess_heap_usage(unsigned long long *in_use, unsigned long long *free_bytes);

#endif
