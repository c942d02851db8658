"""Process-wide isolation applied once by the fork-server (stdlib only: it runs in the server).

Done once, in the server, because each step costs a syscall or a mount and every forked child
inherits the result for free:

- a new network namespace (only a downed loopback: no route to anything, not even 127.0.0.1);
- a new IPC namespace with SysV shared memory, queues, semaphores and POSIX queues disabled (they
  outlive a process, so they could carry state from one snippet to the next);
- a new mount namespace in which every mount is made read-only (recursively) and fresh private
  tmpfs instances cover /tmp, /var/tmp, /dev/shm and /run/lock: nothing a snippet writes reaches the
  real disk, and nothing written under one server is visible to the host or to another server;
- a Python installed under a private home (pyenv/conda under /root) is bind-mounted back into a
  tmpfs covering that home, so the unprivileged sandbox uid can import the stdlib and nothing else
  of that home is visible;
- as root, children later drop to an unprivileged uid (see `_child.py`).

When a step is not permitted (not root, a container without CAP_SYS_ADMIN, an old kernel) it is
skipped, and the report says which protections are active so the client can log one clear warning.
When not root, a user namespace is tried first: it grants the mount and network steps without
privileges on kernels that allow unprivileged user namespaces.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import stat

__all__ = ["WRITABLE_TMPFS_DIRS", "apply_process_isolation"]

CLONE_NEWNS = 0x00020000
CLONE_NEWIPC = 0x08000000
CLONE_NEWUSER = 0x10000000
CLONE_NEWNET = 0x40000000
MS_REC = 0x4000
MS_PRIVATE = 1 << 18
MS_NOSUID = 0x2
MS_NODEV = 0x4
MS_BIND = 0x1000
MS_REMOUNT = 0x20
MS_RDONLY = 0x1
MNT_DETACH = 0x2
AT_FDCWD = -100
AT_RECURSIVE = 0x8000
MOUNT_ATTR_RDONLY = 0x1
SYS_MOUNT_SETATTR = 442  # same number on x86_64 and aarch64 (new syscalls share one table)

# Directories that get a private tmpfs (only those that exist). /tmp is root-owned 0755 inside: the
# per-slot working directories live there, and a child can write nowhere else.
WRITABLE_TMPFS_DIRS: tuple[str, ...] = ("/tmp", "/var/tmp", "/dev/shm", "/run/lock")


class _MountAttr(ctypes.Structure):
    _fields_ = [
        ("attr_set", ctypes.c_uint64),
        ("attr_clr", ctypes.c_uint64),
        ("propagation", ctypes.c_uint64),
        ("userns_fd", ctypes.c_uint64),
    ]


def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)


def _errno_text() -> str:
    err = ctypes.get_errno()
    return f"{os.strerror(err)} (errno {err})"


def _enter_user_namespace(libc: ctypes.CDLL, notes: list[str]) -> bool:
    """Become root of a fresh user namespace (non-root only), mapping our uid/gid 1:1."""
    uid, gid = os.getuid(), os.getgid()
    if libc.unshare(CLONE_NEWUSER) != 0:
        notes.append(f"user namespace refused: {_errno_text()}")
        return False
    try:
        with open("/proc/self/setgroups", "w") as fh:
            fh.write("deny")
        with open("/proc/self/uid_map", "w") as fh:
            fh.write(f"0 {uid} 1")
        with open("/proc/self/gid_map", "w") as fh:
            fh.write(f"0 {gid} 1")
    except OSError as exc:
        notes.append(f"user namespace mapping failed: {exc}")
        return False
    return True


def _make_root_readonly(libc: ctypes.CDLL, notes: list[str]) -> bool:
    attr = _MountAttr(MOUNT_ATTR_RDONLY, 0, 0, 0)
    rc = libc.syscall(
        SYS_MOUNT_SETATTR, AT_FDCWD, b"/", AT_RECURSIVE, ctypes.byref(attr), ctypes.sizeof(attr)
    )
    if rc != 0:
        notes.append(f"read-only root refused: {_errno_text()}")
        return False
    return True


# Per-IPC-namespace limits set to zero: SysV segments and queues outlive the process that made them,
# so they would carry state from one snippet to the next (same server, same slot uid).
_IPC_SYSCTLS = {
    "/proc/sys/kernel/shmmni": "0",
    "/proc/sys/kernel/msgmni": "0",
    "/proc/sys/kernel/sem": "0 0 0 0",
    "/proc/sys/fs/mqueue/queues_max": "0",
}


def _disable_ipc(notes: list[str]) -> None:
    for path, value in _IPC_SYSCTLS.items():
        try:
            with open(path, "w") as fh:
                fh.write(value)
        except OSError as exc:
            notes.append(f"could not set {path}: {exc}")


def _blocking_ancestor(path: str) -> str | None:
    """The first directory on the way to `path` that other users cannot traverse (e.g. /root)."""
    current = "/"
    for part in path.strip("/").split("/"):
        current = os.path.join(current, part)
        if not os.stat(current).st_mode & stat.S_IXOTH:
            return current
    return None


def _expose_paths(libc: ctypes.CDLL, paths: list[str], notes: list[str]) -> bool:
    """Make `paths` reachable by the sandbox uid inside this mount namespace.

    A Python installed under a private home (pyenv or conda under /root or a 0750 /home/user) is
    unreadable by other uids, so the sandbox could not import the stdlib. The private ancestor is
    covered by a tmpfs (0755) into which only the needed paths are bind-mounted back: the rest of
    that home stays hidden from snippets.
    """
    groups: dict[str, list[str]] = {}
    for path in dict.fromkeys(os.path.realpath(p) for p in paths):
        ancestor = _blocking_ancestor(path)
        if ancestor is not None:
            groups.setdefault(ancestor, []).append(path)
    if not groups:
        return True
    stage = b"/tmp"
    if libc.mount(b"tmpfs", stage, b"tmpfs", 0, b"mode=0700") != 0:
        notes.append(f"staging tmpfs refused: {_errno_text()}")
        return False
    ok = True
    for group, (ancestor, members) in enumerate(groups.items()):
        staged = []
        for index, path in enumerate(members):
            holder = f"/tmp/stage-{group}-{index}"
            os.mkdir(holder)
            if libc.mount(path.encode(), holder.encode(), None, MS_BIND | MS_REC, None) == 0:
                staged.append((holder, path))
        if libc.mount(b"tmpfs", ancestor.encode(), b"tmpfs", MS_NOSUID | MS_NODEV, b"mode=0755") != 0:
            notes.append(f"cover of {ancestor} refused: {_errno_text()}")
            ok = False
            continue
        for holder, path in staged:
            os.makedirs(path, mode=0o755, exist_ok=True)
            ok &= libc.mount(holder.encode(), path.encode(), None, MS_BIND | MS_REC, None) == 0
            libc.umount2(holder.encode(), MNT_DETACH)
    libc.umount2(stage, MNT_DETACH)
    if not ok:
        notes.append("some interpreter paths could not be exposed to the sandbox uid")
    return ok


def _covered(path: str, directory: str) -> bool:
    return path == directory or path.startswith(directory.rstrip("/") + "/")


def _rebind_readonly(libc: ctypes.CDLL, source: str, target: str) -> bool:
    """Bind `source` onto `target` (created in the fresh tmpfs) and make that bind read-only."""
    os.makedirs(target, mode=0o755, exist_ok=True)
    if libc.mount(source.encode(), target.encode(), None, MS_BIND | MS_REC, None) != 0:
        return False
    return libc.mount(None, target.encode(), None, MS_REMOUNT | MS_BIND | MS_RDONLY, None) == 0


def _mount_private_tmpfs(libc: ctypes.CDLL, tmpfs_mb: int, expose: list[str], notes: list[str]) -> bool:
    """Cover the writable directories with private tmpfs, keeping `expose` paths under them visible.

    A virtual environment or a checkout under /tmp (CI clones often live there) would otherwise vanish
    under the tmpfs and the sandbox could not start its interpreter. Such paths are bound back,
    read-only, from the covered directory, reached through a descriptor opened before covering it.
    """
    ok = True
    options = f"size={tmpfs_mb}m,nr_inodes=16384,mode=0755".encode()
    kept = [os.path.realpath(p) for p in expose]
    for path in WRITABLE_TMPFS_DIRS:
        if not os.path.isdir(path):
            continue
        under = sorted({p for p in kept if _covered(p, path)})
        fd = os.open(path, os.O_PATH | os.O_DIRECTORY) if under else None
        try:
            if libc.mount(b"tmpfs", path.encode(), b"tmpfs", MS_NOSUID | MS_NODEV, options) != 0:
                notes.append(f"private tmpfs on {path} refused: {_errno_text()}")
                ok = False
                continue
            for target in under:
                source = f"/proc/self/fd/{fd}/{os.path.relpath(target, path)}"
                if not _rebind_readonly(libc, source, target):
                    notes.append(f"could not keep {target} visible under the private {path}: {_errno_text()}")
                    ok = False
        finally:
            if fd is not None:
                os.close(fd)
    return ok


def apply_process_isolation(tmpfs_mb: int, expose: list[str]) -> dict[str, object]:
    """Isolate the calling process (the fork-server) and report what is active.

    Args:
        tmpfs_mb: size of each private tmpfs (bounds what snippets can park in memory as files).
        expose: paths the sandbox uid must be able to read (the interpreter and its stdlib).

    Returns:
        A JSON-able report: flags for each protection and `notes` explaining any that failed.
    """
    notes: list[str] = []
    report: dict[str, object] = {
        "root": os.geteuid() == 0,
        "user_namespace": False,
        "network_namespace": False,
        "ipc_namespace": False,
        "mount_namespace": False,
        "readonly_root": False,
        "private_tmp": False,
        "interpreter_readable": False,
    }
    try:
        libc = _libc()
    except OSError as exc:
        report["notes"] = [f"libc not loadable: {exc}"]
        return report
    if not report["root"]:
        report["user_namespace"] = _enter_user_namespace(libc, notes)
    for flag, key in ((CLONE_NEWNET, "network_namespace"), (CLONE_NEWIPC, "ipc_namespace")):
        if libc.unshare(flag) == 0:
            report[key] = True
        else:
            notes.append(f"{key} refused: {_errno_text()}")
    if report["ipc_namespace"]:
        _disable_ipc(notes)
    if libc.unshare(CLONE_NEWNS) == 0 and libc.mount(b"none", b"/", None, MS_REC | MS_PRIVATE, None) == 0:
        report["mount_namespace"] = True
        report["interpreter_readable"] = _expose_paths(libc, expose, notes)
        report["readonly_root"] = _make_root_readonly(libc, notes)
        report["private_tmp"] = _mount_private_tmpfs(libc, tmpfs_mb, expose, notes)
    else:
        notes.append(f"mount namespace refused: {_errno_text()}")
    report["notes"] = notes
    return report
