"""Start a job's process in its own process group, and watch it until it ends.

The supervisor owns the wall clock (R ignores alarms, so only killing the whole process
group stops it), the cancel switch, the output-size cap, and the live log: lines the
script prints and steps it enters reach the caller as they happen.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import signal
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from plugin_sdk.runtime.jobfolder import JobFolder
from plugin_sdk.runtime.limits import MIB, Limits, apply_limits, die_with_parent

POLL_INTERVAL_S = 0.05
PROCESS_CHECK_INTERVAL_S = 0.1  # reading /proc costs a few ms; a fork bomb is caught within this
EventSink = Callable[[str, Any], None]  # ("log", line) | ("step", {"label":..., "status":...})


class ChildProcess(Protocol):
    pid: int

    def poll(self) -> int | None:
        """None while running; the exit code, or minus the signal number, once ended."""


@dataclass
class ForkedChild:
    """A child made with os.fork(): waited for with waitpid, reported like Popen.poll()."""

    pid: int
    returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None:
            try:
                pid, status = os.waitpid(self.pid, os.WNOHANG)
            except ChildProcessError:
                self.returncode = -signal.SIGKILL
                return self.returncode
            if pid:
                self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode


def spawn_command(argv: Sequence[str], job: JobFolder, limits: Limits, env: dict[str, str]) -> subprocess.Popen:
    """Run a command as a new session leader with the job's limits, output to log.txt."""
    log = open(job.log_file, "ab")  # noqa: SIM115 - handed to the child, closed below
    try:
        return subprocess.Popen(
            list(argv),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=job.root,
            env=env,
            start_new_session=True,
            preexec_fn=lambda: _prepare_child(limits),
            close_fds=True,
        )
    finally:
        log.close()


def _prepare_child(limits: Limits) -> None:
    die_with_parent()
    apply_limits(limits)


@dataclass
class ExitInfo:
    returncode: int
    timed_out: bool = False
    cancelled: bool = False
    output_exceeded: bool = False
    too_many_processes: bool = False
    duration_s: float = 0.0

    @property
    def signal(self) -> int | None:
        return -self.returncode if self.returncode < 0 else None


def supervise(
    child: ChildProcess,
    job: JobFolder,
    limits: Limits,
    watch_dir: Path,
    on_event: EventSink | None = None,
    should_cancel: Callable[[], bool] | None = None,
) -> ExitInfo:
    """Wait for the child, enforcing the wall clock, cancellation and the output cap."""
    started = time.monotonic()
    deadline = started + limits.wall_clock_s
    tail = _LogTail(job.log_file)
    steps = _StepWatch(job.status_json)
    info: ExitInfo | None = None
    next_size_check = 0.0
    next_process_check = 0.0
    exited = _ExitWatch(child.pid)
    tasks_at_start = task_count()
    while info is None:
        code = child.poll()
        now = time.monotonic()
        if code is not None:
            info = ExitInfo(code)
        elif should_cancel is not None and should_cancel():
            info = ExitInfo(_kill_group(child), cancelled=True)
        elif now > deadline:
            info = ExitInfo(_kill_group(child), timed_out=True)
        elif (now >= next_process_check and _may_be_many(tasks_at_start, limits)
              and len(session_members(child.pid)) > limits.max_processes):
            info = ExitInfo(_kill_group(child), too_many_processes=True)
        elif now >= next_size_check:
            next_size_check = now + 0.5
            if _folder_size(watch_dir) > limits.output_mb * MIB:
                info = ExitInfo(_kill_group(child), output_exceeded=True)
        if on_event is not None:
            for line in tail.new_lines():
                on_event("log", line)
            for step in steps.changes():
                on_event("step", step)
        if now >= next_process_check:
            next_process_check = now + PROCESS_CHECK_INTERVAL_S
        if info is None:
            exited.wait(POLL_INTERVAL_S)
    exited.close()
    # The leader is gone; anything it started in its session goes too (nothing is left running).
    kill_session(child.pid)
    info.duration_s = time.monotonic() - started
    return info


class _ExitWatch:
    """Sleep between supervisor rounds, but wake the moment the child exits.

    A pidfd becomes readable when its process ends, so a plot that finishes is collected at
    once instead of at the next 50 ms tick (on average 25 ms of every job's latency). Where
    pidfds are missing (an old kernel) this is a plain sleep.
    """

    def __init__(self, pid: int) -> None:
        self.fd: int | None = None
        with contextlib.suppress(AttributeError, OSError):
            self.fd = os.pidfd_open(pid)

    def wait(self, timeout_s: float) -> None:
        if self.fd is None:
            time.sleep(timeout_s)
        else:
            select.select([self.fd], [], [], timeout_s)

    def close(self) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None


