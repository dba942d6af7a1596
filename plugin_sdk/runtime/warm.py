"""The warm executor: start R and Python's plotting stack once, fork a child per job.

A cold `Rscript` spends about a second attaching ggplot2 and friends before it draws
anything; a child forked from a parent that already has them starts drawing at once. The
parent is the process that creates `WarmExecutor` (a worker, or `plotforge plugin test`),
so the supervisor in that same process can wait for the child with `waitpid`.

Two parents, one process tree: the worker attaches the light head of Hiplot's preload set,
starts a fork server at that point (forkserver.py), then attaches the heavy rest. An R
plugin whose code names nothing from the heavy packages is forked by the fork server, from
a heap a third the size; the others are forked by the worker itself.

Rules learnt the hard way (see architecture.md):
- the child leaves with `os._exit`: a normal exit runs R's clean-up, which deletes the
  parent's R temporary folder;
- the child gets a clean environment, so the worker's secrets never reach plugin code;
- fork only from a thread that is not running R; the warm parent runs R nowhere else.
"""

from __future__ import annotations

import gc
import os
import sys
import threading
import traceback
from collections.abc import Callable, Mapping
from pathlib import Path

from plugin_sdk.plugin import Plugin
from plugin_sdk.runtime.executors import R_DIR, R_ENTRY, SubprocessExecutor, job_environment, r_library_dir
from plugin_sdk.runtime.forkserver import ForkServer, reap_exited_children
from plugin_sdk.runtime.jobfolder import JobFolder
from plugin_sdk.runtime.limits import Limits, apply_limits, die_with_parent
from plugin_sdk.runtime.preload import needs_heavy_preload
from plugin_sdk.runtime.process import ChildProcess, ForkedChild

_R_RUNTIME_VARIABLES = frozenset(
    {"R_HOME", "R_SHARE_DIR", "R_INCLUDE_DIR", "R_DOC_DIR", "R_ARCH", "R_PLATFORM", "LD_LIBRARY_PATH"}
)
_warm_lock = threading.Lock()
_R_COLD, _R_LIGHT, _R_FULL = 0, 1, 2
_r_stage = _R_COLD
_heavy_names: frozenset[str] = frozenset()
_python_ready = False
_fork_server: ForkServer | None = None  # one per process, started between the light and heavy stages

# R's collector starts when a job has allocated past these thresholds (R reads them once, at start-up;
# see ?Memory). R's defaults keep the heap 80% full, so a forked job collected garbage eight times
# for a small ggplot, once at level 2, which writes to every page of the parent's heap and so copies
# it: about a quarter of the job's CPU. With these a job collects once or twice, at level 0, and a bigger
# job still collects as R always does. Measured by bench/bench_service.py: 3.4 -> 3.9 plots/s.
R_HEAP_THRESHOLDS = {"R_NSIZE": "2000000", "R_VSIZE": "256M"}

# glibc's malloc asks the kernel for transparent huge pages for the memory it takes (glibc 2.35 and
# later; read once, when a program starts, so a worker must be started with it). A job forked from
# the worker then gets fresh memory 2 MB per page fault instead of 4 KB. Measured on the embedded
# service with 40 plots at once, three pairs of runs: CPU per plot 674, 630, 624 ms without; 608,
# 558, 481 ms with. A glibc without the tunable ignores it.
MALLOC_HUGE_PAGES = "glibc.malloc.hugetlb=1"


def with_malloc_huge_pages(environment: Mapping[str, str]) -> dict[str, str]:
    """``environment`` for starting a warm worker: GLIBC_TUNABLES gains MALLOC_HUGE_PAGES, unless
    the operator already chose a glibc.malloc.hugetlb of their own."""
    tunables = environment.get("GLIBC_TUNABLES", "")
    if "glibc.malloc.hugetlb" in tunables:
        return dict(environment)
    return {**environment, "GLIBC_TUNABLES": ":".join(filter(None, [tunables, MALLOC_HUGE_PAGES]))}


def warm_up_r() -> None:
    """Start embedded R, put our stand-ins on the library path, attach Hiplot's whole preload set."""
    _warm_up_light_r()
    _attach_heavy_r()


