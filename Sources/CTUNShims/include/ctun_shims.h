// TUN device helpers: <linux/if_tun.h> and struct ifreq ioctls are awkward from Swift.
#ifndef CTUN_SHIMS_H
#define CTUN_SHIMS_H
#include <stdint.h>

/// Opens /dev/net/tun (O_RDWR | O_CLOEXEC | O_NONBLOCK) and attaches to (or creates) interface `name` (may
/// contain %d) with TUNSETIFF in IFF_TUN | IFF_NO_PI mode, plus IFF_MULTI_QUEUE if `multi_queue` is non-zero.
/// With `offload` non-zero: IFF_VNET_HDR (a 10-byte struct virtio_net_hdr before every packet read and written,
/// TUNSETVNETHDRSZ) and TUNSETOFFLOAD(TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6), so the kernel hands over TCP
/// super-packets and partial checksums for the reader to finish.
/// Writes the resulting interface name (NUL-terminated, up to 16 bytes) to `name_out`. Returns the fd or -errno.
int ctun_open(const char *name, char *name_out, int multi_queue, int offload);

/// Sets the IPv4 address (host byte order) and netmask of `name` (SIOCSIFADDR + SIOCSIFNETMASK). 0 or -errno.
int ctun_set_ipv4(const char *name, uint32_t address, uint32_t netmask);

/// Sets the MTU of `name` (SIOCSIFMTU). 0 or -errno.
int ctun_set_mtu(const char *name, int mtu);

/// SIOCSIFTXQLEN: the interface's transmit queue length (for a TUN, the ring of packets each queue holds for its
/// reader). Returns 0 or -errno.
int ctun_set_tx_queue_length(const char *name, int length);

/// Reads the MTU of `name` (SIOCGIFMTU). The MTU or -errno.
int ctun_get_mtu(const char *name);

/// Sets IFF_UP | IFF_RUNNING on `name` (SIOCGIFFLAGS + SIOCSIFFLAGS). 0 or -errno.
int ctun_set_up(const char *name);

/// Creates a non-blocking, close-on-exec eventfd used to wake a reader thread's poll(2). fd or -errno.
int ctun_eventfd(void);

/// Adds 1 to an eventfd counter. 0 or -errno.
int ctun_eventfd_signal(int fd);

/// Moves the calling thread (only) into a new network namespace: unshare(CLONE_NEWNET). 0 or -errno.
/// For tests and tools that need an isolated network; the thread should be dedicated to it.
int ctun_unshare_net(void);

/// Moves the calling thread into the network namespace referred to by `ns_fd` (setns(fd, CLONE_NEWNET)).
int ctun_setns_net(int ns_fd);

#endif
