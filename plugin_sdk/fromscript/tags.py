"""Reading the `#'` tag lines of an annotated R script.

A tag line is `#' @name value`; a following `#'` line without a tag continues the value
(joined with one space), so a long JSON object may be wrapped. Every tag keeps the line it
started on, so every error can name it.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

# Tags this tool reads.
KNOWN_TAGS = (
    "appname", "apptitle", "module", "tags", "alias", "author", "email", "issues", "version", "citation",
    "description", "main", "library", "param", "return",
)
# roxygen2 tags a function's documentation may also carry: read by roxygen, not by us.
ROXYGEN_TAGS = (
    "export", "examples", "example", "import", "importFrom", "details", "seealso", "references", "note",
    "rdname", "noRd", "title", "keywords", "family", "inheritParams", "name", "usage", "format", "source", "md",
    "section", "returns", "concept", "aliases", "describeIn", "eval", "evalRd", "template", "templateVar",
)
_TAG_LINE = re.compile(r"^\s*#'\s?(.*)$")
_TAG = re.compile(r"^@(\w+)\s*(.*)$")


@dataclass
class Tag:
    name: str
    value: str
    line: int  # 1-based line of the script where the tag starts


@dataclass(frozen=True)
class ScriptProblem:
    line: int | None
    message: str


def read_tags(source: str) -> tuple[list[Tag], list[ScriptProblem]]:
    """The known tags in order, and a problem for each unknown tag (with a suggestion)."""
    tags: list[Tag] = []
    problems: list[ScriptProblem] = []
    current: Tag | None = None
    for number, text in enumerate(source.splitlines(), start=1):
        match = _TAG_LINE.match(text)
        if match is None:
            current = None
            continue
        body = match.group(1).strip()
        tag = _TAG.match(body)
        if tag is None:
            if current is not None and body:
                current.value = f"{current.value} {body}".strip()
            continue
        name, value = tag.group(1), tag.group(2).strip()
        if name in KNOWN_TAGS:
            current = Tag(name, value, number)
            tags.append(current)
        else:
            current = None
            if name not in ROXYGEN_TAGS:
                problems.append(ScriptProblem(number, _unknown_tag_message(name)))
    return tags, problems


def _unknown_tag_message(name: str) -> str:
    close = difflib.get_close_matches(name, KNOWN_TAGS, n=1)
    hint = f" (did you mean @{close[0]}?)" if close else f"; the tags are @{', @'.join(KNOWN_TAGS)}"
    return f"unknown tag @{name}{hint}"
