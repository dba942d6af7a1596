"""Our service end to end against cold Rscript and the warm-R floor: same plot, same data, one run.

    .venv/bin/python -m bench.bench_service [--jobs 30] [--workers 2]

The plot is tests/integration/plugins/it/ggbox: a ggplot2 box plot of 200 values, written
as a 4 x 3 inch cairo PDF and a 300-dpi PNG rendered from that PDF. Printed, as p50/p95 over --jobs runs each:

- cold Rscript: the plugin through the runner's subprocess executor (what `plotforge run`
  does): a fresh Rscript attaching Hiplot's preload set, then the plot;
- the floor: warm R in this process (rpy2), the plot already built, only drawn to both files;
- the runner alone, each job forked from warm R here (no HTTP, database or queue): the
  small ggplot needs none of Hiplot's heavy packages, so the fork server forks it;
- the service end to end: HTTP submit to `plotforge serve` on a free port, poll the job
  until it succeeded, download the PNG; on the embedded backend and on RQ (a private
  redis-server and `plotforge worker` processes), each with --workers workers;
- throughput: --jobs plots submitted at once, plots per second until all are done; and its
  floor, --workers warm R processes drawing the built plot at once and doing nothing else.

Every request has its own title, so the result cache never answers. Figures depend on what
else the machine is doing; the load average is printed before and after.
"""

from __future__ import annotations

import argparse
import contextlib
import multiprocessing
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

from bench.stats import measure
from plugin_sdk.catalogue import Catalogue, plugin_roots
from plugin_sdk.loader import BUNDLED_PLUGINS
from plugin_sdk.runtime.executors import SubprocessExecutor
from plugin_sdk.runtime.runner import run_plugin

REPO = Path(__file__).resolve().parent.parent
PLUGIN_ROOT = REPO / "tests" / "integration" / "plugins"
PLUGIN_KEY = "it/ggbox"
PLOTFORGE = str(Path(sys.executable).parent / "plotforge")
POLL_S = 0.02  # how often the client asks for the job's state
THROUGHPUT_POLL_S = 0.5  # the throughput run reads finish times from the jobs instead
START_TIMEOUT_S = 300

# Taken before R starts in this process, so the servers start with what the operator gave,
# not with what warming up R here set (R_HOME, TZ, R's heap thresholds).
ENVIRONMENT = dict(os.environ)

TARGET_FLOOR_RATIO = 1.5
TARGET_COLD_SPEEDUP = 3.0
TARGET_THROUGHPUT = 4.0

# The plot of it/ggbox/plot.R, built once (the data read, the ggplot object made); the floor
# is `pf_bench_draw`: writing both files as a job's export_single does (ggplot2 lays the plot
# out and draws it to the PDF, and PDFium renders the PNG from that PDF).
FLOOR_R = """
pf_bench_build <- function(path, group_col, value_col, title) {
  data <- read.delim(path, check.names = FALSE, stringsAsFactors = FALSE)
  data[[value_col]] <- as.numeric(data[[value_col]])
  ggplot(data, aes(x = .data[[group_col]], y = .data[[value_col]], fill = .data[[group_col]])) +
    geom_boxplot(outlier.size = 0.8) +
    labs(title = title, x = group_col, y = value_col) +
    theme_bw()
}
pf_bench_draw <- function(built, prefix) {
  conf <- list(general = list(imageExportType = c("pdf", "png"), size = list(width = 4, height = 3), font = "Arial"))
  invisible(export_single(built, opt = list(outputFilePrefix = prefix), conf = conf))
}
"""


def request_for(title: str) -> dict[str, Any]:
    return {"use_example": True, "params": {"general": {"title": title}}}


# -- the baselines ----------------------------------------------------------------------------------


def bench_cold(work: Path, runs: int) -> dict[str, float]:
    plugin = Catalogue.load(plugin_roots([PLUGIN_ROOT])).get(PLUGIN_KEY)
    assert plugin is not None, f"{PLUGIN_KEY} is missing from {PLUGIN_ROOT}"
    executor = SubprocessExecutor()

    def action(i: int) -> None:
        result = run_plugin(plugin, request_for(f"cold {i}"), work / f"cold-{i}", executor=executor)
        if not result.ok:
            raise SystemExit(f"cold run failed: {result.message}\n" + "\n".join(result.log_tail))

    return measure("cold Rscript per plot (subprocess executor)", action, runs)


