"""The FastAPI application (a minimal start: the web tier's routers are added to it later).

`create_app(settings)` wires the catalogue, the dispatch backend and the job service, and
starts and stops the backend with the app.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request

from plugin_sdk.catalogue import Catalogue, plugin_roots
from server.db import init_database
from server.jobs.backends import Backend, make_backend
from server.jobs.service import JobService
from server.settings import Settings


def create_app(settings: Settings, *, backend: Backend | None = None, catalogue: Catalogue | None = None) -> FastAPI:
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

    app = FastAPI(title="PlotForge", lifespan=lifespan)
    app.state.settings = settings
    app.state.catalogue = catalogue
    app.state.backend = backend
    app.state.jobs = JobService(settings, catalogue, backend)

    @app.get("/api/health")
    def health(request: Request) -> dict[str, Any]:
        state = request.app.state
        return {"status": "ok", "backend": state.backend.name, "plugins": len(state.catalogue)}

    return app
