"""`plotforge plugin from-script FILE.R`: make a plugin from an annotated R function."""

from __future__ import annotations

from pathlib import Path

import click

from plugin_sdk.cli import plugin
from plugin_sdk.fromscript import FromScriptError, convert_script
from plugin_sdk.lint import lint_folder
from plugin_sdk.plugin import read_plugin_folder


@plugin.command("from-script")
@click.argument("script", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--out", "plugins_root", type=click.Path(file_okay=False, path_type=Path), default=Path("plugins"),
              show_default=True, help="The plugins folder to write <module>/<appname> in.")
@click.option("--force", is_flag=True, help="Regenerate the files of an existing plugin folder.")
def from_script_command(script: Path, plugins_root: Path, force: bool) -> None:
    """Turn SCRIPT, an R function with #' @appname/@param/@return tags, into a plugin folder."""
    try:
        folder = convert_script(script, plugins_root, force=force)
    except FromScriptError as exc:
        for line in exc.lines():
            click.echo(line, err=True)
        raise click.ClickException(f"{script.name}: fix the tag lines above, then run the command again") from exc
    click.echo(f"Created {folder}")
    findings = lint_folder(read_plugin_folder(folder))
    for finding in findings:
        click.echo(f"  {finding}", err=True)
    click.echo("")
    click.echo("Next:")
    click.echo(f"  plotforge run {folder} --example")
    click.echo(f"  plotforge plugin test {folder}")
    if any(f.is_error for f in findings):
        raise click.ClickException(f"{folder} has lint errors (above): fix the tags and run the command again")
