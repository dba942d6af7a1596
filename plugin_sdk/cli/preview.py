"""`plotforge plugin preview PATH`: the plugin's form in a browser, redrawn as you save.

Starts the real server on this machine, serving only this plugin, with its database and job
folders in a temporary folder removed on exit; no Redis, and no R until you press Run. The
server package is imported here, inside the command, so plugin_sdk works without it.
"""

from __future__ import annotations

import contextlib
import signal
import socket
import sys
import tempfile
import webbrowser
from pathlib import Path

import click

from plugin_sdk.cli import plugin
from plugin_sdk.loader import find_plugin_folders
from plugin_sdk.plugin import JSON_FILES

USAGE_ERROR = 2


def _is_plugin_folder(path: Path) -> bool:
    return path.is_dir() and any((path / name).is_file() for name in JSON_FILES)


def _not_a_plugin(path: Path) -> str:
    """Why `path` cannot be previewed, with a hint at what would be."""
    if not path.exists():
        return f"{path}: no such folder"
    if not path.is_dir():
        return f"{path}: not a folder; give the plugin's folder (the one holding meta.json, data.json, ui.json)"
    inside = find_plugin_folders(path)
    if inside:
        names = ", ".join(str(p) for p in inside[:3]) + (", ..." if len(inside) > 3 else "")
        return f"{path} is a folder of plugins; preview one of them: {names}"
    return f"{path}: not a plugin folder (it has none of {', '.join(JSON_FILES)})"


def _listening_socket(host: str, port: int) -> socket.socket:
    """Bound before the server starts, so port 0 gives a free port we can print."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


@plugin.command("preview")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=0, type=click.IntRange(0, 65535), show_default=True,
              help="Port to listen on; 0 picks a free one.")
@click.option("--open/--no-open", "open_browser", default=False, show_default=True,
              help="Open the page in the default browser.")
@click.option("--warm/--no-warm", default=False, show_default=True,
              help="Start a warm R/Python for runs (slower to start, faster runs).")
def preview_command(path: Path, host: str, port: int, open_browser: bool, warm: bool) -> None:
    """Show PATH's form and catalogue card in a browser, reloaded on every save."""
    if not _is_plugin_folder(path):
        click.echo(f"plotforge plugin preview: {_not_a_plugin(path)}", err=True)
        sys.exit(USAGE_ERROR)
    try:
        sock = _listening_socket(host, port)
    except OSError as exc:
        click.echo(f"plotforge plugin preview: cannot listen on {host}:{port}: {exc.strerror or exc}", err=True)
        sys.exit(USAGE_ERROR)

    # Lazily: the preview is the one command of plugin_sdk that needs the server.
    import uvicorn

    from server.preview import create_preview_app

    with tempfile.TemporaryDirectory(prefix="plotforge-preview-") as data_dir, sock:
        app = create_preview_app(path, Path(data_dir), warm=warm)
        bound_port = sock.getsockname()[1]
        shown_host = f"[{host}]" if ":" in host else host
        url = f"http://{shown_host}:{bound_port}/preview"
        status = app.state.preview.status("en")
        click.echo(f"Previewing {status['key']} ({status['path']})")
        if not status["ok"]:
            click.echo("It does not load yet; the page lists why and follows your fixes.")
        click.echo(f"Open {url}  (Ctrl-C to stop)")
        if open_browser:
            webbrowser.open(url)
        server = uvicorn.Server(uvicorn.Config(app, log_level="warning", timeout_graceful_shutdown=2))
        # uvicorn stops on SIGTERM or Ctrl-C and then raises the signal again: leave through
        # the `with` then, so the temporary folder is removed.
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
        with contextlib.suppress(KeyboardInterrupt):
            server.run(sockets=[sock])
