"""The live preview of one plugin (`plotforge plugin preview PATH`): the real app and the real
tool page, serving only that plugin, redrawn whenever one of its files changes.

    app = create_preview_app(Path("plugins/basic/my-plot"), data_dir)

What the preview adds to the app of server.app (and only to this app):

    GET /preview                      -> the tool page of the plugin, its example loaded
    GET /preview/{module}/{tool}      the tool page with /static/js/preview.js on top: the
                                      catalogue card, the lint findings, the live reload
    GET /api/preview/status           {ok, key, path, version, findings, card}: a broken plugin
                                      is not in the catalogue (its routes 404), this says why
    GET /api/preview/events           server-sent events: `plugin` {version, ok} after each change

A watcher (watchfiles) reads the folder again after every save and bumps `version`; the page
then asks for the status and, when the plugin loads, for its form again.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import queue
import secrets
import threading
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Annotated, Any

import anyio
import watchfiles
from fastapi import APIRouter, FastAPI, Query, Request
from sse_starlette import EventSourceResponse
from starlette.responses import HTMLResponse, RedirectResponse, Response

from plugin_sdk.catalogue import Catalogue
from plugin_sdk.labels import normalise_language
from plugin_sdk.loader import LoadResult, load_plugin
from server.api.views import card_view
from server.app import create_app
from server.pages import PAGE_HEADERS, PAGES_DIR
from server.settings import Settings

log = logging.getLogger(__name__)

# What the preview adds to the tool page's HTML: its stylesheet and its script.
PREVIEW_HEAD = ('<link rel="stylesheet" href="/static/css/preview.css">\n'
                '  <script type="module" src="/static/js/preview.js"></script>\n')
# Events within this many milliseconds are one change (an editor's save is several writes).
WATCH_STEP_MS = 50
WATCH_DEBOUNCE_MS = 600
# How long an event stream waits for a change before checking that the browser is still there.
EVENTS_WAKE_S = 5.0


class PreviewCatalogue(Catalogue):
    """A catalogue of exactly one plugin folder, read again from disk on `reload()`.

    Only that plugin: a copy of a bundled plugin is previewed as it is on disk, not shadowed
    by the bundled one (which `plugin_roots` would put first).
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path).resolve()
        self.result: LoadResult = load_plugin(self.path)
        super().__init__([self.path.parent.parent], [self.result])

    def reload(self) -> PreviewCatalogue:
        result = load_plugin(self.path)
        self._set_results([result])
        self.result = result  # last: whoever reads `result` finds its plugin in the catalogue
        return self


class PreviewState:
    """The version of the plugin on disk (one more after each change) and who waits for the next."""

    def __init__(self, catalogue: PreviewCatalogue) -> None:
        self.catalogue = catalogue
        self.version = 0
        self._changed = asyncio.Event()

    def bump(self) -> None:
        """A change was read: wake every event stream (call on the event loop)."""
        self.version += 1
        woken, self._changed = self._changed, asyncio.Event()
        woken.set()

    async def wait_for_change(self, seen: int, timeout: float) -> None:
        if self.version != seen:
            return
        with anyio.move_on_after(timeout):
            await self._changed.wait()

    def status(self, lang: str) -> dict[str, Any]:
        result = self.catalogue.result
        card = self.catalogue.card(result.key) if result.ok else None
        return {
            "ok": result.ok,
            "key": result.key,
            "path": str(self.catalogue.path),
            "version": self.version,
            "findings": [finding.to_dict() for finding in result.findings],
            "card": card_view(card, lang) if card is not None else None,
        }


