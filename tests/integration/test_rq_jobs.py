"""Jobs through Redis and `plotforge worker`: same figures as the embedded pool, many at once,
cancelled in time, each misbehaving plot failing with its own reason, foreign jobs refused."""

from __future__ import annotations

import pickle
import struct
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from rq import Queue
from rq.job import Job as RQJob
from rq.job import JobStatus
from rq.serializers import JSONSerializer

from plugin_sdk.catalogue import Catalogue, plugin_roots
from plugin_sdk.plugintest.expectations import image_difference
from server.db import Job, init_database
from server.db.engine import dispose_engines
from server.jobs.embedded import EmbeddedBackend
from server.jobs.rq_backend import JOB_FUNCTION, QUEUE_NAME
from server.jobs.service import JobService
from server.settings import load_settings
from tests.integration.conftest import (
    IMPORT_MARKER_VARIABLE,
    INTEGRATION_PLUGINS,
    JOB_PLUGINS,
    OWNER,
    RedisServer,
    RQStack,
    processes_in,
    rq_stack_on,
    zombie_children,
)
from tests.support import process_exists, wait_until

pytestmark = pytest.mark.slow

CAPPED_REDIS_DB = 3  # the other RQ stacks use 0, 1 and 2


def png_size(path: Path) -> tuple[int, int]:
    """Width and height from the PNG header."""
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    return struct.unpack(">II", header[16:24])


def figures(job: Job) -> dict[str, str]:
    """Output name -> kind, without the reproducibility bundle."""
    return {o["name"]: o["kind"] for o in job.outputs if o["kind"] != "bundle"}


@pytest.fixture(scope="module")
def embedded(tmp_path_factory: pytest.TempPathFactory, r_library: Path) -> Iterator[JobService]:
    """The embedded pool (one warm worker) on a database and data folder of its own."""
    folder = tmp_path_factory.mktemp("embedded")
    plugin_dirs = [JOB_PLUGINS, INTEGRATION_PLUGINS]
    settings = load_settings(data_dir=folder / "var", database_url=f"sqlite:///{folder / 'plotforge.db'}",
                             plugin_dirs=plugin_dirs, trusted_plugin_dirs=plugin_dirs, workers=1, warm=True)
    init_database(settings)
    backend = EmbeddedBackend(settings)
    backend.start()
    try:
        yield JobService(settings, Catalogue.load(plugin_roots(plugin_dirs)), backend)
    finally:
        backend.stop()
        dispose_engines(settings.database_url)


def test_a_job_gives_the_same_figures_through_rq_as_through_the_embedded_pool(
        rq_stack: RQStack, embedded: JobService) -> None:
    title = "the same request on both backends"
    through_rq = rq_stack.wait_finished(rq_stack.submit("it/ggbox", title=title))
    pooled = embedded.submit(OWNER, "it/ggbox", {"use_example": True, "params": {"general": {"title": title}}})
    through_pool = wait_until(lambda: (j := embedded.get(OWNER, pooled.id)).finished and j, 240,
                              what="the embedded pool's job")

    assert (through_rq.state, through_rq.reason) == ("succeeded", None), through_rq.message
    assert (through_pool.state, through_pool.reason) == ("succeeded", None), through_pool.message
    assert through_rq.worker_id.startswith("rq:") and through_pool.worker_id.startswith("embedded:")
    assert figures(through_rq) == figures(through_pool) == {"ggbox.pdf": "pdf", "ggbox.png": "png"}
    rq_png = Path(through_rq.job_dir) / "output" / "ggbox.png"
    pool_png = Path(through_pool.job_dir) / "output" / "ggbox.png"
    assert png_size(rq_png) == png_size(pool_png) == (1200, 900)  # 4 x 3 inches at 300 dpi
    assert image_difference(rq_png, pool_png) == 0


