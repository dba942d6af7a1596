"""`plotforge plugin lint PATH...`: check plugin folders against the contract.

Each PATH is one plugin folder or a folder of <module>/<tool> plugins. Findings are printed
per plugin as `basic/volcano/ui.json#/extra/p_cutoff/max: error X012: ...`, then a summary.
The exit status is 1 when any plugin has an error (or, with --strict, a warning), else 0.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import click

from plugin_sdk.cli import plugin
from plugin_sdk.findings import Finding, Severity
from plugin_sdk.lint import RULES, lint_folder
from plugin_sdk.loader import find_plugin_folders
from plugin_sdk.plugin import read_plugin_folder


@dataclass
class PluginReport:
    """The findings of one plugin folder."""

    key: str
    path: Path
    findings: list[Finding]

    def count(self, severity: Severity) -> int:
        return sum(1 for f in self.findings if f.severity is severity)

    def to_dict(self) -> dict:
        return {"plugin": self.key, "path": str(self.path), "findings": [f.to_dict() for f in self.findings]}


def lint_paths(paths: list[Path], disabled: set[str]) -> list[PluginReport]:
    """Lint every plugin folder under the given paths, in path order, each folder once."""
    reports: list[PluginReport] = []
    seen: set[Path] = set()
    for path in paths:
        for folder_path in find_plugin_folders(path):
            resolved = folder_path.resolve()
            if resolved in seen:
                continue
            seen.add(resolved)
            folder = read_plugin_folder(folder_path)
            # Reading problems (F0xx) bypass the rule registry, so filter them here too.
            findings = [f for f in lint_folder(folder, disabled) if f.code not in disabled]
            reports.append(PluginReport(f"{folder.module}/{folder.tool}", folder.path, findings))
    return reports


def _plural(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _text_report(reports: list[PluginReport]) -> str:
    lines: list[str] = []
    for report in reports:
        errors, warnings = report.count(Severity.ERROR), report.count(Severity.WARNING)
        status = "ok" if not report.findings else f"{_plural(errors, 'error')}, {_plural(warnings, 'warning')}"
        lines.append(f"{report.key}: {status}")
        lines.extend(f"{report.key}/{finding}" for finding in report.findings)
    errors = sum(r.count(Severity.ERROR) for r in reports)
    warnings = sum(r.count(Severity.WARNING) for r in reports)
    failing = sum(1 for r in reports if r.count(Severity.ERROR))
    lines.append(
        f"{_plural(len(reports), 'plugin')} checked, {failing} with errors: "
        f"{_plural(errors, 'error')}, {_plural(warnings, 'warning')}"
    )
    return "\n".join(lines)


@plugin.command("lint")
@click.argument(
    "paths",
    nargs=-1,
    required=True,
    type=click.Path(exists=True, file_okay=False, path_type=Path),
)
@click.option("--strict", is_flag=True, help="Fail on warnings too.")
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json"]),
    default="text",
    help="text (default) or a JSON list of {plugin, path, findings}.",
)
@click.option(
    "--disable", "disabled", multiple=True, metavar="CODE", help="Skip a rule by its code, e.g. X011 (repeatable)."
)
def lint_command(paths: tuple[Path, ...], strict: bool, output_format: str, disabled: tuple[str, ...]) -> None:
    """Check plugin folders: each PATH is a plugin folder or a folder of <module>/<tool> plugins."""
    for path in paths:
        if not find_plugin_folders(path):
            raise click.BadParameter(
                f"'{path}' holds no plugin (a folder with meta.json, data.json or ui.json, "
                "directly or as <module>/<tool>)",
                param_hint="PATH",
            )
    skip = {code.upper() for code in disabled}
    reports = lint_paths(list(paths), skip)
    unknown = sorted(code for code in skip if code not in RULES and not code.startswith("F"))
    if unknown:
        click.echo(f"warning: --disable {', '.join(unknown)}: no such rule", err=True)
    if output_format == "json":
        click.echo(json.dumps([r.to_dict() for r in reports], ensure_ascii=False, indent=2))
    else:
        click.echo(_text_report(reports))
    failing = {Severity.ERROR, Severity.WARNING} if strict else {Severity.ERROR}
    if any(f.severity in failing for r in reports for f in r.findings):
        raise SystemExit(1)
