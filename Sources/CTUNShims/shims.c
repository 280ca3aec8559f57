#define _GNU_SOURCE
#include "ctun_shims.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

int ctun_open(const char *name, char *name_out, int multi_queue, int offload) {
    int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        return -errno;
    }
    struct ifreq ifr;
    memset(&ifr, 0, sizeof(ifr));
    ifr.ifr_flags = IFF_TUN | IFF_NO_PI | (multi_queue ? IFF_MULTI_QUEUE : 0) | (offload ? IFF_VNET_HDR : 0);
    if (name != NULL) {
        strncpy(ifr.ifr_name, name, IFNAMSIZ - 1);
    }
    if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
        int saved = errno;
        close(fd);
        return -saved;
    }
    if (offload) {
        int header_size = 10; /* sizeof(struct virtio_net_hdr) */
        if (ioctl(fd, TUNSETVNETHDRSZ, &header_size) < 0 ||
            ioctl(fd, TUNSETOFFLOAD, (unsigned long)(TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6)) < 0) {
            int saved = errno;
            close(fd);
            return -saved;
        }
    }
    memcpy(name_out, ifr.ifr_name, IFNAMSIZ);
    name_out[IFNAMSIZ - 1] = '\0';
    return fd;
}

/// Runs one SIOCSIF* ioctl on a throwaway AF_INET socket (created in the calling thread's network namespace).
static int ctun_ifreq_ioctl(unsigned long request, struct ifreq *ifr) {
    int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (sock < 0) {
        return -errno;
    }
    int result = ioctl(sock, request, ifr) < 0 ? -errno : 0;
    close(sock);
    return result;
}

static void ctun_ifreq_init(struct ifreq *ifr, const char *name) {
    memset(ifr, 0, sizeof(*ifr));
    strncpy(ifr->ifr_name, name, IFNAMSIZ - 1);
}

static void ctun_set_sockaddr(struct sockaddr *target, uint32_t address) {
    struct sockaddr_in sin;
    memset(&sin, 0, sizeof(sin));
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(address);
    memcpy(target, &sin, sizeof(sin));
}

int ctun_set_ipv4(const char *name, uint32_t address, uint32_t netmask) {
    struct ifreq ifr;
    ctun_ifreq_init(&ifr, name);
    ctun_set_sockaddr(&ifr.ifr_addr, address);
    int result = ctun_ifreq_ioctl(SIOCSIFADDR, &ifr);
    if (result != 0) {
        return result;
    }
    ctun_ifreq_init(&ifr, name);
    ctun_set_sockaddr(&ifr.ifr_netmask, netmask);
    return ctun_ifreq_ioctl(SIOCSIFNETMASK, &ifr);
}

int ctun_set_mtu(const char *name, int mtu) {
    struct ifreq ifr;
    ctun_ifreq_init(&ifr, name);
    ifr.ifr_mtu = mtu;
    return ctun_ifreq_ioctl(SIOCSIFMTU, &ifr);
}

int ctun_set_tx_queue_length(const char *name, int length) {
    struct ifreq ifr;
    ctun_ifreq_init(&ifr, name);
    ifr.ifr_qlen = length;
    return ctun_ifreq_ioctl(SIOCSIFTXQLEN, &ifr);
}

int ctun_get_mtu(const char *name) {
    struct ifreq ifr;
    ctun_ifreq_init(&ifr, name);
    int result = ctun_ifreq_ioctl(SIOCGIFMTU, &ifr);
    return result != 0 ? result : ifr.ifr_mtu;
}

int ctun_set_up(const char *name) {
    struct ifreq ifr;
    ctun_ifreq_init(&ifr, name);
    int result = ctun_ifreq_ioctl(SIOCGIFFLAGS, &ifr);
    if (result != 0) {
        return result;
    }
    ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
    return ctun_ifreq_ioctl(SIOCSIFFLAGS, &ifr);
}

int ctun_eventfd(void) {
    int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    return fd < 0 ? -errno : fd;
}

int ctun_eventfd_signal(int fd) {
    return eventfd_write(fd, 1) < 0 ? -errno : 0;
}

int ctun_unshare_net(void) {
    return unshare(CLONE_NEWNET) < 0 ? -errno : 0;
}

int ctun_setns_net(int ns_fd) {
    return setns(ns_fd, CLONE_NEWNET) < 0 ? -errno : 0;
}
