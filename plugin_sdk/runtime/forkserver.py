"""A fork server: the warm parent as it was before Hiplot's heavy packages, forking jobs on request.

    worker (the warm parent: R with Hiplot's whole preload set; a child subreaper)
      ├─ fork server (forked before Hiplot's heavy packages were attached)
      │    └─ go-between (exits at once)
      │         └─ job child ── adopted by the worker, which supervises it like its own
      └─ job child of a plugin that needs the heavy packages (forked from the worker directly)

Why: beyond the plot itself, a forked job pays copy-on-write for every page of the parent's
heap it writes, and Hiplot's heavy preload (Hmisc, the tidyverse, ComplexHeatmap) makes R's
heap four times larger. A small ggplot forked from the light parent costs about a third less.

Why the go-between: the worker waits for a job with waitpid and kills it by its session,
which works for its own children only. A job whose parent exits is re-parented to the
nearest subreaper among its ancestors: the worker. The job waits until it is adopted before
it asks to die with its parent, so it dies with the worker, not with the go-between.

Spares: what remains of a forked job's cost is copy-on-write, paid while the plot draws. A
spare is a job process forked and adopted in advance, which runs a full R garbage
collection (touching, and so copying, the heap pages a plot would) and then waits. The next
job goes to the spare if it is ready, and draws about as fast as in the parent itself; a
spare still getting ready is left alone and the job is forked afresh. Spares must never
take CPU from jobs, so where this process may lower a process's priority and raise it again
(root, or a generous RLIMIT_NICE) a spare prepares under SCHED_IDLE, using only idle CPU,
and the server keeps one at all times; under load it simply never gets ready. Elsewhere a
spare is made only when the worker says it is idle.

The server speaks JSON lines over a socket pair: the worker sends what `run_child` needs
(the plugin's language, the job folder, the limits, the environment), the server answers
with the job's pid once the go-between is gone. It dies with the worker, and leaves when
the worker closes its end.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import json
import os
import select
import signal
import socket
import stat
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from plugin_sdk.runtime.limits import Limits, die_with_parent
from plugin_sdk.runtime.process import is_running

REPLY_TIMEOUT_S = 10.0
ADOPTION_TIMEOUT_S = 5.0

# What a job child runs: (language, job folder, limits, environment) -> never returns.
RunChild = Callable[[str, Path, Limits, dict[str, str]], None]
# What a spare does before it waits: copy now what a job would copy while drawing.
Prepare = Callable[[], None]


class ForkServer:
    """The worker's handle on its fork server (see the module docstring)."""

    def __init__(self, pid: int, channel: socket.socket) -> None:
        self.pid = pid
        self.owner = os.getpid()
        self._channel = channel
        self._replies = channel.makefile("rb")

    @classmethod
    def start(cls, run_child: RunChild, prepare: Prepare | None = None) -> ForkServer | None:
        """Fork the server from this process as it is now; None if this process cannot adopt jobs.

        With ``prepare`` it keeps spares (see the module docstring); without, it never does.
        """
        if not become_subreaper():
            return None
        ours, theirs = socket.socketpair()
        worker = os.getpid()
        pid = os.fork()
        if pid == 0:  # the server: never returns
            ours.close()
            _serve(theirs, worker, run_child, prepare)
        theirs.close()
        ours.settimeout(REPLY_TIMEOUT_S)
        return cls(pid, ours)

    @property
    def usable(self) -> bool:
        """Jobs it forks are adopted by the process that started it, so only that one may ask."""
        return self._channel.fileno() >= 0 and os.getpid() == self.owner

    def fork_job(self, language: str, root: Path, limits: Limits, environment: dict[str, str]) -> int | None:
        """Start a job; its pid (now a child of this process), or None if the server is gone."""
        reply = self._ask({"op": "job", "language": language, "root": str(root),
                           "limits": dataclasses.asdict(limits), "environment": environment})
        pid = reply.get("pid")
        return pid if isinstance(pid, int) and pid > 0 else None

    def prepare_spare(self) -> None:
        """Have a spare job process get ready (call when this worker is idle; cheap if one is)."""
        self._ask({"op": "spare"})

    def _ask(self, request: dict[str, Any]) -> dict[str, Any]:
        try:
            self._channel.sendall(json.dumps(request).encode() + b"\n")
            reply = json.loads(self._replies.readline() or b"null")
        except (OSError, ValueError):
            reply = None
        if not isinstance(reply, dict):
            self.close()  # the server is gone: jobs are forked by the worker from now on
            return {}
        return reply

    def forget(self) -> None:
        """In a job forked from the worker: drop the worker's end of the channel (never talk to it)."""
        with contextlib.suppress(OSError):
            os.close(self._channel.fileno())

    def close(self) -> None:
        """Stop the server (it reads end-of-file and leaves) and reap it."""
        if self._channel.fileno() < 0:
            return
        self._replies.close()
        self._channel.close()
        if os.getpid() == self.owner:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)
            with contextlib.suppress(ChildProcessError):
                os.waitpid(self.pid, 0)