def _warm_up_light_r() -> None:
    """R with the light head of the preload set, our helpers, and one plot drawn."""
    global _r_stage
    with _warm_lock:
        if _r_stage >= _R_LIGHT:
            return
        os.environ.setdefault("TZ", "UTC")
        for name, value in R_HEAP_THRESHOLDS.items():  # an operator's own setting wins
            os.environ.setdefault(name, value)
        library_path = os.environ.get("LD_LIBRARY_PATH")
        import rpy2.robjects as ro

        # rpy2 puts R's library folders in front of LD_LIBRARY_PATH as it starts R. The loader of this
        # process never reads it again, but every Python started from here would (its _ssl module then
        # loads Debian's libssl, not its own): the embedded pool's spawned workers hung on their first job.
        _restore_variable("LD_LIBRARY_PATH", library_path)
        from rpy2.rinterface_lib import callbacks

        # R's output reaches the job's log.txt as plain lines (rpy2 would send stderr through logging).
        callbacks.consolewrite_print = lambda text: sys.stdout.write(text)
        callbacks.consolewrite_warnerror = lambda text: sys.stderr.write(text)
        # rpy2 attaches `tools` for its help pages (it uses the namespace after that); an Rscript
        # run has no such entry, and scripts must see the same search path in both.
        ro.r('if ("package:tools" %in% search()) detach("package:tools")')
        # Sourcing run_job.R defines the entry functions; its command-line block runs only under Rscript.
        ro.r["source"](str(R_ENTRY))
        ro.r["plotforge_add_libraries"](str(r_library_dir()))
        ro.r["plotforge_preload"](ro.r["plotforge_light_preload"])
        ro.r["plotforge_attach_helpers"](str(R_DIR / "plotforge.R"))
        ro.r["plotforge_compile"]()
        from plugin_sdk.runtime.rasterise import register_in_r

        register_in_r()  # raster outputs rendered in-process, not by a Python started per job
        _rehearse(lambda: ro.r["source"](str(R_DIR / "rehearse.R")), "R")
        _r_stage = _R_LIGHT


def _restore_variable(name: str, value: str | None) -> None:
    if value is None:
        os.environ.pop(name, None)
    else:
        os.environ[name] = value


def _attach_heavy_r() -> None:
    """Attach the rest of the preload set, and note the names it makes visible."""
    global _r_stage, _heavy_names
    with _warm_lock:
        if _r_stage != _R_LIGHT:
            return
        import rpy2.robjects as ro

        _heavy_names = frozenset(str(name) for name in ro.r["plotforge_attach_heavy"]())
        # The helpers go back in front of the packages, where an Rscript run has them (Hmisc
        # has a `capitalize` too); drawing again compiles the new copies before any fork.
        ro.r["plotforge_attach_helpers"](str(R_DIR / "plotforge.R"))
        ro.r["plotforge_compile"](["plotforge"])
        _rehearse(lambda: ro.r["source"](str(R_DIR / "rehearse.R")), "R")
        _r_stage = _R_FULL


def warm_up_python() -> None:
    """Import the Python plotting stack and build matplotlib's font cache once."""
    global _python_ready
    with _warm_lock:
        if _python_ready:
            return
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot
        import pandas  # noqa: F401

        from plugin_sdk.runtime import run_python  # noqa: F401

        _rehearse(_draw_with_matplotlib, "matplotlib")
        _python_ready = True


def _rehearse(draw: Callable[[], object], what: str) -> None:
    """Draw once in the parent, so forked children inherit what a first plot loads lazily.

    Without it each child loads ggplot2's internals, the devices and the fonts again (about
    0.7 s of a 1.3 s job for a small ggplot). A failure only costs that time.
    """
    try:
        draw()
    except Exception as exc:
        print(f"plotforge: the {what} rehearsal plot failed ({exc}); jobs will start slower", file=sys.stderr)


def _draw_with_matplotlib() -> None:
    import io

    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(2, 2))
    axes.bar(["a", "b"], [1, 2])
    axes.set_title("rehearsal")
    for kind in ("png", "pdf", "svg"):
        figure.savefig(io.BytesIO(), format=kind)
    plt.close(figure)


def _copy_r_heap() -> None:
    """A spare's preparation: a full collection writes to every page of R's heap, so the copies
    a plot's allocations would cause happen now, before the job, not while it draws."""
    import rpy2.robjects as ro

    ro.r("invisible(gc(full = TRUE))")