class PreviewBackend:
    """Runs the preview's jobs one at a time on a thread of this process.

    Not the embedded pool: its worker processes load the plugin roots themselves, so a copy of
    a bundled plugin would run as the bundled one. This backend hands `execute_job` the
    preview's catalogue, so Run runs exactly the plugin on the page, as it is now.
    """

    name = "preview"

    def __init__(self, settings: Settings, catalogue: Catalogue) -> None:
        self.settings = settings
        self.catalogue = catalogue
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stopping.clear()
        self._thread = threading.Thread(target=self._run, name="plotforge-preview-jobs", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._thread is None:
            return
        self._stopping.set()
        self._queue.put(None)
        self._thread.join(timeout=30)
        self._thread = None

    def enqueue(self, job_id: str) -> None:
        self._queue.put(job_id)

    def cancel(self, job_id: str) -> None:
        """Nothing to do: the running job reads its cancel flag from the database."""

    def _run(self) -> None:
        from server.jobs.execute import execute_job, make_executor

        executor = make_executor(self.settings)
        worker_id = f"preview:{os.getpid()}"
        while (job_id := self._queue.get()) is not None:
            try:
                execute_job(job_id, self.settings, executor=executor, worker_id=worker_id,
                            catalogue=self.catalogue, stop_requested=self._stopping.is_set)
            except Exception:  # execute_job records what it can; the next job must still run
                log.exception("preview: job %s failed outside the plot", job_id)


def preview_settings(plugin_path: Path, data_dir: Path, *, warm: bool = False) -> Settings:
    """Settings for a throw-away server: its own SQLite in `data_dir`, no Redis, the author's
    plugin trusted (as `plotforge run` runs it), whatever PLOTFORGE_* says about a real server."""
    root = Path(plugin_path).resolve().parent.parent
    return Settings(
        data_dir=data_dir, database_url="", redis_url=None, plugin_dirs=[root], trusted_plugin_dirs=[root],
        workers=1, warm=warm, secret_key=secrets.token_urlsafe(32), log_level="warning",
    )


def create_preview_app(plugin_path: Path, data_dir: Path, *, warm: bool = False) -> FastAPI:
    """The app of server.app serving only the plugin at `plugin_path`, with the preview's routes."""
    settings = preview_settings(plugin_path, data_dir, warm=warm)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    catalogue = PreviewCatalogue(plugin_path)
    app = create_app(settings, catalogue=catalogue, backend=PreviewBackend(settings, catalogue))
    install_preview(app, catalogue)
    return app


def install_preview(app: FastAPI, catalogue: PreviewCatalogue) -> PreviewState:
    """Add the preview's routes to `app`, and the folder watcher to its lifespan."""
    state = PreviewState(catalogue)
    app.state.preview = state
    app.include_router(_router(state))
    _watch_during_lifespan(app, lambda: _watch(state))
    return state


def _watch_during_lifespan(app: FastAPI, watcher: Callable[[], Any]) -> None:
    inner = app.router.lifespan_context

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[Any]:
        async with inner(app) as inner_state:
            task = asyncio.create_task(watcher())
            try:
                yield inner_state
            finally:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    app.router.lifespan_context = lifespan


async def _watch(state: PreviewState) -> None:
    path = state.catalogue.path
    async for changes in watchfiles.awatch(path, step=WATCH_STEP_MS, debounce=WATCH_DEBOUNCE_MS,
                                           recursive=True, ignore_permission_denied=True):
        log.info("preview: %d change(s) in %s; reading the plugin again", len(changes), path)
        try:
            await anyio.to_thread.run_sync(state.catalogue.reload)
        except Exception:  # a half-written file must not stop the watcher; the next save retries
            log.exception("preview: could not read %s", path)
            continue
        state.bump()


def _router(state: PreviewState) -> APIRouter:
    router = APIRouter(include_in_schema=False)
    module, tool = state.catalogue.result.key.split("/", 1)

    @router.get("/preview")
    def preview_start() -> Response:
        return RedirectResponse(f"/preview/{module}/{tool}?example=1", status_code=307)

    @router.api_route("/preview/{module_name}/{tool_name}", methods=["GET", "HEAD"])
    def preview_page(module_name: str, tool_name: str) -> Response:
        known = (module_name, tool_name) == (module, tool)
        return HTMLResponse(_preview_html(), status_code=200 if known else 404, headers=PAGE_HEADERS)

    @router.get("/api/preview/status")
    def preview_status(lang: Annotated[str, Query(max_length=16)] = "en") -> dict[str, Any]:
        return state.status(normalise_language(lang))

    @router.get("/api/preview/events")
    def preview_events(request: Request) -> EventSourceResponse:
        return EventSourceResponse(_events(state, request))

    return router


def _preview_html() -> str:
    # The real tool page, read on each request like the page routes serve it, plus the preview.
    html = (PAGES_DIR / "tool.html").read_text(encoding="utf-8")
    if "</head>" not in html:
        raise RuntimeError("server/static/pages/tool.html has no </head> to put the preview in")
    return html.replace("</head>", PREVIEW_HEAD + "</head>", 1)


async def _events(state: PreviewState, request: Request) -> AsyncIterator[dict[str, str]]:
    seen = -1
    while True:
        if state.version != seen:
            seen = state.version
            data = {"version": seen, "ok": state.catalogue.result.ok}
            yield {"event": "plugin", "id": str(seen), "data": json.dumps(data)}
        await state.wait_for_change(seen, EVENTS_WAKE_S)
        if await request.is_disconnected():
            return