def become_subreaper() -> bool:
    """Make orphaned descendants of this process its children (Linux's PR_SET_CHILD_SUBREAPER)."""
    import ctypes

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def reap_exited_children() -> list[int]:
    """Collect every child of this process that has ended (a subreaper inherits strays)."""
    reaped = []
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return reaped
        if pid == 0:
            return reaped
        reaped.append(pid)


def can_restore_priority() -> bool:
    """Whether a process put under SCHED_IDLE can be given normal priority again by this one."""
    if not hasattr(os, "SCHED_IDLE"):
        return False
    import resource

    return os.geteuid() == 0 or resource.getrlimit(resource.RLIMIT_NICE)[0] >= 20


_PR_SET_CHILD_SUBREAPER = 36


# -- inside the server ------------------------------------------------------------------------------


def _serve(channel: socket.socket, worker: int, run_child: RunChild, prepare: Prepare | None) -> None:
    code = 0
    spare: _Spare | None = None
    try:
        die_with_parent()
        if os.getppid() != worker:  # the worker died before the line above
            os._exit(0)
        _close_inherited_streams(keep=channel.fileno())
        # The worker's handlers would only set flags in this copy of it: stop on SIGTERM, and
        # leave Ctrl-C to the worker.
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        idle_priority = can_restore_priority()
        if prepare is not None and idle_priority:
            spare = _Spare.start(worker, channel, run_child, prepare, idle_priority)
        for line in channel.makefile("rb"):
            request = json.loads(line)
            if request.get("op") == "spare":
                reply: dict[str, Any] = {"ok": True}
            else:
                pid = spare.hand_over(line) if spare is not None and spare.ready() else None
                if pid is not None:
                    spare = None
                else:
                    pid = _fork_adopted(worker, channel, functools.partial(_run_request, request, run_child),
                                        close=spare.fds() if spare is not None else ())
                reply = {"pid": pid}
            channel.sendall(json.dumps(reply).encode() + b"\n")
            # After the answer, so the job never waits for it.
            wanted = prepare is not None and (request.get("op") == "spare" or idle_priority)
            if wanted and (spare is None or spare.gone()):
                spare = _Spare.start(worker, channel, run_child, prepare, idle_priority)
    except BaseException:
        code = 1
    finally:
        os._exit(code)


def _close_inherited_streams(keep: int) -> None:
    """Close the sockets and pipes copied from the worker (its database and Redis connections,
    the pipes to its parent): a long-lived copy would keep them open after the worker closes
    them, and whoever waits for end-of-file on the other side would wait for ever. Regular
    files stay open: R's fonts may still be read through them."""
    for name in os.listdir("/proc/self/fd"):
        fd = int(name)
        if fd <= 2 or fd == keep:
            continue
        try:
            mode = os.fstat(fd).st_mode
        except OSError:  # the descriptor listdir itself used, now closed
            continue
        if stat.S_ISSOCK(mode) or stat.S_ISFIFO(mode):
            os.close(fd)


