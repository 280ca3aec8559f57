#define _GNU_SOURCE
#include "cprocess_shims.h"

#include <errno.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

int cprocess_set_no_new_privs(void) {
    return prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0 ? 0 : -errno;
}

long long cprocess_effective_capabilities(void) {
    struct __user_cap_header_struct header = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
    struct __user_cap_data_struct data[2];
    if (syscall(SYS_capget, &header, data) != 0) {
        return -errno;
    }
    return (long long)(((unsigned long long)data[1].effective << 32) | data[0].effective);
}

#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33))
#include <dlfcn.h>
#include <malloc.h>

/// Whether the malloc every caller gets is the C library's own (not one interposed by a sanitizer runtime or a
/// preloaded allocator).
static int glibc_malloc_in_use(void) {
    void *libc = dlopen("libc.so.6", RTLD_LAZY | RTLD_NOLOAD);
    if (libc == NULL) {
        return 0;
    }
    void *global = dlsym(RTLD_DEFAULT, "malloc");
    void *own = dlsym(libc, "malloc");
    dlclose(libc);
    return global != NULL && global == own;
}

int cprocess_heap_usage(unsigned long long *in_use, unsigned long long *free_bytes) {
    *in_use = 0;
    *free_bytes = 0;
    if (!glibc_malloc_in_use()) {
        return -1;
    }
    struct mallinfo2 info = mallinfo2();
    *in_use = (unsigned long long)info.uordblks + (unsigned long long)info.hblkhd;
    *free_bytes = (unsigned long long)info.fordblks;
    return 0;
}
#else
int cprocess_heap_usage(unsigned long long *in_use, unsigned long long *free_bytes) {
    *in_use = 0;
    *free_bytes = 0;
    return -1;
}
#endif
