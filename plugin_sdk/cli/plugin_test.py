"""`plotforge plugin test PATH...`: run each plugin's tests/ cases (or its examples) and check them.

Prints one line per case and a summary; exits 1 when any case fails. The case format is in
plugin_sdk/plugintest/cases.py and expectations.py, and in CONTRIBUTING.md.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from pathlib import Path

import click

from plugin_sdk.cli import plugin
from plugin_sdk.plugintest.junit import write_junit
from plugin_sdk.plugintest.report import case_lines, summary
from plugin_sdk.plugintest.session import CaseResult, choose_executor, collect_plugins, run_session
from plugin_sdk.runtime.limits import Limits


@plugin.command("test")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--update", is_flag=True,
              help="Rewrite snapshots (expected images, image sizes, page counts, sheet shapes) from this run.")
@click.option("--junit", "junit_file", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write the results as JUnit XML to this file.")
@click.option("--case", "case_patterns", multiple=True, metavar="NAME",
              help="Run only the cases with this name (a glob such as 'small-*'); repeatable.")
@click.option("--no-warm", is_flag=True, help="Start a fresh R or Python for each case instead of forking a warm one.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Keep each case's job folder and outputs here [default: a temporary folder, removed].")
@click.option("--timeout", type=float, default=Limits.wall_clock_s, show_default=True,
              help="Wall clock limit per case, s.")
@click.option("-v", "--verbose", is_flag=True, help="Show the log tail of failing cases.")
def test_command(
    paths: tuple[Path, ...], update: bool, junit_file: Path | None, case_patterns: tuple[str, ...], no_warm: bool,
    out_dir: Path | None, timeout: float, verbose: bool,
) -> None:
    """Run the test cases of the plugins in PATHS (plugin folders or folders of them)."""
    started = time.perf_counter()
    plugins = collect_plugins(paths)
    if not plugins:
        raise click.ClickException(f"no plugin folders under {', '.join(map(str, paths))}")
    executor, note = choose_executor([p.plugin for p in plugins if p.plugin is not None], warm=not no_warm)
    if note:
        click.echo(f"note: {note}", err=True)

    def show(result: CaseResult) -> None:
        for line in case_lines(result, verbose=verbose, outputs_kept=out_dir is not None):
            click.echo(line)

    workdir = out_dir if out_dir is not None else Path(tempfile.mkdtemp(prefix="plotforge-test-"))
    try:
        results = run_session(plugins, executor, workdir, update=update, case_patterns=case_patterns,
                              limits=Limits(wall_clock_s=timeout), on_result=show)
    finally:
        if out_dir is None:
            shutil.rmtree(workdir, ignore_errors=True)
    if case_patterns and not results:
        raise click.ClickException(f"no case matches {', '.join(case_patterns)}")
    click.echo(summary(results, time.perf_counter() - started))
    if junit_file is not None:
        write_junit(results, junit_file)
        click.echo(f"JUnit XML: {junit_file}")
    if not all(r.ok for r in results):
        sys.exit(1)
