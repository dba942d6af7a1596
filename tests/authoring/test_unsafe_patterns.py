"""The P0xx rules: unsafe calls in core scripts, found on the token stream, never in comments or strings."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from plugin_sdk.findings import Severity
from plugin_sdk.lint import lint_folder
from plugin_sdk.lint.r_tokens import Kind, calls, function_formals, tokenize
from plugin_sdk.lint.rules_script import SCRIPT_RULES, python_hits, r_hits
from plugin_sdk.loader import BUNDLED_PLUGINS, find_plugin_folders
from plugin_sdk.plugin import read_plugin_folder
from tests.authoring.helpers import FIXTURES

PATTERNS = FIXTURES / "unsafe" / "patterns"
_MARK = re.compile(r"expect: (P\d{3})")


def expected_marks(folder: Path) -> set[tuple[str, int, str]]:
    """(file, line, code) for each line of the fixture's scripts marked "expect: Pxxx"."""
    marks = set()
    for script in sorted(folder.iterdir()):
        for number, line in enumerate(script.read_text(encoding="utf-8").splitlines(), start=1):
            match = _MARK.search(line)
            if match:
                marks.add((script.name, number, match.group(1)))
    return marks


def script_findings(folder: Path) -> set[tuple[str, int, str]]:
    findings = [f for f in lint_folder(read_plugin_folder(folder)) if f.code.startswith("P")]
    assert all(f.severity is Severity.WARNING for f in findings)
    return {(f.file, f.line, f.code) for f in findings}


@pytest.mark.parametrize("fixture", ["r-patterns", "py-patterns"])
def test_each_marked_line_is_reported_and_nothing_else(fixture):
    folder = PATTERNS / fixture
    expected = expected_marks(folder)
    assert len(expected) >= 12  # the fixture holds every pattern, each once
    assert script_findings(folder) == expected


def test_every_r_and_python_code_is_exercised_by_the_fixtures():
    codes = {code for fixture in ("r-patterns", "py-patterns") for _, _, code in expected_marks(PATTERNS / fixture)}
    assert codes == set(SCRIPT_RULES) - {"P010"}


def test_findings_name_the_file_and_line_in_their_text():
    finding = next(f for f in lint_folder(read_plugin_folder(PATTERNS / "r-patterns"))
                   if f.code == "P001" and f.line == 15)
    assert str(finding).startswith("plot.R:15: warning P001: eval(parse(...)) runs text as R code")


def test_source_r_is_checked_like_the_core_script():
    assert ("source.R", 2, "P004") in script_findings(PATTERNS / "r-patterns")


def test_a_python_script_that_does_not_parse_is_reported_not_crashed():
    hits = python_hits("def main(ctx):\n    eval(\n")
    assert [(h.code, h.line) for h in hits] == [("P010", 2)]
    assert "does not parse" in hits[0].message


def test_only_a_literal_reformulate_and_a_symbol_built_formula_pass():
    source = 'reformulate(c("a", "b"), response = "y")\nas.formula(call("~", as.name(y), as.name(x)))\n'
    assert r_hits(source) == []
    assert [h.code for h in r_hits("reformulate(terms)\n")] == ["P003"]


def test_member_calls_and_namespaced_lookalikes_are_not_shell_calls():
    assert r_hits("obj$system(1)\nobj@system(1)\nprocessx::system(1)\n") == []
    assert [h.code for h in r_hits("base::system('ls')\n")] == ["P004"]


def test_the_tokenizer_skips_comments_and_every_string_form():
    source = (
        "x <- 'a # not a comment' # a comment with system(1)\n"
        'y <- r"(raw ) with "quotes" and system(1))"\n'
        'z <- R"--[ends only at ]--"\n'
        "`odd name` <- f(1)\n"
    )
    tokens = tokenize(source)
    strings = [t.text for t in tokens if t.kind is Kind.STRING]
    assert strings == ["a # not a comment", 'raw ) with "quotes" and system(1)', "ends only at "]
    assert [c.name for c in calls(tokens)] == ["f"]
    assert [t.line for t in tokens if t.text == "odd name"] == [4]


def test_line_numbers_survive_multi_line_strings():
    tokens = tokenize('a <- "one\ntwo\nthree"\nsystem("x")\n')
    assert [c.line for c in calls(tokens)] == [4]


def test_function_formals_reads_names_and_defaults():
    tokens = tokenize("draw <- function(data, col, cutoff = 0.05, ...) {\n  data\n}\n")
    assert function_formals(tokens, "draw") == (1, [("data", False), ("col", False), ("cutoff", True),
                                                    ("...", False)])
    assert function_formals(tokens, "other") is None


def test_bundled_plugins_have_no_unsafe_pattern():
    folders = find_plugin_folders(BUNDLED_PLUGINS)
    assert folders, "no bundled plugins found"
    flagged = [str(f) for folder in folders for f in lint_folder(read_plugin_folder(folder)) if f.code.startswith("P")]
    assert flagged == []
