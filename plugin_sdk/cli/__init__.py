"""`plotforge`: the command line. Each command lives in its own module in this package.

A command module defines click commands and attaches them with `@main.command()` or
`@plugin.command()`; `main()` imports every module in this package so they register.
"""

from __future__ import annotations

import importlib
import pkgutil

import click


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="plotforge")
def cli() -> None:
    """PlotForge: publication figures from Hiplot-format plugins."""


@cli.group()
def plugin() -> None:
    """Tools for plugin authors: new, lint, run, test, preview, from-script."""


def _register_commands() -> None:
    for info in pkgutil.iter_modules(__path__):
        if not info.name.startswith("_"):
            importlib.import_module(f"{__name__}.{info.name}")
    # The server's commands (serve, worker), when the server package is installed beside us.
    try:
        importlib.import_module("server.cli")
    except ModuleNotFoundError as exc:
        if exc.name not in ("server", "server.cli"):
            raise


def main() -> None:
    _register_commands()
    cli()