def test_fifty_jobs_submitted_at_once_all_succeed(rq_stack: RQStack) -> None:
    jobs = [rq_stack.submit("it/ggbox", title=f"figure {i} of fifty") for i in range(50)]
    assert all(job.state == "queued" for job in jobs)  # none answered from the cache
    finished = [rq_stack.wait_finished(job, timeout=300) for job in jobs]
    failures = [(j.id, j.reason, j.message) for j in finished if j.state != "succeeded"]
    assert failures == []
    assert {j.worker_id for j in finished} == {"rq:it-w1", "rq:it-w2"}  # both workers took a share
    assert all(j.attempts == 1 for j in finished)


def test_cancelling_a_running_job_stops_its_r_process_within_two_seconds(rq_stack: RQStack) -> None:
    job = rq_stack.submit("jobs/sleepy")
    r_pid = rq_stack.wait_running_pid(job, "sleepy")
    assert process_exists(r_pid)

    answer = rq_stack.service.cancel(OWNER, job.id)
    assert answer is not None and answer.cancel_requested
    wait_until(lambda: not process_exists(r_pid), 2.0, 0.02, what="the R process to end after the cancel")

    done = rq_stack.wait_finished(job, timeout=30)
    assert (done.state, done.reason) == ("cancelled", "cancelled")
    assert processes_in(Path(job.job_dir)) == []


def test_a_queued_job_cancelled_in_the_database_is_also_taken_off_the_rq_queue(rq_stack: RQStack) -> None:
    # Both workers busy for a few seconds, so the third job waits in the queue.
    blockers = [rq_stack.submit("it/slow") for _ in range(2)]
    waiting = rq_stack.submit("jobs/quick")
    assert waiting.id in rq_stack.backend.queue.get_job_ids()
    rq_stack.backend.cancel(waiting.id)  # what the service calls for a job it found running
    assert waiting.id not in rq_stack.backend.queue.get_job_ids()
    rq_stack.service.cancel(OWNER, waiting.id)
    assert rq_stack.get(waiting).state == "cancelled"
    for job in blockers:
        assert rq_stack.wait_finished(job).state == "succeeded"


@pytest.mark.parametrize(
    ("plugin", "reason"),
    [("jobs/sleepy", "timeout"), ("it/spin", "timeout"), ("it/hog", "out_of_memory"),
     ("it/forkbomb", "too_many_processes")],
    ids=["sleeping", "looping", "memory-hungry", "fork-bombing"],
)
def test_a_misbehaving_plot_fails_with_its_own_reason_and_leaves_nothing_running(
        rq_stack: RQStack, plugin: str, reason: str, misbehaving: dict[str, Job]) -> None:
    done = rq_stack.wait_finished(misbehaving[plugin], timeout=180)
    assert (done.state, done.reason) == ("failed", reason), done.message
    assert done.message  # a sentence for the user
    assert processes_in(Path(done.job_dir)) == []
    # What the plot started, orphaned by the kill, was handed to the worker (a subreaper) and reaped.
    worker = rq_stack.worker_of(done)
    wait_until(lambda: zombie_children(worker.pid) == [], 10, what=f"worker {worker.name} to reap its zombies")


@pytest.fixture(scope="module")
def misbehaving(rq_stack_session: RQStack) -> dict[str, Job]:
    """The four misbehaving plots submitted together (the two slow ones run side by side)."""
    rq_stack_session.ensure_workers()
    return {plugin: rq_stack_session.submit(plugin)
            for plugin in ("jobs/sleepy", "it/spin", "it/hog", "it/forkbomb")}


