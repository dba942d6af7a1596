"""The warm executor's two parents: light R plugins from the fork server, the rest from the worker.

Each test checks what a plugin author relies on: the search path a script sees is Hiplot's
whenever the script may use a heavy preload package; jobs from the fork server are still
the worker's own children (waited for, timed out, killed with their whole session); an idle
worker's next job runs in a spare made ready for it; and a dead fork server or spare costs
speed, never a job.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

from plugin_sdk.lint.r_tokens import tokenize
from plugin_sdk.loader import load_plugin
from plugin_sdk.plugintest.expectations import image_difference
from plugin_sdk.runtime.executors import SubprocessExecutor
from plugin_sdk.runtime.forkserver import ForkServer
from plugin_sdk.runtime.limits import Limits
from plugin_sdk.runtime.outcome import Reason
from plugin_sdk.runtime.preload import looked_up_names, needs_heavy_preload
from plugin_sdk.runtime.process import children_of, stat_fields
from plugin_sdk.runtime.runner import run_plugin
from plugin_sdk.runtime.warm import MALLOC_HUGE_PAGES, WarmExecutor, run_job_child, with_malloc_huge_pages
from tests.plugin_factory import make_plugin
from tests.support import process_exists, wait_until

HEAVY = frozenset({"str_detect", "summarise", "%>%", "Heatmap"})

# Prints the search path and this process's parent, then draws: enough to tell which parent forked it.
PROBE = (
    'message("SEARCH ", paste(search(), collapse = " "))\n'
    'message("PARENT ", strsplit(readLines("/proc/self/stat"), " ")[[1]][[4]])\n'
    "p <- ggplot(data, aes(.data[[conf$dataArg[[1]][[2]]$value]])) + geom_bar()\n"
    "export_single(p)\n"
)


# -- how a warm worker is started ----------------------------------------------------------------


def test_warm_workers_get_glibc_s_huge_page_malloc_unless_the_operator_chose():
    assert with_malloc_huge_pages({"PATH": "/bin"}) == {"PATH": "/bin", "GLIBC_TUNABLES": MALLOC_HUGE_PAGES}
    other = {"GLIBC_TUNABLES": "glibc.malloc.arena_max=2"}
    assert with_malloc_huge_pages(other)["GLIBC_TUNABLES"] == f"glibc.malloc.arena_max=2:{MALLOC_HUGE_PAGES}"
    chosen = {"GLIBC_TUNABLES": "glibc.malloc.hugetlb=0"}
    assert with_malloc_huge_pages(chosen) == chosen


# -- which names a script looks up ---------------------------------------------------------------


def names_in(source: str) -> set[str]:
    return looked_up_names(tokenize(source))


def test_fields_arguments_and_qualified_names_are_not_lookups():
    found = names_in('x <- conf$summarise\ny <- f(summarise = 1, data@Heatmap)\nz <- stringr::str_detect(a, "b")\n')
    assert found.isdisjoint(HEAVY)
    assert {"conf", "f", "data", "a"} <= found


def test_calls_operators_and_function_names_given_as_strings_are_lookups():
    assert "str_detect" in names_in("keep <- str_detect(data$gene, 'G1')\n")
    assert "%>%" in names_in("data %>% head()\n")
    assert "summarise" in names_in('do.call("summarise", list(data))\n')
    assert "summarise" in names_in("sapply(groups, 'summarise')\n")
    assert "summarise" not in names_in('ggtitle("summarise")\n')  # a plain string is text


def test_a_plugin_needs_the_heavy_packages_only_if_its_code_may_use_them(tmp_path):
    light = load(make_plugin(tmp_path / "a", PROBE))
    heavy = load(make_plugin(tmp_path / "b", "keep <- str_detect(data$gene, 'G1')\n" + PROBE))
    dynamic = load(make_plugin(tmp_path / "c", 'f <- get(conf$extra$fun)\n' + PROBE))
    assert not needs_heavy_preload(light, HEAVY)
    assert needs_heavy_preload(heavy, HEAVY)
    assert needs_heavy_preload(dynamic, HEAVY)


def test_every_r_file_of_the_plugin_counts(tmp_path):
    folder = make_plugin(tmp_path, PROBE)
    (folder / "source.R").write_text("helper <- function(x) x %>% head()\n", encoding="utf-8")
    assert needs_heavy_preload(load(folder), HEAVY)


# -- running from either parent ------------------------------------------------------------------


@pytest.fixture(scope="module")
def warm(r_library, mpl_config_dir):
    executor = WarmExecutor(python=False)
    assert executor.fork_server is not None, "this process could not become a subreaper"
    return executor


def load(folder: Path):
    result = load_plugin(folder)
    assert result.plugin is not None, [str(f) for f in result.findings if f.is_error]
    return result.plugin


def logged(result, label: str) -> str:
    return next(line for line in result.log_tail if line.startswith(label + " "))[len(label) + 1:]


def test_warming_up_r_leaves_no_r_library_path_for_the_programs_this_process_starts(warm):
    # rpy2 puts R's folders in LD_LIBRARY_PATH; a Python spawned with that loads Debian's libssl
    # instead of its own, and the embedded pool's workers hung on their first job.
    assert os.environ["R_HOME"] not in os.environ.get("LD_LIBRARY_PATH", "")


def test_warm_r_starts_with_room_for_a_job_s_garbage(warm):
    import rpy2.robjects as ro

    from plugin_sdk.runtime.warm import R_HEAP_THRESHOLDS

    if os.environ["R_NSIZE"] != R_HEAP_THRESHOLDS["R_NSIZE"]:
        pytest.skip("the operator set R_NSIZE")
    # gc()'s "gc trigger" for cons cells: R never goes below the size it started with.
    trigger = ro.r("gc()[1, 3]")[0]
    assert trigger >= int(R_HEAP_THRESHOLDS["R_NSIZE"])


@pytest.mark.slow
def test_light_plugin_runs_from_the_fork_server_as_a_child_of_this_process(tmp_path, warm):
    plugin = load(make_plugin(tmp_path / "plugins", PROBE))
    result = run_plugin(plugin, {"use_example": True}, tmp_path / "job", executor=warm)
    assert result.ok, (result.message, result.log_tail)
    search = logged(result, "SEARCH").split()
    assert "package:ggplot2" in search and "package:Hmisc" not in search
    assert search[1] == "plotforge"  # our helpers first, as in an Rscript run
    assert int(logged(result, "PARENT")) == os.getpid()  # adopted: waited for and killed like any child


@pytest.mark.slow
def test_a_warm_job_and_a_fresh_rscript_render_the_same_png(tmp_path, warm):
    # Both render the PNG from the plot's PDF with PDFium: in-process in the warm child, through
    # `python -m plugin_sdk.runtime.rasterise` in the fresh Rscript. R's own PNG device lays text
    # out differently (a mean difference of about 0.01 on this plot), so this tells them apart.
    plugin = load(make_plugin(tmp_path / "plugins", PROBE))
    pngs = []
    for label, executor in (("warm", warm), ("fresh", SubprocessExecutor())):
        result = run_plugin(plugin, {"use_example": True}, tmp_path / label, executor=executor)
        assert result.ok, (label, result.message, result.log_tail)
        assert sorted(output.kind for output in result.outputs) == ["pdf", "png"]
        pngs.append(next(result.output_dir.glob("*.png")))
    assert image_difference(*pngs) < 0.001


@pytest.mark.slow
def test_plugin_using_a_heavy_package_sees_exactly_hiplots_search_path(tmp_path, warm, r_library):
    plugin = load(make_plugin(tmp_path / "plugins", "stopifnot(any(str_detect(data$gene, 'G1')))\n" + PROBE))
    forked = run_plugin(plugin, {"use_example": True}, tmp_path / "warm", executor=warm)
    cold = run_plugin(plugin, {"use_example": True}, tmp_path / "cold", executor=SubprocessExecutor())
    assert forked.ok and cold.ok, (forked.log_tail, cold.log_tail)
    assert "package:stringr" in logged(forked, "SEARCH").split()
    assert logged(forked, "SEARCH") == logged(cold, "SEARCH")


@pytest.mark.slow
def test_a_fork_server_job_that_runs_too_long_is_killed_with_nothing_left(tmp_path, warm):
    plugin = load(make_plugin(tmp_path / "plugins", 'message("PID ", Sys.getpid())\nSys.sleep(60)\n'))
    result = run_plugin(plugin, {"use_example": True}, tmp_path / "job", executor=warm,
                        limits=Limits(wall_clock_s=3))
    assert result.reason is Reason.TIMEOUT
    assert not process_exists(int(logged(result, "PID")))


@pytest.mark.slow
def test_jobs_still_run_when_the_fork_server_is_gone(tmp_path, warm):
    executor = WarmExecutor(python=False)
    # A server of its own to kill (forked from this process as it is now), so the shared one lives on.
    executor.fork_server = server = ForkServer.start(run_job_child)
    assert server is not None
    os.kill(server.pid, signal.SIGKILL)
    wait_until(lambda: not process_exists(server.pid), 10, what="the fork server to die")
    plugin = load(make_plugin(tmp_path / "plugins", PROBE))
    result = run_plugin(plugin, {"use_example": True}, tmp_path / "job", executor=executor)
    assert result.ok, (result.message, result.log_tail)
    assert int(logged(result, "PARENT")) == os.getpid()
    assert not server.usable


def current_spare(executor: WarmExecutor) -> int:
    """Ask for a spare (there may be one already) and return its pid once it is our child."""
    executor.prepare_idle()
    server = executor.fork_server.pid if executor.fork_server else None

    def live_children() -> set[int]:
        # Forked copies of this process, not the fork server: other tests' servers (a private
        # redis-server, say) may be children of this process too.
        return {pid for pid in children_of(os.getpid())
                if pid != server and (stat_fields(pid) or [b"Z"])[0] != b"Z" and command_line(pid) == MY_COMMAND}

    found = wait_until(live_children, 10, what="a spare to be adopted")
    assert len(found) == 1, found
    return found.pop()


@pytest.mark.slow
def test_an_idle_worker_s_next_job_runs_in_the_spare_made_ready_for_it(tmp_path, warm):
    spare = current_spare(warm)
    wait_until(lambda: cpu_ticks(spare) > 0, 10, what="the spare to start preparing")
    time.sleep(2)  # a full collection of the light R heap takes about 0.2 s
    plugin = load(make_plugin(tmp_path / "plugins", 'message("PID ", Sys.getpid())\n' + PROBE))
    result = run_plugin(plugin, {"use_example": True}, tmp_path / "job", executor=warm)
    assert result.ok, (result.message, result.log_tail)
    assert int(logged(result, "PID")) == spare
    assert int(logged(result, "PARENT")) == os.getpid()


@pytest.mark.slow
def test_a_spare_that_died_is_replaced_by_a_fresh_fork(tmp_path, warm):
    spare = current_spare(warm)
    os.kill(spare, signal.SIGKILL)
    wait_until(lambda: not process_exists(spare), 10, what="the spare to die")
    plugin = load(make_plugin(tmp_path / "plugins", 'message("PID ", Sys.getpid())\n' + PROBE))
    result = run_plugin(plugin, {"use_example": True}, tmp_path / "job", executor=warm)
    assert result.ok, (result.message, result.log_tail)
    assert int(logged(result, "PID")) != spare
    assert current_spare(warm) != spare  # and the next idle moment makes a new one


def command_line(pid: int | str) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


MY_COMMAND = command_line("self")


def cpu_ticks(pid: int) -> int:
    fields = stat_fields(pid)
    return int(fields[11]) + int(fields[12]) if fields else 0


@pytest.mark.slow
def test_the_fork_server_holds_no_copy_of_the_worker_s_pipes_and_sockets(tmp_path, warm):
    # A pipe to a process that waits for end-of-file (as Playwright's driver does, or a parent
    # reading the worker's output): closing this end must end it, fork server or not.
    read_end, write_end = os.pipe()
    server = ForkServer.start(run_job_child)
    assert server is not None
    try:
        os.set_blocking(read_end, False)
        wait_until(lambda: pipe_fds_of(server.pid) == 0, 10, what="the server to close its copies")
        os.close(write_end)
        assert os.read(read_end, 1) == b""  # end-of-file, not EAGAIN: no copy of the write end lives
    finally:
        os.close(read_end)
        server.close()


def pipe_fds_of(pid: int) -> int:
    """How many pipes the process holds beyond its standard streams."""
    pipes = 0
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            pipes += int(fd) > 2 and os.readlink(f"/proc/{pid}/fd/{fd}").startswith("pipe:")
        except FileNotFoundError:  # closed between the listing and the look: the server is closing them
            continue
    return pipes
