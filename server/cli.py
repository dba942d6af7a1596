"""`plotforge serve` (the web server with its job backend) and `plotforge worker` (an RQ worker).

Registered on the `plotforge` command group by plugin_sdk.cli (which imports this module
only when the server package is installed; plugin_sdk itself never depends on server).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from plugin_sdk.cli import cli
from server.settings import SettingsError, load_settings


@cli.command("serve")
@click.option("--host", default=None, help="Address to listen on [PLOTFORGE_HOST, default 127.0.0.1].")
@click.option("--port", default=None, help="Port to listen on [PLOTFORGE_PORT, default 8000].")
@click.option("--data-dir", default=None, type=click.Path(file_okay=False, path_type=Path),
              help="Database, job folders and secret key [PLOTFORGE_DATA_DIR, default ./var].")
@click.option("--database-url", default=None,
              help="sqlite:///... or postgresql+psycopg://... [PLOTFORGE_DATABASE_URL].")
@click.option("--redis-url", default=None, help="Use RQ workers through this Redis [PLOTFORGE_REDIS_URL].")
@click.option("--workers", default=None, help="Local worker processes of the embedded backend [PLOTFORGE_WORKERS].")
@click.option("--no-warm", "no_warm", is_flag=True, help="Start a fresh R per job instead of forking a warm one.")
def serve_command(
    host: str | None, port: str | None, data_dir: Path | None, database_url: str | None,
    redis_url: str | None, workers: str | None, no_warm: bool,
) -> None:
    """Run the PlotForge web server."""
    # Options are taken as text and checked by the settings, so a bad value reads the same
    # whether it came from the command line or the environment.
    try:
        settings = load_settings(
            host=host, port=port, data_dir=data_dir, database_url=database_url, redis_url=redis_url,
            workers=workers, warm=False if no_warm else None,
        )
    except SettingsError as exc:
        for line in str(exc).splitlines():
            click.echo(f"plotforge serve: {line}", err=True)
        sys.exit(2)
    if settings.warm and not settings.redis_url:  # the embedded pool's workers inherit it
        _restart_with_malloc_huge_pages()

    import uvicorn

    from server.app import create_app
    from server.db import init_database

    try:
        init_database(settings)
    except Exception as exc:
        click.echo(f"plotforge serve: cannot prepare the database at {_safe_url(settings.database_url)}: {exc}",
                   err=True)
        sys.exit(2)
    try:
        app = create_app(settings)
    except RuntimeError as exc:
        click.echo(f"plotforge serve: {exc}", err=True)
        sys.exit(2)
    click.echo(f"PlotForge on http://{settings.host}:{settings.port} ({app.state.backend.name} backend, "
               f"{len(app.state.catalogue)} plugins, data in {settings.data_dir})", err=True)
    uvicorn.run(app, host=settings.host, port=settings.port, log_level=settings.log_level)


def _safe_url(url: str) -> str:
    """The URL without its password, for messages."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "(unparsable URL)"


@cli.command("worker")
@click.option("--redis-url", default=None, help="The Redis of `plotforge serve` [PLOTFORGE_REDIS_URL]; "
              "its password in PLOTFORGE_REDIS_PASSWORD.")
@click.option("--database-url", default=None, help="The server's database [PLOTFORGE_DATABASE_URL].")
@click.option("--data-dir", default=None, type=click.Path(file_okay=False, path_type=Path),
              help="The server's data folder, shared with it [PLOTFORGE_DATA_DIR, default ./var].")
@click.option("--burst", is_flag=True, help="Stop when the queue is empty.")
@click.option("--name", default=None, help="Worker name, unique among live workers [default <host>.<pid>].")
@click.option("--no-warm", "no_warm", is_flag=True, help="Start a fresh R per job instead of forking a warm one.")
def worker_command(redis_url: str | None, database_url: str | None, data_dir: Path | None, burst: bool,
                   name: str | None, no_warm: bool) -> None:
    """Run jobs from Redis for `plotforge serve --redis-url` (any machine sharing its database and data)."""
    try:
        settings = load_settings(redis_url=redis_url, database_url=database_url, data_dir=data_dir,
                                 warm=False if no_warm else None)
    except SettingsError as exc:
        for line in str(exc).splitlines():
            click.echo(f"plotforge worker: {line}", err=True)
        sys.exit(2)
    if not settings.redis_url:
        click.echo("plotforge worker: needs a Redis URL (--redis-url or PLOTFORGE_REDIS_URL)", err=True)
        sys.exit(2)
    if settings.warm:
        _restart_with_malloc_huge_pages()
    from server.jobs.rq_worker import run_worker

    sys.exit(run_worker(settings, name=name, burst=burst))


def _restart_with_malloc_huge_pages() -> None:
    """glibc reads its tunables only when a program starts: start this command again (the same
    process) with the malloc setting warm workers run best with (plugin_sdk/runtime/warm.py),
    unless it has it."""
    from plugin_sdk.runtime.warm import with_malloc_huge_pages

    tuned = with_malloc_huge_pages(os.environ)
    script = Path(sys.argv[0])
    # Only as the `plotforge` command itself: a caller that runs this command inside its own
    # process (a test's CliRunner) must not be replaced.
    if tuned.get("GLIBC_TUNABLES") != os.environ.get("GLIBC_TUNABLES") and script.name == "plotforge" \
            and script.is_file():
        os.execve(sys.executable, [sys.executable, str(script), *sys.argv[1:]], tuned)
