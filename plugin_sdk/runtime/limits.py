"""Per-job resource limits, and applying them to a job's process before it runs the plugin."""

from __future__ import annotations

import os
import resource
from dataclasses import dataclass

MIB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    """What one job may use. R with ggplot2 does not start below 512 MiB of address space."""

    wall_clock_s: float = 300.0
    memory_mb: int = 4096
    cpu_s: int = 600
    output_mb: int = 512
    max_processes: int = 64
    max_open_files: int = 1024

    def __post_init__(self) -> None:
        if self.memory_mb < 512:
            raise ValueError("memory limit must be at least 512 MB: R with ggplot2 needs that much to start")
        if self.wall_clock_s <= 0 or self.cpu_s <= 0 or self.output_mb <= 0 or self.max_processes < 4:
            raise ValueError("limits must be positive (and at least 4 processes)")


def count_processes_of(uid: int) -> int:
    count = 0
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if os.stat(f"/proc/{entry}").st_uid == uid:
                    count += 1
            except OSError:
                continue
    return count


def apply_limits(limits: Limits) -> None:
    """Set the rlimits of the calling process (a job's child, before it runs plugin code).

    RLIMIT_NPROC counts every process of the real user, so the cap is what the user runs
    now plus the job's allowance. The kernel ignores it for root: there the supervisor's count
    of the job's session (process.py) is what stops a fork bomb.
    """
    memory = limits.memory_mb * MIB
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_CPU, (limits.cpu_s, limits.cpu_s + 5))
    output = limits.output_mb * MIB
    resource.setrlimit(resource.RLIMIT_FSIZE, (output, output))
    resource.setrlimit(resource.RLIMIT_NOFILE, (limits.max_open_files, limits.max_open_files))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    nproc = count_processes_of(os.getuid()) + limits.max_processes
    resource.setrlimit(resource.RLIMIT_NPROC, (nproc, nproc))


_PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:
    """Ask the kernel to SIGKILL this process when its parent (the worker) dies.

    A worker killed with SIGKILL runs no clean-up code, so without this its job's R
    process would keep running, orphaned, until the wall clock of nobody ran out.
    """
    import ctypes
    import signal

    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
