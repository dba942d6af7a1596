"""The plugin catalogue: every plugin found under the plugin roots, as cards to list and search.

Folders are read and validated once (by `plugin_sdk.loader.discover`); a card is built from
the already parsed meta.json, and a search index of lower-cased text is built with it, so a
search never touches the disk. A plugin that fails validation is kept in `broken` with its
findings and never stops the others from loading.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from plugin_sdk.labels import label_pair, normalise_language
from plugin_sdk.loader import BUNDLED_PLUGINS, LoadResult, discover
from plugin_sdk.plugin import Plugin

PLUGIN_DIRS_ENV = "PLOTFORGE_PLUGIN_DIRS"
# The first tag of a Hiplot meta.json names the front-end kind, not a category.
FRONT_END_KINDS = ("vue", "shiny")
_URL_PREFIXES = ("http://", "https://", "//", "/", "data:image/")


def plugin_roots(extra: Iterable[Path] = ()) -> list[Path]:
    """Where plugins are looked for: the bundled folder, then `extra`, then PLOTFORGE_PLUGIN_DIRS.

    The bundled folder comes first so an added folder cannot shadow a bundled plugin (the
    first root to define a key wins).
    """
    from_env = [Path(p) for p in os.environ.get(PLUGIN_DIRS_ENV, "").split(os.pathsep) if p.strip()]
    roots: list[Path] = []
    for root in (BUNDLED_PLUGINS, *(Path(p) for p in extra), *from_env):
        resolved = root.expanduser().resolve()
        if resolved not in roots:
            roots.append(resolved)
    return roots


@dataclass
class Card:
    """What the catalogue shows of one plugin."""

    key: str
    module: str
    tool: str
    href: str
    name: dict[str, str]
    intro: dict[str, str]
    tags: list[str]
    categories: list[str]
    alias: list[str] = field(default_factory=list)
    author: str | None = None
    email: str | None = None
    citation: str | None = None
    version: str | None = None
    release_date: str | None = None
    update_date: str | None = None
    score: float | None = None
    cover: str | None = None
    cover_is_file: bool = False
    runnable: bool = False
    language: str | None = None
    catalogue_only: bool = False

    @classmethod
    def from_plugin(cls, plugin: Plugin) -> Card:
        meta = plugin.meta
        info = meta.get("meta") if isinstance(meta.get("meta"), dict) else {}
        tags = _strings(meta.get("tag"))
        cover, cover_is_file = _cover(meta.get("src"), plugin.path)
        return cls(
            key=plugin.key,
            module=plugin.module,
            tool=plugin.tool,
            href=plugin.href,
            name=label_pair(meta.get("name"), fallback_key=plugin.tool),
            intro=label_pair(meta.get("intro")),
            tags=tags,
            categories=[t for t in tags if t.lower() not in FRONT_END_KINDS],
            alias=_strings(meta.get("alias")),
            author=_text(info.get("author")),
            email=_text(info.get("email")),
            citation=_text(info.get("citation")),
            version=plugin.version,
            release_date=_text(info.get("releaseDate")),
            update_date=_text(info.get("updateDate")),
            score=_number(info.get("score")),
            cover=cover,
            cover_is_file=cover_is_file,
            runnable=plugin.runnable,
            language=plugin.language,
            catalogue_only=not plugin.runnable or "shiny" in (t.lower() for t in tags),
        )

    def display_name(self, lang: str | None = None) -> str:
        return self.name[normalise_language(lang)]

    def to_dict(self, lang: str | None = None) -> dict[str, Any]:
        """A JSON-ready dict; with `lang`, name and intro are strings in that language."""
        out = asdict(self)
        if lang is not None:
            lang = normalise_language(lang)
            out["name"] = self.name[lang]
            out["intro"] = self.intro[lang]
        return out


def _strings(value: Any) -> list[str]:
    """The non-empty strings of a list; anything else (a lone string, a number) gives none."""
    return [v for v in value if isinstance(v, str) and v.strip()] if isinstance(value, list) else []


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, dict | list):
        return None
    text = str(value).strip()
    return text or None


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        return float(value)
    except ValueError:
        return None


def _cover(src: Any, folder: Path) -> tuple[str | None, bool]:
    """A URL is passed on; a file name must be a file inside the plugin folder."""
    if not isinstance(src, str) or not src.strip():
        return None, False
    src = src.strip()
    if src.startswith(_URL_PREFIXES):
        return src, False
    candidate = (folder / src).resolve()
    if candidate.is_file() and candidate.is_relative_to(folder.resolve()):
        return candidate.relative_to(folder.resolve()).as_posix(), True
    return None, False


@dataclass(frozen=True)
class _SearchText:
    """A card's searchable text, lower-cased once when the catalogue loads."""

    name: str  # both languages and aliases: a hit here ranks first
    everything: str

    @classmethod
    def of(cls, card: Card) -> _SearchText:
        name = "\n".join([*card.name.values(), *card.alias]).lower()
        rest = [*card.intro.values(), *card.tags, card.key]
        return cls(name=name, everything="\n".join([name, *rest]).lower())


