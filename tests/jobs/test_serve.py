"""`plotforge serve` as an operator starts it: a real process, a real port."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from plugin_sdk.runtime.process import children_of
from server.settings import ENV_PREFIX
from tests.jobs.conftest import wait_until

PLOTFORGE = str(Path(sys.executable).parent / "plotforge")


def clean_environment(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(ENV_PREFIX) or k == "PLOTFORGE_R_LIBS"}
    return {**env, **extra}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_a_bad_option_is_one_clear_line_and_exit_code_2(tmp_path: Path) -> None:
    result = subprocess.run([PLOTFORGE, "serve", "--workers", "lots"], capture_output=True, text=True,
                            env=clean_environment(PLOTFORGE_DATA_DIR=str(tmp_path)), timeout=60)
    assert result.returncode == 2
    expected = "plotforge serve: PLOTFORGE_WORKERS must be an integer between 1 and 64 (got 'lots')"
    assert result.stderr.strip() == expected


@contextlib.contextmanager
def running_serve(data_dir: Path, *options: str) -> Iterator[tuple[subprocess.Popen, dict]]:
    """`plotforge serve` on a free port, until it answers health; then SIGTERM, and it must stop
    cleanly within a minute (uvicorn re-raises the signal it stopped for)."""
    port = free_port()
    server = subprocess.Popen(
        [PLOTFORGE, "serve", "--port", str(port), "--data-dir", str(data_dir), *options],
        env=clean_environment(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )

    def health() -> dict | None:
        assert server.poll() is None, f"serve exited early: {server.stdout.read()}"
        try:
            answer = httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=2)
        except httpx.TransportError:
            return None
        return answer.json() if answer.status_code == 200 else None

    try:
        yield server, wait_until(health, timeout=120, interval=0.3)
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            output, _ = server.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            server.kill()
            output, _ = server.communicate()
            pytest.fail(f"serve did not stop within 60 s of SIGTERM:\n{output}")
    assert server.returncode in (0, -signal.SIGTERM), output
    assert "Application shutdown complete" in output
    assert "leaked" not in output  # the pool released its semaphores


@pytest.mark.slow
def test_serve_answers_health_and_stops_cleanly(tmp_path: Path) -> None:
    data_dir = tmp_path / "var"
    with running_serve(data_dir, "--workers", "1", "--no-warm") as (_, status):
        assert status["status"] == "ok" and status["backend"] == "embedded" and status["plugins"] > 0
        assert (data_dir / "plotforge.db").is_file() and (data_dir / "secret_key").is_file()


def environment_of(pid: int) -> list[bytes]:
    return Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")


@pytest.mark.slow
def test_a_warm_serve_and_its_workers_run_with_glibc_s_huge_page_malloc(tmp_path: Path) -> None:
    # glibc reads GLIBC_TUNABLES only as a program starts: serve starts itself again with it
    # (the same process), and the pool's workers, spawned from it, inherit it.
    if "GLIBC_TUNABLES" in os.environ:
        pytest.skip("GLIBC_TUNABLES is set where the tests run")
    tuned = b"GLIBC_TUNABLES=glibc.malloc.hugetlb=1"
    with running_serve(tmp_path / "var", "--workers", "1") as (server, _):
        assert tuned in environment_of(server.pid)
        workers = wait_until(lambda: children_of(server.pid), timeout=30, interval=0.2)
        assert all(tuned in environment_of(pid) for pid in workers)
