"""Which queued job a free worker takes next."""

from __future__ import annotations

from server.db import session_factory
from server.jobs.backends import Backend, EmbeddedBackend, make_backend
from server.jobs.dispatch import next_queued_job_id
from server.jobs.service import JobService
from server.jobs.states import JobState, transition
from server.settings import Settings

REQUEST = {"use_example": True}


def test_the_oldest_queued_job_goes_first(service: JobService, settings: Settings) -> None:
    first = service.submit("alice", "jobs/quick", REQUEST)
    service.submit("bob", "jobs/quick", REQUEST)
    with session_factory(settings.database_url)() as session:
        assert next_queued_job_id(session, max_running_per_user=2) == first.id


def test_an_owner_at_the_running_cap_waits_while_others_go_ahead(service: JobService, settings: Settings) -> None:
    alice = [service.submit("alice", "jobs/quick", REQUEST) for _ in range(3)]
    bob = service.submit("bob", "jobs/quick", REQUEST)
    with session_factory(settings.database_url)() as session:
        for job in alice[:2]:
            assert transition(session, job.id, JobState.QUEUED, JobState.RUNNING, worker_id="w")
        assert next_queued_job_id(session, max_running_per_user=2) == bob.id
        assert next_queued_job_id(session, max_running_per_user=3) == alice[2].id


def test_nothing_queued_gives_none(settings: Settings) -> None:
    with session_factory(settings.database_url)() as session:
        assert next_queued_job_id(session, max_running_per_user=2) is None


def test_without_a_redis_url_the_backend_is_the_embedded_pool(settings: Settings) -> None:
    backend = make_backend(settings)
    assert isinstance(backend, EmbeddedBackend) and isinstance(backend, Backend)
    assert backend.name == "embedded"
