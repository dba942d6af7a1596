"""The FastAPI application.

`create_app(settings)` wires the catalogue, the dispatch backend, the job service and the
HTTP API (server/api, documented in server/API.md), and starts and stops the backend with
the app.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI

from plugin_sdk.catalogue import Catalogue, plugin_roots
from server.api import OPENAPI_TAGS, OPENAPI_URL, install_api
from server.db import init_database
from server.jobs.backends import Backend, make_backend
from server.jobs.service import JobService
from server.pages import install_pages
from server.settings import Settings


def create_app(
    settings: Settings,
    *,
    backend: Backend | None = None,
    catalogue: Catalogue | None = None,
    swagger_ui_dir: Path | None = None,
) -> FastAPI:
    """The app; ``swagger_ui_dir`` is where Swagger UI's files are (default: the usual places)."""
    catalogue = catalogue if catalogue is not None else Catalogue.load(plugin_roots(settings.plugin_dirs))
    backend = backend if backend is not None else make_backend(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        init_database(settings)  # cheap when up to date; lets tests and embedders skip a step
        backend.start()
        try:
            yield
        finally:
            backend.stop()

    app = FastAPI(
        title="PlotForge",
        summary="Publication figures from plugin-defined plots: catalogue, forms, uploads and jobs.",
        version="0.1.0",
        lifespan=lifespan,
        openapi_url=OPENAPI_URL,
        openapi_tags=OPENAPI_TAGS,
        docs_url=None,  # served from local files by server.api.docs, never from a CDN
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.catalogue = catalogue
    app.state.backend = backend
    app.state.jobs = JobService(settings, catalogue, backend)
    install_api(app, settings, swagger_ui_dir=swagger_ui_dir)
    install_pages(app)
    return app
