"""A seccomp filter for sandbox children (stdlib only; built once in the fork-server).

Namespaces, the uid drop and rlimits already contain a snippet; this removes kernel surface that a
contained snippet has no business touching, and closes two channels the other layers leave open:
- kernel keyrings (add_key/keyctl): a uid's keys outlive its processes, so a snippet could leave
  state for the next snippet of the same slot;
- unprivileged user namespaces (unshare/clone3 with namespace flags) and mounts inside them.
Also refused: ptrace and cross-process memory access, bpf, perf events, userfaultfd, io_uring,
module and kexec loading, swap, reboot, quotas, handle-based opens, the new mount API. clone3
answers ENOSYS so that libc falls back to clone (which RLIMIT_NPROC already stops).

x86_64 only (syscall numbers differ per architecture); elsewhere `build_filter` returns None and the
isolation report says the filter is not active. Any other architecture's syscall ABI (x32, i386)
on x86_64 kills the process.
"""

from __future__ import annotations

import ctypes
import errno
import os

__all__ = ["DENIED_SYSCALLS", "build_filter", "install"]

_ARCH_X86_64 = 0xC000003E
_X32_BIT = 0x40000000
_PR_SET_NO_NEW_PRIVS = 38
_PR_SET_SECCOMP = 22
_SECCOMP_MODE_FILTER = 2
_RET_KILL_PROCESS = 0x80000000
_RET_ALLOW = 0x7FFF0000
_RET_ERRNO = 0x00050000
_LD_W_ABS, _JEQ_K, _JGE_K, _RET_K = 0x20, 0x15, 0x35, 0x06

# x86_64 numbers -> errno returned.
DENIED_SYSCALLS: dict[int, int] = {
    **dict.fromkeys((248, 249, 250), errno.EPERM),  # add_key, request_key, keyctl
    **dict.fromkeys((272, 308), errno.EPERM),  # unshare, setns
    **dict.fromkeys((165, 166, 155, 161), errno.EPERM),  # mount, umount2, pivot_root, chroot
    **dict.fromkeys((428, 429, 430, 431, 432, 442), errno.EPERM),  # new mount API, mount_setattr
    **dict.fromkeys((101, 310, 311, 438), errno.EPERM),  # ptrace, process_vm_*, pidfd_getfd
    **dict.fromkeys((321, 298, 323), errno.EPERM),  # bpf, perf_event_open, userfaultfd
    **dict.fromkeys((425, 426, 427), errno.EPERM),  # io_uring_*
    **dict.fromkeys((246, 320, 175, 313, 176), errno.EPERM),  # kexec_*, *_module
    **dict.fromkeys((135, 163, 167, 168, 169, 103, 179), errno.EPERM),  # personality .. quotactl
    **dict.fromkeys((303, 304), errno.EPERM),  # name_to_handle_at, open_by_handle_at
    435: errno.ENOSYS,  # clone3: libc falls back to clone
}


class _SockFilter(ctypes.Structure):
    _fields_ = [
        ("code", ctypes.c_ushort),
        ("jt", ctypes.c_ubyte),
        ("jf", ctypes.c_ubyte),
        ("k", ctypes.c_uint),
    ]


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.POINTER(_SockFilter))]


def _instructions() -> list[tuple[int, int, int, int]]:
    program = [
        (_LD_W_ABS, 0, 0, 4),  # seccomp_data.arch
        (_JEQ_K, 1, 0, _ARCH_X86_64),
        (_RET_K, 0, 0, _RET_KILL_PROCESS),
        (_LD_W_ABS, 0, 0, 0),  # seccomp_data.nr
        (_JGE_K, 0, 1, _X32_BIT),
        (_RET_K, 0, 0, _RET_KILL_PROCESS),
    ]
    for number, code in DENIED_SYSCALLS.items():
        program.append((_JEQ_K, 0, 1, number))
        program.append((_RET_K, 0, 0, _RET_ERRNO | code))
    program.append((_RET_K, 0, 0, _RET_ALLOW))
    return program


def build_filter() -> _SockFprog | None:
    """The compiled filter for this machine, or None where it is not supported."""
    if os.uname().machine != "x86_64":
        return None
    instructions = _instructions()
    array = (_SockFilter * len(instructions))(*(_SockFilter(*ins) for ins in instructions))
    prog = _SockFprog(len(instructions), array)
    prog._keep = array  # the program must outlive every fork that installs it
    return prog


def install(prctl: ctypes._CFuncPtr, prog: _SockFprog) -> bool:
    """Install the filter in the calling (child) process; True on success."""
    if prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        return False
    return prctl(_PR_SET_SECCOMP, _SECCOMP_MODE_FILTER, ctypes.byref(prog), 0, 0) == 0
