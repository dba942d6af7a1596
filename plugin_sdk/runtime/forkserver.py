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

The server speaks JSON lines over a socket pair: the worker sends what `run_child` needs
(the plugin's language, the job folder, the limits, the environment), the server answers
with the job's pid once the go-between is gone. It dies with the worker, and leaves when
the worker closes its end.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import signal
import socket
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from plugin_sdk.runtime.limits import Limits, die_with_parent

REPLY_TIMEOUT_S = 10.0
ADOPTION_TIMEOUT_S = 5.0

# What a job child runs: (language, job folder, limits, environment) -> never returns.
RunChild = Callable[[str, Path, Limits, dict[str, str]], None]


class ForkServer:
    """The worker's handle on its fork server (see the module docstring)."""

    def __init__(self, pid: int, channel: socket.socket) -> None:
        self.pid = pid
        self.owner = os.getpid()
        self._channel = channel
        self._replies = channel.makefile("rb")

    @classmethod
    def start(cls, run_child: RunChild) -> ForkServer | None:
        """Fork the server from this process as it is now; None if this process cannot adopt jobs."""
        if not become_subreaper():
            return None
        ours, theirs = socket.socketpair()
        worker = os.getpid()
        pid = os.fork()
        if pid == 0:  # the server: never returns
            ours.close()
            _serve(theirs, worker, run_child)
        theirs.close()
        ours.settimeout(REPLY_TIMEOUT_S)
        return cls(pid, ours)

    @property
    def usable(self) -> bool:
        """Jobs it forks are adopted by the process that started it, so only that one may ask."""
        return self._channel.fileno() >= 0 and os.getpid() == self.owner

    def fork_job(self, language: str, root: Path, limits: Limits, environment: dict[str, str]) -> int | None:
        """Start a job; its pid (now a child of this process), or None if the server is gone."""
        request = {"language": language, "root": str(root), "limits": dataclasses.asdict(limits),
                   "environment": environment}
        try:
            self._channel.sendall(json.dumps(request).encode() + b"\n")
            reply = json.loads(self._replies.readline() or b"{}")
        except (OSError, ValueError):
            reply = {}
        pid = reply.get("pid")
        if not isinstance(pid, int):
            self.close()
            return None
        return pid

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


_PR_SET_CHILD_SUBREAPER = 36


# -- inside the server ------------------------------------------------------------------------------


def _serve(channel: socket.socket, worker: int, run_child: RunChild) -> None:
    code = 0
    try:
        die_with_parent()
        if os.getppid() != worker:  # the worker died before the line above
            os._exit(0)
        # The worker's handlers would only set flags in this copy of it: stop on SIGTERM, and
        # leave Ctrl-C to the worker.
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        for line in channel.makefile("rb"):
            request = json.loads(line)
            pid = _fork_adopted_job(request, worker, channel, run_child)
            channel.sendall(json.dumps({"pid": pid}).encode() + b"\n")
    except BaseException:
        code = 1
    finally:
        os._exit(code)


def _fork_adopted_job(request: dict[str, Any], worker: int, channel: socket.socket, run_child: RunChild) -> int:
    read_end, write_end = os.pipe()
    go_between = os.fork()
    if go_between == 0:
        os.close(read_end)
        job = os.fork()
        if job == 0:  # the job: never returns
            os.close(write_end)
            channel.close()
            _await_adoption(worker)
            run_child(request["language"], Path(request["root"]), Limits(**request["limits"]),
                      request["environment"])
            os._exit(2)
        os.write(write_end, str(job).encode())
        os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        pid = int(pipe.read() or b"0")
    # The go-between has exited once waitpid returns, and its child has been re-parented.
    os.waitpid(go_between, 0)
    return pid


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
