#ifndef CPROCESS_SHIMS_H
#define CPROCESS_SHIMS_H

/// prctl(PR_SET_NO_NEW_PRIVS, 1): neither this process nor anything it executes can gain privileges again
/// (set-user-ID binaries, file capabilities). Returns 0 or -errno.
int cprocess_set_no_new_privs(void);

/// The process's effective capability set (the first 64 capabilities), from capget(2); -errno on failure.
long long cprocess_effective_capabilities(void);

#endif
