"""Labels in two languages: resolving the three shapes Hiplot plugins use, and our own UI words.

A label in meta.json or ui.json is one of
- a dict ``{"en": ..., "zh_cn": ...}`` (Hiplot files also spell the Chinese key ``zh_ch`` or ``zh``),
- an i18n key such as ``"messages.basic.volcano.pCutoff"`` naming an entry of a message bundle,
- a plain string, shown as written.

The bundles are flat JSON maps ``plugin_sdk/i18n/messages.<lang>.json``. An operator can add or
override entries by listing folders in ``PLOTFORGE_MESSAGES_DIRS``; their ``messages.<lang>.json``
files are laid over ours, later folders winning.
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

LANGUAGES = ("en", "zh_cn")
DEFAULT_LANGUAGE = "en"
MESSAGES_DIR = Path(__file__).resolve().parent / "i18n"
MESSAGES_DIRS_ENV = "PLOTFORGE_MESSAGES_DIRS"

logger = logging.getLogger(__name__)

# Spellings seen in Hiplot files and in browsers' Accept-Language, mapped to our two codes.
_LANGUAGE_ALIASES = {
    "en": "en",
    "en_us": "en",
    "en_gb": "en",
    "zh_cn": "zh_cn",
    "zh_ch": "zh_cn",
    "zh": "zh_cn",
    "zh_hans": "zh_cn",
    "cn": "zh_cn",
}
# Keys of a label dict that may hold each language, in order of preference.
_LABEL_KEYS = {"en": ("en", "en_us", "en-US"), "zh_cn": ("zh_cn", "zh_ch", "zh", "zh-CN", "zh_CN")}

# Hiplot's keys all live under "messages."; anything else that looks like a key must be in a bundle.
_HIPLOT_KEY = re.compile(r"^messages(\.[A-Za-z0-9_-]+)+$")
# Words inside a camelCase or snake_case name: an acronym before a capitalised word, a
# capitalised or lower-case word, a run of capitals, a number.
_WORD = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|[0-9]+")
_ORDER_PREFIX = re.compile(r"^[0-9]+-(?=.)")  # "1-countData": the number only orders tables
_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


def normalise_language(lang: str | None) -> str:
    """Our code for a language name ("zh", "zh-CN", "zh_ch" -> "zh_cn"); unknown -> "en"."""
    if not lang:
        return DEFAULT_LANGUAGE
    return _LANGUAGE_ALIASES.get(lang.strip().lower().replace("-", "_"), DEFAULT_LANGUAGE)


def _other_language(lang: str) -> str:
    return "zh_cn" if lang == "en" else "en"


def readable_name(key: str | None) -> str:
    """A parameter name as words: "pCutoff" -> "P cutoff", "show_top" -> "Show top".

    Only the last dotted segment counts, a table-order prefix ("1-countData") is dropped, and
    acronyms keep their capitals ("maxGSSize" -> "Max GS size").
    """
    if not key:
        return ""
    last = _ORDER_PREFIX.sub("", str(key).strip().rsplit(".", 1)[-1])
    words = [w if len(w) > 1 and w.isupper() else w.lower() for w in _WORD.findall(last)]
    if not words:
        return last
    text = " ".join(words)
    return text[0].upper() + text[1:]


@cache
def _load_bundle(lang: str, extra_dirs: tuple[str, ...]) -> Mapping[str, str]:
    # Cached per (language, overlay folders), so each bundle file is read once per process;
    # changing PLOTFORGE_MESSAGES_DIRS simply selects another cache entry.
    merged = _read_bundle_file(MESSAGES_DIR / f"messages.{lang}.json")
    for folder in extra_dirs:
        path = Path(folder) / f"messages.{lang}.json"
        try:
            merged.update(_read_bundle_file(path))
        except ValueError as exc:
            # A broken overlay written by an operator must not take every page down with it:
            # its entries are skipped and ours still show.
            logger.warning("ignoring message bundle overlay: %s", exc)
    return MappingProxyType(merged)


def _read_bundle_file(path: Path) -> dict[str, str]:
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"message bundle {path} is not a valid JSON file: {exc}") from exc
    if not isinstance(data, dict):
        raise ValueError(f"message bundle {path} must be a JSON object of key -> label")
    return {str(k): v for k, v in data.items() if isinstance(v, str) and v.strip()}


def _overlay_dirs() -> tuple[str, ...]:
    raw = os.environ.get(MESSAGES_DIRS_ENV, "")
    return tuple(part for part in raw.split(os.pathsep) if part.strip())


def messages(lang: str = DEFAULT_LANGUAGE) -> Mapping[str, str]:
    """The whole bundle of one language (read-only), overlays included."""
    return _load_bundle(normalise_language(lang), _overlay_dirs())


def reload_messages() -> None:
    """Forget the loaded bundles, so edited files are read again."""
    _load_bundle.cache_clear()


def _lookup(key: str, lang: str) -> str | None:
    """A key's label in `lang`, else in the other language, else None."""
    return messages(lang).get(key) or messages(_other_language(lang)).get(key)


def is_message_key(text: str) -> bool:
    """True for a string that names a bundle entry (known, or shaped like Hiplot's keys)."""
    text = text.strip()
    if " " in text or "." not in text:
        return False
    return _HIPLOT_KEY.match(text) is not None or _lookup(text, DEFAULT_LANGUAGE) is not None


def message(key: str, lang: str = DEFAULT_LANGUAGE, **values: Any) -> str:
    """A UI word (``ui.*``) in `lang`; ``{name}`` placeholders are filled from `values`.

    A key missing from both bundles comes back as its readable last segment, so a page never
    shows a blank where a word belongs.
    """
    text = _lookup(key, normalise_language(lang)) or readable_name(key)
    if not values:
        return text
    # Plain token replacement, not str.format: a bundle entry must not reach attributes.
    return _PLACEHOLDER.sub(lambda m: str(values.get(m.group(1), m.group(0))), text)


def resolve_label(label: Any, lang: str = DEFAULT_LANGUAGE, fallback_key: str | None = None) -> str:
    """The text to show for a label of any of the three shapes, in `lang`.

    A dict missing `lang` gives the other language; an unknown ``messages.*`` key gives its
    readable last segment; None or an empty label gives the readable `fallback_key`.
    """
    lang = normalise_language(lang)
    if isinstance(label, dict):
        text = _from_label_dict(label, lang)
        return text if text else readable_name(fallback_key)
    if isinstance(label, bool) or label is None:
        return readable_name(fallback_key)
    if isinstance(label, int | float):
        return str(label)
    if not isinstance(label, str) or not label.strip():
        return readable_name(fallback_key)
    if is_message_key(label):
        return _lookup(label.strip(), lang) or readable_name(label.strip())
    return label


def _from_label_dict(label: dict[str, Any], lang: str) -> str:
    for wanted in (lang, _other_language(lang)):
        for key in _LABEL_KEYS[wanted]:
            value = label.get(key)
            if isinstance(value, str) and value.strip():
                return value
    # Some other language code only: better than nothing.
    return next((v for v in label.values() if isinstance(v, str) and v.strip()), "")


def label_pair(label: Any, fallback_key: str | None = None) -> dict[str, str]:
    """A label resolved in every language: ``{"en": ..., "zh_cn": ...}``."""
    return {lang: resolve_label(label, lang, fallback_key) for lang in LANGUAGES}
