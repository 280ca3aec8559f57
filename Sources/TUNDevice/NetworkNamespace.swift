internal import CTUNShims
import Glibc

/// Per-thread network namespace switching, for tests and tools that need an isolated network (Linux network
/// namespaces belong to a thread, so only the calling thread moves; use a dedicated thread, never a pooled one).
public enum NetworkNamespace {
    /// Moves the calling thread into a new, empty network namespace (`unshare(CLONE_NEWNET)`; needs
    /// CAP_SYS_ADMIN). TUN devices created and configured on this thread afterwards live in that namespace, and
    /// the namespace lives as long as a thread, a TUN fd or a namespace fd refers to it.
    public static func unshareCurrentThread() throws(TUNError) {
        _ = try TUNError.check(ctun_unshare_net(), "unshare(CLONE_NEWNET)")
    }

    /// Opens a file descriptor referring to the calling thread's network namespace (keeps it alive).
    public static func openCurrent() throws(TUNError) -> CInt {
        let fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw TUNError(operation: "open /proc/thread-self/ns/net", errno: errno) }
        return fd
    }

    /// Moves the calling thread into the namespace referred to by `fd` (`setns(fd, CLONE_NEWNET)`).
    public static func enter(_ fd: CInt) throws(TUNError) {
        _ = try TUNError.check(ctun_setns_net(fd), "setns(CLONE_NEWNET)")
    }
}