def floor_drawer(work: Path) -> Callable[[str], None]:
    """Warm R in this process, the plot built once: a function that only draws it to a prefix."""
    from plugin_sdk.runtime.warm import warm_up_r

    warm_up_r()
    import rpy2.robjects as ro

    plugin = Catalogue.load(plugin_roots([PLUGIN_ROOT])).get(PLUGIN_KEY)
    assert plugin is not None
    work.mkdir(parents=True, exist_ok=True)
    table = work / "floor.tsv"
    table.write_text(plugin.examples[0]["textarea"]["datTable"], encoding="utf-8")
    ro.r(FLOOR_R)
    built = ro.r["pf_bench_build"](str(table), "Group", "Value", "floor")
    draw = ro.r["pf_bench_draw"]
    draw(built, str(work / "first"))  # fonts and devices loaded once, as in a warm worker
    return lambda prefix: draw(built, prefix)


def bench_floor(work: Path, runs: int) -> dict[str, float]:
    draw = floor_drawer(work / "floor")
    return measure("floor: warm R, plot built, drawn to PDF+PNG", lambda i: draw(str(work / "floor" / f"f{i}")), runs)


def _draw_in_parallel(work: Path, count: int, ready: Any, go: Any, done: Any) -> None:
    """One process of the throughput floor: warm up, wait for the others, draw ``count`` plots."""
    draw = floor_drawer(work)
    ready.release()
    go.wait()
    for i in range(count):
        draw(str(work / f"f{i}"))
    done.put(time.perf_counter())


