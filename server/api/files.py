"""File answers that a browser cannot be tricked into running.

Every file goes out with a Content-Disposition naming it (RFC 6266 / 5987, so any file name
survives), `nosniff`, and a Content-Security-Policy that sandboxes it: an SVG or HTML output
opened directly is a document from a plugin, and must not run script with the site's
origin. Plotly's HTML needs its inline script, so it gets `sandbox allow-scripts` (still no
same-origin: it cannot read cookies or call the API) and nothing more.

Callers pass a path they already trust (a job's listed output, a plugin's own cover); this
module never builds a path from a request.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from starlette.responses import FileResponse

FILE_CSP = "sandbox; default-src 'none'; img-src 'self'; style-src 'unsafe-inline'"
SCRIPTED_HTML_CSP = ("sandbox allow-scripts; default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; "
                     "script-src 'unsafe-inline'")

_MEDIA_TYPES = (
    (".plotly.html", "text/html; charset=utf-8"),
    (".html", "text/html; charset=utf-8"),
    (".pdf", "application/pdf"),
    (".png", "image/png"),
    (".jpeg", "image/jpeg"),
    (".jpg", "image/jpeg"),
    (".gif", "image/gif"),
    (".webp", "image/webp"),
    (".tiff", "image/tiff"),
    (".tif", "image/tiff"),
    (".svg", "image/svg+xml"),
    (".xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    (".zip", "application/zip"),
    (".tar.gz", "application/gzip"),
    (".gz", "application/gzip"),
    (".txt", "text/plain; charset=utf-8"),
    (".tsv", "text/tab-separated-values; charset=utf-8"),
    (".csv", "text/csv; charset=utf-8"),
    (".json", "application/json"),
)
# What a page may show in place (an <img>, an <iframe>): everything else always downloads.
INLINE_SUFFIXES = (".png", ".jpeg", ".jpg", ".svg", ".pdf", ".html", ".gif", ".webp")
IMAGE_SUFFIXES = (".png", ".jpeg", ".jpg", ".svg", ".gif", ".webp")


def media_type(name: str) -> str:
    lower = name.lower()
    return next((kind for suffix, kind in _MEDIA_TYPES if lower.endswith(suffix)), "application/octet-stream")


def content_disposition(name: str, inline: bool = False) -> str:
    """`attachment; filename="ascii"; filename*=UTF-8''<percent-encoded>` (or inline)."""
    fallback = "".join(c if 32 <= ord(c) < 127 and c not in '"\\;' else "_" for c in name) or "download"
    kind = "inline" if inline else "attachment"
    return f"{kind}; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


def file_response(path: Path, name: str, *, inline: bool = False, cache_seconds: int = 3600) -> FileResponse:
    """``path`` sent as ``name``; inline only for kinds a page previews."""
    inline = inline and name.lower().endswith(INLINE_SUFFIXES)
    csp = SCRIPTED_HTML_CSP if name.lower().endswith(".html") else FILE_CSP
    headers = {
        "Content-Disposition": content_disposition(name, inline),
        "Content-Security-Policy": csp,
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": f"private, max-age={cache_seconds}",
    }
    return FileResponse(path, media_type=media_type(name), headers=headers)
