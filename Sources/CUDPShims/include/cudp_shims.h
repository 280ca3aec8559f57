// Batched UDP send and receive for the load generator (`sstp-dial bench` traffic): recvmmsg(2) and sendmmsg(2) and
// struct mmsghdr are not visible from Swift's Glibc module (they need _GNU_SOURCE), and these wrappers also keep the
// per-call message arrays on the C stack, so a batch allocates nothing.
#ifndef CUDP_SHIMS_H
#define CUDP_SHIMS_H
#include <stdint.h>

/// The most messages one call handles (larger counts are cut to this).
#define CUDP_MAX_BATCH 64

/// Receives up to `count` datagrams with one recvmmsg(2) (blocking, as the socket is; MSG_WAITFORONE so it returns
/// as soon as one arrived) into `count` consecutive buffers of `buffer_size` bytes at `buffers`; writes each
/// datagram's length to `lengths`. Returns the number received or -errno (-EAGAIN when SO_RCVTIMEO ran out).
int cudp_recv_batch(int fd, void *buffers, int buffer_size, int count, int *lengths);

/// Sends the same `length` bytes at `payload` to `count` IPv4 destinations (`addresses` in host byte order, all on
/// `port`) with one sendmmsg(2). Returns the number of datagrams sent or -errno.
int cudp_send_batch(int fd, const void *payload, int length, const uint32_t *addresses, uint16_t port, int count);

#endif