def bench_floor_throughput(work: Path, count: int, processes: int) -> float:
    """The floor of throughput: ``processes`` warm R processes drawing ``count`` plots between them
    at once, nothing else (no fork, no service). What the machine gives when drawing is all there is."""
    context = multiprocessing.get_context("spawn")  # not forked from this process's R
    ready, go, done = context.Semaphore(0), context.Event(), context.Queue()
    share = -(-count // processes)
    workers = [context.Process(target=_draw_in_parallel, args=(work / f"floor-tp-{k}", share, ready, go, done))
               for k in range(processes)]
    for worker in workers:
        worker.start()
    for _ in workers:
        ready.acquire()
    started = time.perf_counter()
    go.set()
    ended = max(done.get() for _ in workers)
    for worker in workers:
        worker.join()
    rate = share * processes / (ended - started)
    print(f"  {f'throughput floor, {processes} warm R processes':<44} {rate:8.2f} plots/s   (drawing only)")
    return rate


def bench_forked(work: Path, runs: int) -> dict[str, float]:
    """The runner alone, forking each job from warm R in this process: the service minus HTTP,
    database and queue, to show where the time between the floor and the service goes."""
    from plugin_sdk.runtime.warm import WarmExecutor

    plugin = Catalogue.load(plugin_roots([PLUGIN_ROOT])).get(PLUGIN_KEY)
    assert plugin is not None
    executor = WarmExecutor()

    def action(i: int) -> None:
        result = run_plugin(plugin, request_for(f"forked {i}"), work / f"forked-{i}", executor=executor)
        if not result.ok:
            raise SystemExit(f"forked run failed: {result.message}")

    action(-1)
    return measure("runner only, child forked from warm R", action, runs)


# -- the service ------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(probe: Callable[[], Any], what: str, timeout: float = START_TIMEOUT_S) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            value = probe()
        except (httpx.TransportError, OSError):
            value = None
        if value:
            return value
        time.sleep(0.1)
    raise SystemExit(f"gave up waiting for {what}")


class Processes:
    """Subprocesses started for one measurement, stopped (SIGTERM, then SIGKILL) at the end."""

    def __init__(self, work: Path, env: dict[str, str]) -> None:
        self.work = work
        self.env = env
        self.started: list[tuple[str, subprocess.Popen]] = []

    def start(self, label: str, argv: list[str]) -> subprocess.Popen:
        with open(self.work / f"{label}.log", "ab") as log:
            process = subprocess.Popen(argv, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                       stdin=subprocess.DEVNULL, cwd=self.work)
        self.started.append((label, process))
        return process

    def check(self) -> None:
        for label, process in self.started:
            if process.poll() is not None:
                raise SystemExit(f"{label} exited with {process.returncode}; see {self.work / (label + '.log')}")

    def stop(self) -> None:
        for _, process in reversed(self.started):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for _, process in reversed(self.started):
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def base_environment(work: Path, data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in ENVIRONMENT.items() if not k.startswith("PLOTFORGE_") or k == "PLOTFORGE_R_LIBS"}
    env.update({
        "PLOTFORGE_DATA_DIR": str(data_dir),
        "PLOTFORGE_PLUGIN_DIRS": str(PLUGIN_ROOT),
        "PLOTFORGE_TRUSTED_PLUGIN_DIRS": os.pathsep.join([str(BUNDLED_PLUGINS), str(PLUGIN_ROOT)]),
        "PLOTFORGE_MAX_QUEUED_PER_USER": "10000",
        "PLOTFORGE_MAX_RUNNING_PER_USER": "64",
        "PLOTFORGE_MAX_QUEUE": "10000",
        "PLOTFORGE_LOG_LEVEL": "warning",
    })
    return env


@contextlib.contextmanager
def embedded_service(work: Path, workers: int) -> Iterator[str]:
    data_dir = work / "embedded"
    port = free_port()
    processes = Processes(work, base_environment(work, data_dir))
    try:
        processes.start("serve-embedded", [PLOTFORGE, "serve", "--port", str(port), "--workers", str(workers)])
        yield f"http://127.0.0.1:{port}"
    finally:
        processes.stop()


@contextlib.contextmanager
def rq_service(work: Path, workers: int) -> Iterator[str]:
    data_dir = work / "rq"
    port, redis_port, password = free_port(), free_port(), secrets.token_hex(16)
    redis_url = f"redis://127.0.0.1:{redis_port}/0"
    env = {**base_environment(work, data_dir), "PLOTFORGE_REDIS_PASSWORD": password}
    processes = Processes(work, env)
    redis_dir = work / "redis"
    redis_dir.mkdir()
    try:
        redis_server = shutil.which("redis-server") or "redis-server"
        processes.start("redis", [redis_server, "--port", str(redis_port), "--bind", "127.0.0.1", "--save", "",
                                  "--appendonly", "no", "--requirepass", password, "--dir", str(redis_dir)])
        from redis import Redis

        client = Redis.from_url(redis_url, password=password)
        wait_for(client.ping, "redis-server")
        processes.start("serve-rq", [PLOTFORGE, "serve", "--port", str(port), "--redis-url", redis_url])
        base = f"http://127.0.0.1:{port}"
        wait_for(lambda: httpx.get(f"{base}/api/health", timeout=5).status_code == 200, "plotforge serve")
        names = [f"bench-{i + 1}" for i in range(workers)]
        for name in names:  # the database exists now: serve created it
            processes.start(f"worker-{name}", [PLOTFORGE, "worker", "--redis-url", redis_url, "--name", name])

        def all_listening() -> bool:
            processes.check()
            return all(client.exists(f"rq:worker:{name}") for name in names)

        wait_for(all_listening, "the workers to warm up")
        yield base
    finally:
        processes.stop()


def run_one(client: httpx.Client, title: str) -> None:
    """Submit, poll until succeeded, download the PNG: what a user waits for."""
    answer = client.post("/api/jobs", json={"plugin": PLUGIN_KEY, "request": request_for(title)})
    answer.raise_for_status()
    job = answer.json()
    while job["state"] not in ("succeeded", "failed", "cancelled"):
        time.sleep(POLL_S)
        job = client.get(f"/api/jobs/{job['id']}").json()
    if job["state"] != "succeeded":
        raise SystemExit(f"job {job['id']} {job['state']}: {job['message']}")
    png = next(o for o in job["outputs"] if o["kind"] == "png")
    download = client.get(png["url"])
    download.raise_for_status()
    if not download.content.startswith(b"\x89PNG"):
        raise SystemExit("the PNG download is not a PNG")


def throughput(client: httpx.Client, label: str, count: int) -> float:
    """Submit ``count`` plots at once; plots per second until every one has succeeded.

    The end is the last job's finished_at (same clock: the server runs on this machine), so
    the client can look rarely: its polling is not part of the service, and on two cores
    polling every few milliseconds would take CPU from the workers.
    """
    token = secrets.token_hex(4)
    started = time.time()
    ids = []
    for i in range(count):
        answer = client.post("/api/jobs", json={"plugin": PLUGIN_KEY, "request": request_for(f"{label} {token} {i}")})
        answer.raise_for_status()
        ids.append(answer.json()["id"])
    pending, finished = set(ids), []
    while pending:
        time.sleep(THROUGHPUT_POLL_S)
        listed = client.get("/api/jobs", params={"limit": min(500, count + 10)}).json()["jobs"]
        for job in listed:
            if job["id"] in pending and job["state"] in ("succeeded", "failed", "cancelled"):
                if job["state"] != "succeeded":
                    raise SystemExit(f"job {job['id']} {job['state']}: {job['message']}")
                pending.discard(job["id"])
                finished.append(datetime.fromisoformat(job["finished_at"]).timestamp())
    rate = count / (max(finished) - started)
    print(f"  {'throughput, ' + label:<44} {rate:8.2f} plots/s   ({count} submitted at once)")
    return rate


def bench_service(base: str, label: str, runs: int, workers: int) -> tuple[dict[str, float], float]:
    with httpx.Client(base_url=base, timeout=60) as client:
        wait_for(lambda: client.get("/api/health").status_code == 200, f"{label} to answer")
        # Warm-up: every worker runs one plot (the embedded pool warms R after serve answers).
        warm_token = secrets.token_hex(4)
        for i in range(2 * workers):
            run_one(client, f"warm-up {warm_token} {i}")
        token = secrets.token_hex(4)
        latency = measure(f"service end to end, {label}", lambda i: run_one(client, f"{label} {token} {i}"), runs)
        rate = throughput(client, label, runs)
    return latency, rate


# -- the report -------------------------------------------------------------------------------------


def verdict(ok: bool) -> str:
    return "met" if ok else "NOT met"


def report(cold: dict[str, float], floor: dict[str, float], forked: dict[str, float],
           service: dict[str, tuple[dict[str, float], float]], workers: int, floor_rate: float) -> None:
    print("\nSummary (p50; targets from the project brief)")
    print(f"  cold Rscript {cold['p50'] * 1000:.0f} ms, floor {floor['p50'] * 1000:.0f} ms "
          f"(cold / floor x{cold['p50'] / floor['p50']:.1f}); runner alone, forked from warm R: "
          f"{forked['p50'] * 1000:.0f} ms (x{forked['p50'] / floor['p50']:.2f} the floor)")
    print(f"  throughput floor: {floor_rate:.2f} plots/s from {workers} warm R processes only drawing")
    for label, (latency, rate) in service.items():
        to_floor = latency["p50"] / floor["p50"]
        speed_up = cold["p50"] / latency["p50"]
        print(f"  {label}: end to end {latency['p50'] * 1000:.0f} ms (p95 {latency['p95'] * 1000:.0f} ms)")
        print(f"      x{to_floor:.2f} the floor        target <= x{TARGET_FLOOR_RATIO}: "
              f"{verdict(to_floor <= TARGET_FLOOR_RATIO)}")
        print(f"      x{speed_up:.2f} faster than cold  target >= x{TARGET_COLD_SPEEDUP}: "
              f"{verdict(speed_up >= TARGET_COLD_SPEEDUP)}")
        print(f"      {rate:.2f} plots/s with {workers} workers  target >= {TARGET_THROUGHPUT}: "
              f"{verdict(rate >= TARGET_THROUGHPUT)} ({rate / floor_rate:.2f} of the throughput floor)")


def load_average() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.2f} (1 min), {five:.2f} (5 min) on {os.cpu_count()} CPUs"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--jobs", type=int, default=30, help="runs per measurement (at least 30 for the targets)")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="plotforge-bench-service-"))
    print(f"plot {PLUGIN_KEY} (ggplot2 box plot, 200 values, PDF + 300-dpi PNG); {args.jobs} runs each; "
          f"work folder {work}")
    print(f"before: {load_average()}\n")

    cold = bench_cold(work, args.jobs)
    # Before R starts here: the spawned processes inherit this process's environment.
    floor_rate = bench_floor_throughput(work, args.jobs, args.workers)
    # The runner first: its WarmExecutor starts the fork server, which needs R's heap still light.
    forked = bench_forked(work, args.jobs)
    floor = bench_floor(work, args.jobs)
    service: dict[str, tuple[dict[str, float], float]] = {}
    with embedded_service(work, args.workers) as base:
        service[f"embedded backend, {args.workers} workers"] = bench_service(base, "embedded", args.jobs,
                                                                             args.workers)
    with rq_service(work, args.workers) as base:
        service[f"RQ backend, {args.workers} workers"] = bench_service(base, "RQ", args.jobs, args.workers)

    report(cold, floor, forked, service, args.workers, floor_rate)
    print(f"\nafter: {load_average()}")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