def test_a_worker_refuses_every_job_but_run_job_without_importing_anything(
        rq_stack: RQStack, tmp_path: Path) -> None:
    import_marker = Path(rq_stack.workers["it-w1"].env[IMPORT_MARKER_VARIABLE])
    shell_marker = tmp_path / "os-system-ran"
    queue = Queue(QUEUE_NAME, connection=rq_stack.redis_client(), serializer=JSONSerializer)
    foreign = [
        queue.enqueue_call("os.system", args=[f"touch {shell_marker}"]),
        queue.enqueue_call("tests.integration.import_probe.touch", args=[str(shell_marker)]),
        queue.enqueue_call(JOB_FUNCTION, args=["someone-elses-job"], job_id="not-the-argument"),
        queue.enqueue_call(JOB_FUNCTION, args=["with-kwargs"], kwargs={"x": 1}, job_id="with-kwargs"),
    ]
    # The default (pickle) serializer: a JSON worker must not unpickle it, whatever it names.
    pickled = Queue(QUEUE_NAME, connection=rq_stack.redis_client()).enqueue_call(
        JOB_FUNCTION, args=["pickled"], job_id="pickled")

    def all_failed() -> bool:
        statuses = [RQJob.fetch(j.id, connection=rq_stack.redis_client(), serializer=JSONSerializer)
                    .get_status(refresh=True) for j in foreign]
        raw = rq_stack.redis_client().hget(f"rq:job:{pickled.id}", "status")
        return all(s == JobStatus.FAILED for s in statuses) and raw == b"failed"

    wait_until(all_failed, 60, what="the workers to fail the foreign jobs\n" + rq_stack.worker_logs())
    for job in foreign:
        result = RQJob.fetch(job.id, connection=rq_stack.redis_client(), serializer=JSONSerializer).latest_result()
        assert result is not None and result.exc_string.startswith("Refused by the PlotForge worker"), result
    assert not shell_marker.exists()
    assert not import_marker.exists()
    # ...and the workers are still there, running real jobs.
    assert rq_stack.wait_finished(rq_stack.submit("jobs/quick")).state == "succeeded"


def test_a_warm_worker_starts_itself_again_with_glibc_s_huge_page_malloc(rq_stack: RQStack) -> None:
    # glibc reads GLIBC_TUNABLES only as a program starts; the worker is the same process (the pid
    # it registered in Redis), now with it. tests/jobs/test_serve.py checks `plotforge serve`.
    for worker in rq_stack.workers.values():
        if "GLIBC_TUNABLES" in worker.env:
            pytest.skip("GLIBC_TUNABLES is set where the tests run")
        environment = Path(f"/proc/{worker.pid}/environ").read_bytes().split(b"\0")
        assert b"GLIBC_TUNABLES=glibc.malloc.hugetlb=1" in environment, worker.name


def test_pickle_is_never_what_the_backend_writes(rq_stack: RQStack) -> None:
    job = rq_stack.submit("jobs/fails")
    stored = rq_stack.redis_client().hget(f"rq:job:{job.id}", "data")
    assert stored is not None
    data = zlib.decompress(stored)  # RQ compresses the payload
    with pytest.raises(pickle.UnpicklingError):
        pickle.loads(data)
    assert JSONSerializer.loads(data) == [JOB_FUNCTION, None, [job.id], {}]
    assert rq_stack.wait_finished(job).reason == "plugin_error"


@pytest.fixture(scope="module")
def capped_stack(tmp_path_factory: pytest.TempPathFactory, redis_server: RedisServer, r_library: Path,
                 mpl_config_dir: Path) -> Iterator[RQStack]:
    """Two workers that let each owner run one job at a time."""
    folder = tmp_path_factory.mktemp("rq-capped")
    with rq_stack_on(folder, f"sqlite:///{folder / 'plotforge.db'}", redis_server, CAPPED_REDIS_DB,
                     ["cap-w1", "cap-w2"], worker_env={"PLOTFORGE_MAX_RUNNING_PER_USER": "1"}) as stack:
        yield stack


def test_an_owner_at_the_running_cap_waits_while_other_owners_jobs_run(capped_stack: RQStack) -> None:
    first = capped_stack.submit("jobs/sleepy", owner="alice")
    capped_stack.wait_running_pid(first, "sleepy")
    second = capped_stack.submit("jobs/sleepy", owner="alice")
    other = capped_stack.submit("jobs/quick", owner="bob")

    assert capped_stack.wait_finished(other).state == "succeeded"
    # A worker was free all along, and took bob's job, not alice's second.
    assert capped_stack.get(second).state == "queued"
    assert capped_stack.get(first).state == "running"

    capped_stack.service.cancel("alice", first.id)
    capped_stack.wait_running_pid(second, "sleepy")  # her turn, once her first job is gone
    capped_stack.service.cancel("alice", second.id)
    assert capped_stack.wait_finished(second).state == "cancelled"
    assert capped_stack.get(second).attempts == 1
