"""Does a plugin's R code need Hiplot's heavy preload packages attached?

Hiplot attaches Hmisc, the tidyverse, ComplexHeatmap and friends before every script, and
scripts call their functions without loading them. Most small plots never do: a script
that names none of the functions those packages make visible cannot reach them, and can
run from the fork server, whose R has only the light head of the preload set (see
forkserver.py). Any doubt means yes: such a name used in any R file of the plugin, given as
a string where R takes a function name (`do.call("summarise", ...)`), or a dynamic lookup
(`get`, `eval`, ...) whose target cannot be read from the code.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from plugin_sdk.lint.r_tokens import Kind, Token, calls, tokenize
from plugin_sdk.plugin import Plugin

# Calls that may reach any visible name by a computed string.
DYNAMIC_LOOKUPS = frozenset({"get", "get0", "mget", "exists", "match.fun", "eval", "evalq", "parse",
                             "getAnywhere", "sys.function"})
# Base functions that take a function by its name as a string.
FUNCTION_TAKERS = frozenset({"do.call", "lapply", "sapply", "vapply", "mapply", "Map", "Reduce", "Filter",
                             "Find", "Position", "apply", "tapply", "outer", "aggregate", "by", "ave", "sweep",
                             "rapply", "eapply", "Recall"})

_decisions: dict[tuple[object, ...], bool] = {}


def needs_heavy_preload(plugin: Plugin, heavy_names: frozenset[str]) -> bool:
    """True when the plugin's R code may use a name only the heavy preload packages define."""
    files = sorted(p for p in plugin.path.rglob("*") if p.suffix in (".R", ".r") and p.is_file())
    stats = [f.stat() for f in files]  # one stat a file: this runs for every job
    key = (heavy_names, *((str(f), st.st_mtime_ns, st.st_size) for f, st in zip(files, stats, strict=True)))
    decision = _decisions.get(key)
    if decision is None:
        decision = _decisions[key] = _uses_any(files, heavy_names | DYNAMIC_LOOKUPS)
    return decision


def _uses_any(files: Iterable[Path], names: frozenset[str]) -> bool:
    for file in files:
        try:
            source = file.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return True
        if not names.isdisjoint(looked_up_names(tokenize(source))):
            return True
    return False


def looked_up_names(tokens: list[Token]) -> set[str]:
    """Names R would look up on the search path when the code runs.

    Left out: fields after `$` and `@`, names qualified by `pkg::` (R loads that package's
    namespace itself), and names just before `=` (argument names or assignment targets).
    Strings count where R takes them as function names: `do.call("summarise", ...)`,
    `sapply(x, "n_distinct")`.
    """
    found: set[str] = set()
    for i, token in enumerate(tokens):
        if token.kind is Kind.OP and token.text.startswith("%"):
            found.add(token.text)  # %>%, %in%, ... are functions too
            continue
        if token.kind is not Kind.NAME:
            continue
        before = tokens[i - 1].text if i > 0 and tokens[i - 1].kind is Kind.OP else ""
        after = tokens[i + 1].text if i + 1 < len(tokens) and tokens[i + 1].kind is Kind.OP else ""
        if before in ("$", "@", "::", ":::") or after in ("=", "::", ":::"):
            continue
        found.add(token.text)
    for call in calls(tokens):
        if call.namespace in (None, "base") and call.name in FUNCTION_TAKERS:
            found.update(a.tokens[0].text for a in call.arguments
                         if len(a.tokens) == 1 and a.tokens[0].kind is Kind.STRING)
    return found