def _freeze_python_heap() -> None:
    """Keep Python's collector off everything loaded so far (the web stack, pandas, rpy2).

    A full collection in a job child walks every tracked object and so writes to, and
    copies, every page of the parent's Python heap: about 70 ms in a worker. Objects made
    later, per job, stay collectable.
    """
    gc.collect()
    gc.freeze()


class WarmExecutor:
    """Forks each job from this (warm) process; falls back to a subprocess when asked to.

    ``fresh_plugins`` lists plugin keys that want a clean interpreter; they, and every
    plugin when ``enabled`` is False, run through `SubprocessExecutor` instead. With
    ``fork_server`` (the default) R plugins that need none of Hiplot's heavy packages are
    forked by the fork server instead (see the module docstring), and with ``spares`` it
    keeps a job process ready for them (forkserver.py). The first executor of a process
    decides both.
    """

    def __init__(self, *, r: bool = True, python: bool = True, fresh_plugins: frozenset[str] = frozenset(),
                 fork_server: bool = True, spares: bool = True) -> None:
        global _fork_server
        self.fresh_plugins = fresh_plugins
        self.fallback = SubprocessExecutor()
        if r:
            _warm_up_light_r()
        # The fork server before Python's plotting stack: it forks only R jobs, and without
        # pandas and matplotlib (about 60 MB) each fork copies fewer page tables and each job's
        # exit frees fewer.
        if r and fork_server:
            with _warm_lock:
                if _r_stage == _R_LIGHT and _fork_server is None:
                    _freeze_python_heap()
                    _fork_server = ForkServer.start(run_job_child, prepare=_copy_r_heap if spares else None)
        if python:
            warm_up_python()
        # Only a process that warmed up through here has one: R's heap cannot be made light again.
        self.fork_server = _fork_server if fork_server else None
        if r:
            _attach_heavy_r()
        _freeze_python_heap()

    def start(self, plugin: Plugin, job: JobFolder, limits: Limits) -> ChildProcess:
        warm = (_r_stage == _R_FULL if plugin.language == "r" else _python_ready)
        if not warm or plugin.key in self.fresh_plugins or plugin.data.get("cleanInterpreter") is True:
            return self.fallback.start(plugin, job, limits)
        language = plugin.language or "r"
        environment = job_environment(job)
        # Embedded R finds its own modules (the cairo device, ...) through R_HOME and friends
        # at load time, so those survive the clean-up; they hold paths, never secrets.
        environment.update({k: v for k, v in os.environ.items() if k in _R_RUNTIME_VARIABLES})
        server = self.fork_server
        if server is not None and server.usable and language == "r" and not needs_heavy_preload(plugin, _heavy_names):
            reap_exited_children()  # strays of earlier jobs, adopted by this subreaper
            pid = server.fork_job(language, job.root, limits, environment)
            if pid is not None:
                return ForkedChild(pid)
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:  # the child: never returns
            if server is not None:
                server.forget()
            run_job_child(language, job.root, limits, environment)
        return ForkedChild(pid)

    def prepare_idle(self) -> None:
        """The worker has nothing to do: have a spare job process ready for the next R plot."""
        if self.fork_server is not None and self.fork_server.usable:
            self.fork_server.prepare_spare()


def run_job_child(language: str, root: Path, limits: Limits, environment: dict[str, str]) -> None:
    """What a forked job child runs (from the worker or the fork server); leaves with os._exit."""
    code = 2
    job = JobFolder(root)
    try:
        os.setsid()
        die_with_parent()
        log = os.open(job.log_file, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        os.dup2(log, 1)
        os.dup2(log, 2)
        os.close(log)
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        os.close(devnull)
        sys.stdout = open(1, "w", buffering=1, encoding="utf-8", errors="replace", closefd=False)  # noqa: SIM115
        sys.stderr = open(2, "w", buffering=1, encoding="utf-8", errors="replace", closefd=False)  # noqa: SIM115
        os.environ.clear()
        os.environ.update(environment)
        os.chdir(job.root)
        apply_limits(limits)
        code = _run_entry(language, job.job_json)
    except BaseException:
        traceback.print_exc()
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)


def _run_entry(language: str, job_json: Path) -> int:
    if language == "python":
        from plugin_sdk.runtime.run_python import run_job

        return 0 if run_job(job_json) else 1
    import rpy2.robjects as ro

    result = ro.r["plotforge_run_job"](str(job_json))
    ok = result.rx2("ok")
    return 0 if bool(ok[0]) else 1
