internal import CProcessShims
import Foundation
import Glibc

/// Switches the whole process (every thread) from root to an unprivileged user once everything that needs root is
/// open: the listening sockets (port 443), the TUN device and its queues, the control socket, the state store.
///
/// What sstpd keeps: no capability at all. Nothing it does after start-up needs one: the TUN and socket fds stay
/// valid whoever owns the process, reload re-reads only files (which must be readable by the user), and what would
/// need privileges again (a new listen address or port, a new TUN name, MTU or queue count) is a restart key.
/// `PR_SET_NO_NEW_PRIVS` is set too (`forbidNewPrivileges`, before any thread starts), so nothing the process
/// runs can regain privileges.
public enum PrivilegeDrop {
    public struct Identity: Equatable, Sendable {
        public var user: String
        public var uid: uid_t
        public var gid: gid_t
    }

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// Looks up `user` (and `group`, else the user's primary group).
    public static func identity(user: String, group: String?) throws(Failure) -> Identity {
        guard let entry = getpwnam(user) else { throw Failure(description: "daemon.user: no user \(user)") }
        var gid = entry.pointee.pw_gid
        if let group {
            guard let groupEntry = getgrnam(group) else { throw Failure(description: "daemon.group: no group \(group)") }
            gid = groupEntry.pointee.gr_gid
        }
        guard entry.pointee.pw_uid != 0 else { throw Failure(description: "daemon.user: \(user) is root") }
        return Identity(user: user, uid: entry.pointee.pw_uid, gid: gid)
    }

    /// Sets `PR_SET_NO_NEW_PRIVS` on the calling thread, which every thread it creates inherits: call it before the
    /// event loops and the TUN reader start (no_new_privs is per thread).
    public static func forbidNewPrivileges() throws(Failure) {
        let result = cprocess_set_no_new_privs()
        guard result == 0 else { throw Failure(description: "PR_SET_NO_NEW_PRIVS: \(String(cString: strerror(-result)))") }
    }

    /// Gives `paths` that exist to the identity (the state store and its WAL files, the control socket), then
    /// drops supplementary groups, the group and the user, and checks that root cannot be regained.
    public static func drop(to identity: Identity, handingOver paths: [String]) throws(Failure) {
        guard geteuid() == 0 else {
            throw Failure(description: "daemon.user is set but sstpd is not running as root")
        }
        for path in paths where access(path, F_OK) == 0 {
            guard chown(path, identity.uid, identity.gid) == 0 else {
                throw Failure(description: "chown \(path): \(String(cString: strerror(errno)))")
            }
        }
        // glibc applies set*id to every thread of the process (the event loops and the TUN reader included).
        guard setgroups(0, nil) == 0 else { throw Failure(description: "setgroups: \(String(cString: strerror(errno)))") }
        guard setgid(identity.gid) == 0 else { throw Failure(description: "setgid: \(String(cString: strerror(errno)))") }
        guard setuid(identity.uid) == 0 else { throw Failure(description: "setuid: \(String(cString: strerror(errno)))") }
        try forbidNewPrivileges()  // idempotent; covers callers that did not set it before starting threads
        // A uid change from 0 without PR_SET_KEEPCAPS clears the permitted and effective capability sets; root
        // must now be out of reach.
        guard getuid() == identity.uid, geteuid() == identity.uid, getgid() == identity.gid, setuid(0) != 0,
            cprocess_effective_capabilities() == 0
        else {
            throw Failure(description: "privileges were not dropped")
        }
    }
}
