"""`plotforge plugin new <module>/<tool>`: start a plugin from a working example."""

from __future__ import annotations

from pathlib import Path

import click

from plugin_sdk.cli import plugin
from plugin_sdk.scaffold import ScaffoldError, create_plugin, parse_key


@plugin.command("new")
@click.argument("key", metavar="MODULE/TOOL")
@click.option("--lang", "language", type=click.Choice(["r", "python"]), default="r", show_default=True,
              help="Write plot.R or plot.py.")
@click.option("--dir", "plugins_root", type=click.Path(file_okay=False, path_type=Path), default=Path("plugins"),
              show_default=True, help="The plugins folder to create MODULE/TOOL in.")
def new_command(key: str, language: str, plugins_root: Path) -> None:
    """Create a new plugin folder that lints clean, runs and passes its test."""
    try:
        module, tool = parse_key(key)
        folder = create_plugin(plugins_root, module, tool, language)  # type: ignore[arg-type]
    except ScaffoldError as exc:
        raise click.ClickException(str(exc)) from exc
    script = "plot.py" if language == "python" else "plot.R"
    click.echo(f"Created {folder}")
    for name in sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()):
        click.echo(f"  {name}")
    click.echo("")
    click.echo("Next:")
    click.echo(f"  plotforge plugin lint --strict {folder}")
    click.echo(f"  plotforge run {folder} --example")
    click.echo(f"  plotforge plugin test {folder}")
    click.echo(f"  plotforge plugin preview {folder}     # the form, live, while you edit {script}")
