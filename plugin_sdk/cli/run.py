"""`plotforge run` (and `plotforge plugin run`): run one plugin from the terminal.

The equivalent of Hiplot's `hicli`: no server, Redis or database. Outputs land in --out;
the job folder (inputs, log, config) is kept beside them in --out/.job for inspection.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path
from typing import Any

import click

from plugin_sdk.cli import cli, plugin
from plugin_sdk.loader import load_plugin
from plugin_sdk.runtime.limits import Limits
from plugin_sdk.runtime.runner import run_plugin
from plugin_sdk.tables import TableError, read_table_file


def _parse_inputs(inputs: tuple[str, ...]) -> dict[str, str]:
    tables: dict[str, str] = {}
    for item in inputs:
        name, sep, file = item.partition("=")
        if not sep or not name or not file:
            raise click.BadParameter(f"{item!r}: expected TABLE=FILE, e.g. datTable=genes.tsv", param_hint="--input")
        try:
            tables[name] = read_table_file(Path(file), name).to_tsv()
        except FileNotFoundError as exc:
            raise click.BadParameter(f"{file}: no such file", param_hint="--input") from exc
        except TableError as exc:
            raise click.BadParameter(str(exc), param_hint="--input") from exc
    return tables


def _read_params(path: Path | None) -> dict[str, Any]:
    if path is None:
        return {}
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise click.BadParameter(f"{path}: {exc}", param_hint="--params") from exc
    if not isinstance(document, dict):
        raise click.BadParameter(f"{path}: expected a JSON object", param_hint="--params")
    # Accept a request-shaped file ({"params": {...}}) or a bare config overlay ({"extra": {...}}).
    return document["params"] if isinstance(document.get("params"), dict) else document


@click.command("run")
@click.argument("plugin_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--example", "example", is_flag=True, help="Use the plugin's example data and settings.")
@click.option("--example-index", type=int, default=0, show_default=True, help="Which example, when there are several.")
@click.option("--input", "inputs", multiple=True, metavar="TABLE=FILE", help="An input table (TSV, CSV, TXT, XLSX).")
@click.option("--params", "params_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="JSON file of parameters (a partial params.config).")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Output folder [default: ./<tool>-output].")
@click.option("--timeout", type=float, default=Limits.wall_clock_s, show_default=True, help="Wall clock limit, s.")
@click.option("--memory", type=int, default=Limits.memory_mb, show_default=True, help="Memory limit, MB.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def run_command(
    plugin_dir: Path, example: bool, example_index: int, inputs: tuple[str, ...], params_file: Path | None,
    out_dir: Path | None, timeout: float, memory: int, as_json: bool,
) -> None:
    """Run the plugin in PLUGIN_DIR and write its figures to --out."""
    loaded = load_plugin(plugin_dir)
    if loaded.plugin is None:
        for finding in loaded.findings:
            if finding.is_error:
                click.echo(str(finding), err=True)
        raise click.ClickException(f"{loaded.key} does not load; fix the errors above (plotforge plugin lint).")
    target = plugin_dir_output(out_dir, loaded.plugin.tool)
    request = {
        "params": _read_params(params_file),
        "tables": _parse_inputs(inputs),
        "use_example": example_index if example else False,
    }
    try:
        limits = Limits(wall_clock_s=timeout, memory_mb=memory)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from exc

    def show(kind: str, payload: Any) -> None:
        if kind == "log" and not as_json:
            click.echo(f"  | {payload}", err=True)

    result = run_plugin(loaded.plugin, request, target / ".job", limits=limits, on_event=show)
    if result.ok:
        _collect(result.output_dir, result.bundle, target)
    if as_json:
        click.echo(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
    elif result.ok:
        click.echo(f"{loaded.key}: done in {result.duration_s:.1f} s -> {target}")
        for output in result.outputs:
            click.echo(f"  {output.name:<40} {output.kind:<8} {output.size:>10,} bytes")
        if result.bundle is not None:
            click.echo(f"  {result.bundle.name:<40} {'bundle':<8} (sh reproduce.sh inside it re-makes these files)")
    else:
        click.echo(f"{loaded.key}: {result.reason.value}: {result.message}", err=True)
        for error in result.field_errors:
            click.echo(f"  {error.get('field', '')}: {error['message']}", err=True)
    if not result.ok:
        sys.exit(1)


def plugin_dir_output(out_dir: Path | None, tool: str) -> Path:
    target = out_dir or Path.cwd() / f"{tool}-output"
    target.mkdir(parents=True, exist_ok=True)
    return target


def _collect(output_dir: Path | None, bundle: Path | None, target: Path) -> None:
    if output_dir is not None:
        for file in output_dir.iterdir():
            shutil.copy2(file, target / file.name)
    if bundle is not None:
        shutil.copy2(bundle, target / bundle.name)


cli.add_command(run_command)
plugin.add_command(run_command)
