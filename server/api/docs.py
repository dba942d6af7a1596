"""Swagger UI at /api/docs, from files on this machine, never from a CDN.

The assets are those of the `swagger-ui-dist` npm package, vendored in
server/static/vendor/swagger-ui-dist (or installed into node_modules). Without them the docs
page is simply absent and /api/openapi.json remains: a page that fetched its script from
the internet would break offline and leak every visit. The page's Content-Security-Policy
holds the browser to that, and Swagger UI's online validator badge is switched off.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from starlette.responses import HTMLResponse
from starlette.staticfiles import StaticFiles

REPO = Path(__file__).resolve().parents[2]
CANDIDATES = (
    REPO / "server" / "static" / "vendor" / "swagger-ui-dist",
    REPO / "node_modules" / "swagger-ui-dist",
)
REQUIRED = ("swagger-ui-bundle.js", "swagger-ui.css")
DOCS_PATH = "/api/docs"
ASSETS_PATH = "/api/docs/assets"
DOCS_CSP = ("default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
            "img-src 'self' data:; connect-src 'self'; frame-ancestors 'self'")


def find_swagger_ui(candidates: tuple[Path, ...] = CANDIDATES) -> Path | None:
    return next((c for c in candidates if all((c / name).is_file() for name in REQUIRED)), None)


def install_docs(app: FastAPI, assets: Path | None) -> bool:
    """Serve Swagger UI from ``assets``; returns False (and adds nothing) when there are none."""
    if assets is None:
        return False
    app.mount(ASSETS_PATH, StaticFiles(directory=assets), name="swagger-ui-assets")
    favicon = f"{ASSETS_PATH}/favicon-32x32.png" if (assets / "favicon-32x32.png").is_file() else ""

    @app.get(DOCS_PATH, include_in_schema=False)
    def swagger_ui() -> HTMLResponse:
        page = get_swagger_ui_html(
            openapi_url=app.openapi_url or "/api/openapi.json",
            title="PlotForge API",
            swagger_js_url=f"{ASSETS_PATH}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS_PATH}/swagger-ui.css",
            swagger_favicon_url=favicon,
            swagger_ui_parameters={"validatorUrl": None},
        )
        page.headers["Content-Security-Policy"] = DOCS_CSP
        return page

    return True
