#define _GNU_SOURCE
#include "cudp_shims.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>

int cudp_recv_batch(int fd, void *buffers, int buffer_size, int count, int *lengths) {
    struct mmsghdr messages[CUDP_MAX_BATCH];
    struct iovec vectors[CUDP_MAX_BATCH];
    if (count > CUDP_MAX_BATCH) {
        count = CUDP_MAX_BATCH;
    }
    memset(messages, 0, sizeof(struct mmsghdr) * (size_t)count);
    for (int i = 0; i < count; i++) {
        vectors[i].iov_base = (char *)buffers + (size_t)i * (size_t)buffer_size;
        vectors[i].iov_len = (size_t)buffer_size;
        messages[i].msg_hdr.msg_iov = &vectors[i];
        messages[i].msg_hdr.msg_iovlen = 1;
    }
    int received = recvmmsg(fd, messages, (unsigned int)count, MSG_WAITFORONE, NULL);
    if (received < 0) {
        return -errno;
    }
    for (int i = 0; i < received; i++) {
        lengths[i] = (int)messages[i].msg_len;
    }
    return received;
}

int cudp_send_batch(int fd, const void *payload, int length, const uint32_t *addresses, uint16_t port, int count) {
    struct mmsghdr messages[CUDP_MAX_BATCH];
    struct sockaddr_in destinations[CUDP_MAX_BATCH];
    struct iovec vector = {.iov_base = (void *)payload, .iov_len = (size_t)length};
    if (count > CUDP_MAX_BATCH) {
        count = CUDP_MAX_BATCH;
    }
    memset(messages, 0, sizeof(struct mmsghdr) * (size_t)count);
    for (int i = 0; i < count; i++) {
        memset(&destinations[i], 0, sizeof(destinations[i]));
        destinations[i].sin_family = AF_INET;
        destinations[i].sin_port = htons(port);
        destinations[i].sin_addr.s_addr = htonl(addresses[i]);
        messages[i].msg_hdr.msg_name = &destinations[i];
        messages[i].msg_hdr.msg_namelen = sizeof(destinations[i]);
        messages[i].msg_hdr.msg_iov = &vector;
        messages[i].msg_hdr.msg_iovlen = 1;
    }
    int sent = sendmmsg(fd, messages, (unsigned int)count, 0);
    return sent < 0 ? -errno : sent;
}