def _run_request(request: dict[str, Any], run_child: RunChild) -> None:
    run_child(request["language"], Path(request["root"]), Limits(**request["limits"]), request["environment"])
    os._exit(2)


def _fork_adopted(worker: int, channel: socket.socket, body: Callable[[], None], close: tuple[int, ...] = ()) -> int:
    """Fork a process that the worker adopts, running ``body`` once adopted; its pid.

    The child keeps none of the server's pipes: a job must not be able to talk to the server
    or to the spare (``close``).
    """
    read_end, write_end = os.pipe()
    go_between = os.fork()
    if go_between == 0:
        os.close(read_end)
        child = os.fork()
        if child == 0:  # never returns
            os.close(write_end)
            channel.close()
            for fd in close:
                os.close(fd)
            _await_adoption(worker)
            body()
            os._exit(2)
        os.write(write_end, str(child).encode())
        os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        pid = int(pipe.read() or b"0")
    # The go-between has exited once waitpid returns, and its child has been re-parented.
    os.waitpid(go_between, 0)
    return pid


class _Spare:
    """A job process forked in advance: it prepares, says "ready", then waits for its job."""

    def __init__(self, pid: int, ready_fd: int, job_fd: int, idle_priority: bool) -> None:
        self.pid = pid
        self.ready_fd = ready_fd  # the spare writes one byte here when prepared
        self.job_fd = job_fd  # the job request goes here
        self.idle_priority = idle_priority
        self.is_ready = False
        self.dead = False
        self.closed = False

    @classmethod
    def start(cls, worker: int, channel: socket.socket, run_child: RunChild, prepare: Prepare,
              idle_priority: bool) -> _Spare:
        ready_read, ready_write = os.pipe()
        job_read, job_write = os.pipe()

        def body() -> None:
            os.close(ready_read)
            os.close(job_write)
            if idle_priority:
                os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
            prepare()
            os.write(ready_write, b"r")
            with os.fdopen(job_read, "rb") as jobs:
                line = jobs.readline()
            if line:  # nothing: the server left, and so does the spare
                _run_request(json.loads(line), run_child)

        pid = _fork_adopted(worker, channel, body)
        os.close(ready_write)
        os.close(job_read)
        return cls(pid, ready_read, job_write, idle_priority)

    def ready(self) -> bool:
        if not (self.is_ready or self.dead) and select.select([self.ready_fd], [], [], 0)[0]:
            self.is_ready = os.read(self.ready_fd, 1) == b"r"
            self.dead = not self.is_ready  # end of file: it died while preparing
        return self.is_ready and not self.gone()

    def gone(self) -> bool:
        """Ended before its job (killed, out of memory): it needs replacing."""
        if not self.dead and not is_running(self.pid):
            self.dead = True
        if self.dead:
            self.close()
        return self.dead

    def hand_over(self, request_line: bytes) -> int | None:
        """Give the spare its job; its pid, or None if it died meanwhile."""
        try:
            if self.idle_priority:  # a job runs at normal priority; the spare cannot raise its own
                os.sched_setscheduler(self.pid, os.SCHED_OTHER, os.sched_param(0))
            os.write(self.job_fd, request_line)
        except OSError:
            self.dead = True
            return None
        finally:
            self.close()
        return self.pid

    def fds(self) -> tuple[int, ...]:
        return () if self.closed else (self.ready_fd, self.job_fd)

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            os.close(self.ready_fd)
            os.close(self.job_fd)


def _await_adoption(worker: int) -> None:
    """Wait until the go-between is gone and the worker is this job's parent; then die with it."""
    deadline = time.monotonic() + ADOPTION_TIMEOUT_S
    while os.getppid() != worker:
        if time.monotonic() > deadline:
            os._exit(3)  # adopted by someone else: the worker is not a subreaper after all
        time.sleep(0.0002)
    die_with_parent()
    if os.getppid() != worker:  # the worker died in between
        os._exit(3)