class Catalogue:
    """The plugins found under some roots, with the folders that failed to load."""

    def __init__(self, roots: Iterable[Path], results: Iterable[LoadResult]) -> None:
        self.roots = [Path(r) for r in roots]
        self._set_results(results)

    @classmethod
    def load(cls, roots: Iterable[Path] | None = None) -> Catalogue:
        """Read every plugin under `roots` (default: `plugin_roots()`)."""
        roots = plugin_roots() if roots is None else [Path(r) for r in roots]
        return cls(roots, discover(roots))

    def reload(self) -> Catalogue:
        """Read the same roots again from disk; returns self."""
        self._set_results(discover(self.roots))
        return self

    def _set_results(self, results: Iterable[LoadResult]) -> None:
        results = list(results)
        self.plugins: dict[str, Plugin] = {r.key: r.plugin for r in results if r.plugin is not None}
        self.broken: list[LoadResult] = [r for r in results if r.plugin is None]
        self._cards = {key: Card.from_plugin(p) for key, p in self.plugins.items()}
        self._search_text = {key: _SearchText.of(card) for key, card in self._cards.items()}

    # -- lookups -------------------------------------------------------------------------

    @property
    def cards(self) -> list[Card]:
        """All cards, by module then English name."""
        return sorted(self._cards.values(), key=lambda c: (c.module, c.name["en"].lower(), c.key))

    def get(self, key: str) -> Plugin | None:
        return self.plugins.get(key.strip("/"))

    def card(self, key: str) -> Card | None:
        return self._cards.get(key.strip("/"))

    def __len__(self) -> int:
        return len(self.plugins)

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and key.strip("/") in self.plugins

    def tags(self) -> dict[str, int]:
        """Every category with the number of plugins carrying it, most used first."""
        counts = Counter(tag for card in self._cards.values() for tag in dict.fromkeys(card.categories))
        return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0].lower())))

    def modules(self) -> list[str]:
        return sorted({card.module for card in self._cards.values()})

    # -- search --------------------------------------------------------------------------

    def search(
        self,
        text: str = "",
        tag: str | None = None,
        module: str | None = None,
        lang: str | None = None,
    ) -> list[Card]:
        """Cards whose text holds every word of `text` (any case), optionally of a tag or module.

        Cards whose name or alias holds the words come first; ties go by module, then by name
        in `lang`.
        """
        words = text.lower().split()
        wanted_tag = tag.lower() if tag else None
        lang = normalise_language(lang)
        hits: list[tuple[tuple[int, int, str, str, str], Card]] = []
        for key, card in self._cards.items():
            if module and card.module != module:
                continue
            if wanted_tag and wanted_tag not in (t.lower() for t in card.tags):
                continue
            index = self._search_text[key]
            if not all(w in index.everything for w in words):
                continue
            misses_in_name = sum(w not in index.name for w in words)
            exact = 0 if words and " ".join(words) in (n.lower() for n in card.name.values()) else 1
            rank = (exact, misses_in_name, card.module, card.name[lang].lower(), key)
            hits.append((rank, card))
        return [card for _, card in sorted(hits, key=lambda hit: hit[0])]
