"""How a queued job reaches a worker: the interface both dispatch backends offer.

The database is the source of truth; a backend only carries "run job X" to some worker,
which calls `server.jobs.execute.execute_job`. So a lost message delays a job but never
loses it, and a plugin behaves the same on either backend.

- `EmbeddedBackend` (server/jobs/embedded.py): local worker processes fed from the
  database; the default, nothing to install.
- `RQBackend` (server/jobs/rq_backend.py): RQ on Redis, workers on any machine sharing the
  database and the job storage; used when PLOTFORGE_REDIS_URL is set.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    from server.jobs.embedded import EmbeddedBackend
    from server.settings import Settings

__all__ = ["Backend", "EmbeddedBackend", "make_backend"]


@runtime_checkable
class Backend(Protocol):
    name: str

    def start(self) -> None:
        """Begin dispatching (start workers, connect); recover what a previous run left behind."""

    def stop(self) -> None:
        """Stop dispatching; a job interrupted here is queued again, not lost."""

    def enqueue(self, job_id: str) -> None:
        """Tell the workers a job is waiting (its row is already committed as queued)."""

    def cancel(self, job_id: str) -> None:
        """Help stop a running job; the row's cancel_requested flag is already set."""


def make_backend(settings: Settings) -> Backend:
    """The backend the settings ask for: RQ when a Redis URL is set, else the embedded pool."""
    if settings.redis_url:
        try:
            from server.jobs.rq_backend import RQBackend
        except ImportError as exc:
            raise RuntimeError(f"PLOTFORGE_REDIS_URL is set but the RQ backend cannot be loaded: {exc}") from exc
        return RQBackend(settings)
    from server.jobs.embedded import EmbeddedBackend

    return EmbeddedBackend(settings)


def __getattr__(name: str) -> object:
    # `from server.jobs.backends import EmbeddedBackend` works without importing the pool
    # (and the runtime behind it) for every user of the protocol.
    if name == "EmbeddedBackend":
        from server.jobs.embedded import EmbeddedBackend

        return EmbeddedBackend
    raise AttributeError(name)