def _signal_group(pgid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


def _kill_group(child: ChildProcess) -> int:
    kill_session(child.pid)
    while (code := child.poll()) is None:
        time.sleep(0.01)
    return code


def _folder_size(folder: Path) -> int:
    total = 0
    for dirpath, _dirs, files in os.walk(folder):
        for name in files:
            try:
                total += os.lstat(os.path.join(dirpath, name)).st_size
            except OSError:
                continue
    return total


def task_count() -> int:
    """Processes and threads on the machine now (one read of /proc/loadavg), or -1 if unknown."""
    try:
        with open("/proc/loadavg", "rb") as handle:
            return int(handle.read().split()[3].split(b"/")[1])
    except (OSError, IndexError, ValueError):
        return -1


def _may_be_many(tasks_at_start: int, limits: Limits) -> bool:
    """Whether counting the job's processes, a walk of all /proc (a few ms), is worth doing now.

    Each process the job starts adds a task to the machine's count. While that count has grown
    by less than half the job's allowance since it started, the job can be over the allowance
    only if as many other tasks ended meanwhile, and a fork bomb soon gets past that. Most plots
    start no process at all, so most rounds skip the walk, which was about half of a worker's
    own CPU per job.
    """
    if tasks_at_start < 0:
        return True
    return task_count() - tasks_at_start >= max(1, limits.max_processes // 2)


def stat_fields(pid: int | str) -> list[bytes] | None:
    """The fields of /proc/<pid>/stat after the command name (which may hold spaces), or None.

    Index 0 is the state ("Z" for a zombie), 1 the parent pid, 3 the session id.
    """
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            stat = handle.read()
    except OSError:
        return None
    return stat[stat.rfind(b")") + 2 :].split()


def _processes() -> list[tuple[int, list[bytes]]]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit() and (fields := stat_fields(entry)) is not None and len(fields) > 3:
            found.append((int(entry), fields))
    return found


def session_members(session_id: int) -> list[int]:
    """Processes in the job's session (the child is its leader, so the id is its pid).

    Counting the session rather than trusting RLIMIT_NPROC matters because the kernel
    never applies RLIMIT_NPROC to root, and workers often run as root in containers.
    """
    return [pid for pid, fields in _processes() if int(fields[3]) == session_id]


def children_of(parent: int) -> list[int]:
    """The live (not zombie) children of ``parent``."""
    return [pid for pid, fields in _processes() if int(fields[1]) == parent and fields[0] != b"Z"]


def is_running(pid: int) -> bool:
    """The process exists and is not a zombie."""
    fields = stat_fields(pid)
    return fields is not None and fields[:1] != [b"Z"]


def kill_session(session_id: int) -> None:
    """SIGKILL the session's process group and every straggler in the session, until none is left.

    A fork bomb keeps making processes while we kill; repeating until the session is empty
    (bounded, so a zombie we cannot reap never hangs the worker) catches the late ones.
    """
    for _ in range(200):
        _signal_group(session_id, signal.SIGKILL)
        members = [pid for pid in session_members(session_id) if pid != session_id and is_running(pid)]
        if not members:
            return
        for pid in members:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
        time.sleep(0.005)


class _LogTail:
    """Reads the lines appended to a file since the last call."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.offset = 0
        self.partial = b""

    def new_lines(self) -> list[str]:
        try:
            with open(self.path, "rb") as handle:
                handle.seek(self.offset)
                chunk = handle.read(1 << 20)
        except OSError:
            return []
        self.offset += len(chunk)
        data = self.partial + chunk
        *lines, self.partial = data.split(b"\n")
        return [line.decode("utf-8", errors="replace").rstrip("\r") for line in lines]


class _StepWatch:
    """Reports each step of Hiplot's status.json whose status changed since the last call."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.mtime = 0.0
        self.seen: dict[str, int] = {}

    def changes(self) -> list[dict[str, Any]]:
        try:
            mtime = self.path.stat().st_mtime
            if mtime == self.mtime:
                return []
            document = json.loads(self.path.read_text(encoding="utf-8"))
            self.mtime = mtime
        except (OSError, ValueError):
            return []
        out = []
        for ident, label, status in zip(
            document.get("id", []), document.get("label", []), document.get("status", []), strict=False
        ):
            key = str(ident)
            if self.seen.get(key) != status:
                self.seen[key] = status
                out.append({"id": ident, "label": label, "status": status})
        return out
