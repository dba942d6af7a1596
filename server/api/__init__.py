"""The HTTP API of server/API.md: one router per resource, the error shape, the session.

`install_api(app, settings)` adds everything to an app whose state already holds the
catalogue and the job service (server.app.create_app does both).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from fastapi import FastAPI

from server.api import i18n, jobs, plugins, uploads
from server.api.docs import find_swagger_ui, install_docs
from server.api.errors import install_error_handlers
from server.api.middleware import BodyLimitMiddleware, SecurityHeadersMiddleware
from server.api.session import SessionMiddleware
from server.api.upload_store import UploadStore
from server.settings import Settings

MIB = 1024 * 1024
OPENAPI_URL = "/api/openapi.json"
OPENAPI_TAGS = [
    {"name": "health", "description": "Is the server up, and with what."},
    {"name": "plugins", "description": "The catalogue of plots, each plot's form, example and cover."},
    {"name": "uploads", "description": "Tables uploaded by this browser session."},
    {"name": "jobs", "description": "Runs of this browser session: submit, follow, cancel, download."},
    {"name": "i18n", "description": "The page's words in English and Chinese."},
]

def install_api(app: FastAPI, settings: Settings, *, swagger_ui_dir: Path | None = None) -> None:
    """Routers, error handlers, middlewares and (when its files are here) Swagger UI.

    ``swagger_ui_dir``: where Swagger UI's files are (default: the usual places, see
    server.api.docs); a folder without them means no docs page.
    """
    if not settings.secret_key:
        raise RuntimeError("settings.secret_key is not set (load_settings() makes one): sessions cannot be signed")
    limits = dataclasses.replace(app.state.jobs.table_limits, max_bytes=settings.max_upload_mb * MIB)
    app.state.uploads = UploadStore(settings.data_dir / "uploads", limits)
    install_error_handlers(app)
    for module in (plugins, uploads, jobs, i18n):
        app.include_router(module.router)
    install_docs(app, find_swagger_ui() if swagger_ui_dir is None else find_swagger_ui((swagger_ui_dir,)))
    # A JSON body may carry a pasted table as large as an upload, escaped: twice the cap, plus room.
    # Uploads count their own bytes against the upload cap (server.api.multipart).
    app.add_middleware(BodyLimitMiddleware, max_bytes=2 * settings.max_upload_mb * MIB + MIB,
                       exempt_paths=frozenset({"/api/uploads"}))
    app.add_middleware(SessionMiddleware, secret_key=settings.secret_key)
    app.add_middleware(SecurityHeadersMiddleware)
