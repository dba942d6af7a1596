"""`plotforge plugins`: list the catalogue, and say which plugin folders failed to load and why."""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path

import click

from plugin_sdk.catalogue import Card, Catalogue, plugin_roots
from plugin_sdk.cli import cli
from plugin_sdk.labels import LANGUAGES
from plugin_sdk.loader import LoadResult

_COLUMNS = ("KEY", "NAME", "TAGS", "RUNS")


@cli.command("plugins")
@click.option("--lang", type=click.Choice(LANGUAGES), default=None, help="Language of names (default en).")
@click.option("--search", "text", default="", metavar="TEXT", help="Words that must all appear.")
@click.option("--tag", default=None, help="Only plugins with this tag.")
@click.option("--module", default=None, help="Only plugins of this module (basic, advance, ...).")
@click.option("--format", "output_format", type=click.Choice(["table", "json"]), default="table")
@click.option(
    "--plugin-dir",
    "plugin_dirs",
    multiple=True,
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Another folder of <module>/<tool> plugins (repeatable).",
)
def plugins_command(
    lang: str | None,
    text: str,
    tag: str | None,
    module: str | None,
    output_format: str,
    plugin_dirs: tuple[Path, ...],
) -> None:
    """List the plugins of the catalogue, with any that failed to load."""
    catalogue = Catalogue.load(plugin_roots(plugin_dirs))
    cards = catalogue.search(text, tag=tag, module=module, lang=lang)
    if output_format == "json":
        click.echo(json.dumps(_as_json(cards, catalogue.broken, lang), ensure_ascii=False, indent=2))
        return
    if cards:
        click.echo(_table(cards, lang or "en"))
    else:
        click.echo("No plugins match." if (text or tag or module) else "No plugins found.")
    if catalogue.broken:
        click.echo()
        click.echo(_broken_report(catalogue.broken))


def _as_json(cards: list[Card], broken: list[LoadResult], lang: str | None) -> dict:
    return {
        "plugins": [card.to_dict(lang) for card in cards],
        "broken": [
            {
                "key": result.key,
                "path": str(result.path),
                "findings": [f.to_dict() for f in result.findings if f.is_error],
            }
            for result in broken
        ],
    }


def _table(cards: list[Card], lang: str) -> str:
    rows = [_COLUMNS] + [(card.key, card.name[lang], ", ".join(card.categories), _runs(card)) for card in cards]
    widths = [max(_display_width(row[i]) for row in rows) for i in range(len(_COLUMNS))]
    lines = []
    for row in rows:
        cells = [_pad(cell, width) for cell, width in zip(row[:-1], widths[:-1], strict=True)]
        lines.append("  ".join([*cells, row[-1]]).rstrip())
    return "\n".join(lines)


def _runs(card: Card) -> str:
    if card.catalogue_only or not card.language:
        return "catalogue only"
    return "R" if card.language == "r" else "Python"


def _display_width(text: str) -> int:
    # Chinese characters take two terminal columns; counting them as one breaks the alignment.
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _display_width(text))


def _broken_report(broken: list[LoadResult]) -> str:
    noun = "plugin" if len(broken) == 1 else "plugins"
    lines = [f"{len(broken)} {noun} failed to load:"]
    for result in broken:
        errors = [f for f in result.findings if f.is_error]
        reason = f"{errors[0].location()}: {errors[0].message}" if errors else "no reason recorded"
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        lines.append(f"  {result.key}: {reason}{more}")
    return "\n".join(lines)
