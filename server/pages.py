"""The browser pages: the catalogue (/), a tool (/tool/{module}/{tool}), my jobs (/jobs), and
the files they load under /static.

The pages are static HTML that load plain ES modules (no build step, no CDN): everything the
browser needs is in server/static, including the vendored JSON Schema validator. They talk
to the server only through the JSON API of server/API.md. A strict Content-Security-Policy
keeps them to their own scripts and styles, so text from a plugin or a table can never run.

    install_pages(app)   # adds the page routes and the /static mount
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from starlette.responses import FileResponse, Response
from starlette.staticfiles import StaticFiles

STATIC_DIR = Path(__file__).resolve().parent / "static"
PAGES_DIR = STATIC_DIR / "pages"

# Frames and objects are for previews of the job's own files (served sandboxed by the API);
# images may be data: URLs (the search icon) and blob: (nothing else).
PAGE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "frame-src 'self'; object-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'self'"
)
PAGE_HEADERS = {
    "Content-Security-Policy": PAGE_CSP,
    # Pages are tiny and change with each release: always ask again (an ETag makes it cheap).
    "Cache-Control": "no-cache",
}

router = APIRouter(include_in_schema=False)


def _page(name: str, status_code: int = 200) -> FileResponse:
    return FileResponse(PAGES_DIR / name, status_code=status_code, media_type="text/html; charset=utf-8",
                        headers=PAGE_HEADERS)


@router.api_route("/", methods=["GET", "HEAD"])
def catalogue_page() -> Response:
    return _page("catalogue.html")


@router.api_route("/tool/{module}/{tool}", methods=["GET", "HEAD"])
def tool_page(module: str, tool: str, request: Request) -> Response:
    # An unknown plot still gets the page (it explains itself in the user's language), with a 404.
    known = f"{module}/{tool}" in request.app.state.catalogue
    return _page("tool.html", 200 if known else 404)


@router.api_route("/jobs", methods=["GET", "HEAD"])
def jobs_page() -> Response:
    return _page("jobs.html")


class _StaticFiles(StaticFiles):
    """Static files that the browser revalidates (ETag) instead of keeping a stale module."""

    def file_response(self, *args: Any, **kwargs: Any) -> Response:
        response = super().file_response(*args, **kwargs)
        response.headers.setdefault("Cache-Control", "no-cache")
        return response


def install_pages(app: FastAPI) -> None:
    """Add the pages and the /static mount to `app`."""
    app.include_router(router)
    app.mount("/static", _StaticFiles(directory=STATIC_DIR), name="static")
