"""Browser tests: the real server (`plotforge serve` in a subprocess) driven by Debian's
Chromium through Playwright. No browser is ever downloaded.

Fixtures:
- `server_url`: the server, started once per session on a free port with its own data folder;
- `browser`: one Chromium for the session;
- `page`: a fresh browser context (its own session cookie) at 1280x800, failing the test
  on any uncaught script error and on any request that leaves the server's origin;
- `shot(page, name)`: saves a screenshot into test-artifacts/screenshots/.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

REPO = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO / "test-artifacts" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--disable-quic", "--no-first-run"]
PLOTFORGE = str(Path(sys.executable).parent / "plotforge")
LAPTOP = {"width": 1280, "height": 800}
TABLET = {"width": 820, "height": 1180}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _clean_environment() -> dict[str, str]:
    # Settings of the machine running the tests must not leak into the server under test.
    return {k: v for k, v in os.environ.items() if not k.startswith("PLOTFORGE_") or k == "PLOTFORGE_R_LIBS"}


@contextmanager
def running_command(argv: list[str], ready_url: str, log_path: Path, timeout: float,
                    env: dict[str, str] | None = None) -> Iterator[None]:
    """Run a plotforge command until ``ready_url`` answers 200; stop it (SIGTERM) afterwards."""
    name = " ".join(Path(argv[0]).name.split() + argv[1:3])
    with log_path.open("w") as log:
        process = subprocess.Popen(argv, env={**_clean_environment(), **(env or {})}, stdout=log,
                                   stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                pytest.fail(f"{name} exited early:\n{log_path.read_text()}")
            try:
                if httpx.get(ready_url, timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"{name} did not answer within {timeout:g} s:\n{log_path.read_text()}")
            time.sleep(0.3)
        yield
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def running_server(data_dir: Path, **env: str) -> Iterator[str]:
    """`plotforge serve` on a free port with its own data folder; yields its URL."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    argv = [PLOTFORGE, "serve", "--port", str(port), "--data-dir", str(data_dir / "var"), "--workers", "2"]
    with running_command(argv, f"{url}/api/health", data_dir / "serve.log", 120, env):
        yield url


@pytest.fixture(scope="session")
def server_url(tmp_path_factory: pytest.TempPathFactory, r_library: Path, mpl_config_dir: Path) -> Iterator[str]:
    """The server with the bundled plugins only (what a user of a fresh install sees)."""
    with running_server(tmp_path_factory.mktemp("browser-server")) as url:
        yield url


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).is_file():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (setup/install.sh); no browser is downloaded")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


class PageProblems:
    """Uncaught script errors and requests to any other origin, seen while a test ran."""

    def __init__(self, origin: str) -> None:
        self.origins = {origin}
        self.errors: list[str] = []
        self.foreign: list[str] = []

    def on_request(self, request: object) -> None:
        url = request.url  # type: ignore[attr-defined]
        if url.startswith(("data:", "blob:", "about:")):
            return
        parts = urlsplit(url)
        if f"{parts.scheme}://{parts.netloc}" not in self.origins:
            self.foreign.append(url)


@pytest.fixture
def page_factory(browser: object, server_url: str) -> Iterator[Callable[..., object]]:
    contexts = []
    problems = PageProblems(server_url)

    def make(viewport: dict[str, int] = LAPTOP, base_url: str = server_url, **options: object) -> object:
        problems.origins.add(base_url)
        context = browser.new_context(viewport=viewport, accept_downloads=True, base_url=base_url,  # type: ignore[attr-defined]
                                      **options)
        context.set_default_timeout(20_000)
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda error: problems.errors.append(str(error)))
        # Shown by pytest when a test fails: what the page itself said.
        page.on("console", lambda message: print(f"[console.{message.type}] {message.text}"))
        page.on("response", lambda r: r.status >= 400 and print(f"[http {r.status}] {r.request.method} {r.url}"))
        page.on("request", problems.on_request)
        return page

    yield make
    for context in contexts:
        context.close()
    assert not problems.errors, f"script errors on the page: {problems.errors}"
    assert not problems.foreign, f"the page reached outside the server (it must work offline): {problems.foreign}"


@pytest.fixture
def page(page_factory: Callable[..., object]) -> object:
    return page_factory()


@pytest.fixture
def shot() -> Callable[[object, str], Path]:
    def save(page: object, name: str, full_page: bool = False) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=full_page)  # type: ignore[attr-defined]
        return path

    return save
