"""Generate tests/js/expr_cases.json: expression cases both interpreters must agree on.

Each case is {source, tree, ctx, expected}: `tree` is what the Python parser makes of
`source`, `ctx` names an entry of the file's `contexts`, and `expected` is written by hand
below (the script refuses to write the file if the Python evaluator disagrees). The node test
(tests/js/expr.test.mjs) evaluates every tree with server/static/js/expr.js, and
tests/test_expressions.py checks the committed file is what this script produces.

    .venv/bin/python tests/js/make_expr_cases.py
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
OUT = Path(__file__).with_name("expr_cases.json")
sys.path.insert(0, str(ROOT))

from plugin_sdk.expressions import EvalContext, compile_expression, evaluate, from_json  # noqa: E402

CONTEXTS: dict[str, dict[str, Any]] = {
    "volcano": {
        "params": {"config": {
            "data": {"datTable": {"value": "", "link": ""}},
            "dataArg": {"datTable": [{"value": "Symbol"}, {"value": "P.Value"}, {"value": "logFC"}]},
            "general": {"palette": "npg", "imageExportType": ["jpeg", "pdf"], "size": {"width": 4, "height": 3}},
            "extra": {"color": "custom", "type": "t", "show_top": True, "seq_type": "aa", "top_n": 10,
                      "label": "", "zero": 0, "genes": ["TP53", "EGFR"], "cutoff": "0.05", "nothing": None},
        }},
        "tables": {
            "datTable": {"columns": ["Symbol", "P.Value", "logFC"],
                         "rows": [["TP53", "0.001", "2.3"], ["EGFR", "0.02", "-1.1"], ["TP53", "0.5", "0.1"],
                                  ["", "0.3", "1"], ["MYC", "0.04"]]},
            "1-data": {"columns": ["group", "value"],
                       "rows": [["ctrl", "1"], ["treat", "2"], ["ctrl", "3"], ["dose", "4"]]},
        },
    },
    "empty": {"params": {}, "tables": {}},
}

X = "this.params.config.extra."
# (source, context, expected)
CASES: list[tuple[str, str, Any]] = [
    # the spec's real examples
    (X + "color === 'custom'", "volcano", True),
    ("['t', 'chisquare'].indexOf(" + X + "type) !== -1", "volcano", True),
    ("this.params.config.dataArg.datTable[2].value", "volcano", "logFC"),
    ("this.selectCols('datTable', 0)", "volcano", ["TP53", "EGFR", "MYC"]),
    ("this.tableHeader['1-data']", "volcano", ["group", "value"]),
    (X + "seq_type === 'aa' ? ['chemistry', 'hydrophobicity'] : ['nucleotide']", "volcano",
     ["chemistry", "hydrophobicity"]),
    ("this.tableHeader['datTable'].length === 2", "volcano", False),
    ("this.tableHeader['datTable'].length === 3", "volcano", True),
    # the same with nothing filled in yet: forgiving, never an error
    (X + "color === 'custom'", "empty", False),
    ("['t', 'chisquare'].indexOf(" + X + "type) !== -1", "empty", False),
    ("this.params.config.dataArg.datTable[2].value", "empty", None),
    ("this.selectCols('datTable', 0)", "empty", []),
    ("this.tableHeader['1-data']", "empty", None),
    (X + "seq_type === 'aa' ? ['chemistry', 'hydrophobicity'] : ['nucleotide']", "empty", ["nucleotide"]),
    ("this.tableHeader['datTable'].length === 2", "empty", False),
    ("this.tableHeader", "empty", {}),
    # helpers
    ("this.selectCols('datTable', 'logFC')", "volcano", ["2.3", "-1.1", "0.1", "1"]),
    ("this.selectCols('datTable', '1')", "volcano", ["0.001", "0.02", "0.5", "0.3", "0.04"]),
    ("this.selectCols('datTable', 5)", "volcano", []),
    ("this.selectCols('datTable', -1)", "volcano", []),
    ("this.selectCols('datTable', 1.5)", "volcano", []),
    ("this.selectCols('nope', 0)", "volcano", []),
    ("this.selectCols(null)", "volcano", []),
    ("this.getDataAreaFactors('1-data')", "volcano", ["ctrl", "treat", "dose"]),
    ("this.retriveUniqueLine('1-data', 1)", "volcano", ["1", "2", "3", "4"]),
    ("this.unique_line('1-data', 0)", "volcano", ["ctrl", "treat", "dose"]),
    ("this.fetchPerplexity('datTable')", "volcano", None),
    ("this.selectCols('datTable', 0).length", "volcano", 3),
    ("this.selectCols('datTable', 0).includes('MYC')", "volcano", True),
    ("this.tableHeader", "volcano", {"datTable": ["Symbol", "P.Value", "logFC"], "1-data": ["group", "value"]}),
    # member and index access
    (X + "show_top", "volcano", True),
    (X + "foo.bar.baz", "volcano", None),
    ("this.params.config.general.size['width']", "volcano", 4),
    ("this.params.config['extra']['top_n'] > 5", "volcano", True),
    ("this.params.config.extra['constructor']", "volcano", None),
    (X + "toString", "volcano", None),
    (X + "genes[1]", "volcano", "EGFR"),
    (X + "genes['0']", "volcano", "TP53"),
    (X + "genes[1.0]", "volcano", "EGFR"),
    (X + "genes[5]", "volcano", None),
    (X + "genes.length", "volcano", 2),
    ("'abc'[1]", "empty", "b"),
    ("'hello'.length", "empty", 5),
    ("'h\u00e9llo\U0001F600'.length", "empty", 7),
    ("[1, [2, undefined]]", "empty", [1, [2, None]]),
    # strict and loose equality
    ("'1' == 1", "empty", True), ("'1' === 1", "empty", False),
    ("null == undefined", "empty", True), ("null === undefined", "empty", False),
    ("0 == ''", "empty", True), ("'' == false", "empty", True), ("[] == false", "empty", True),
    ("[1, 2] == '1,2'", "empty", True), ("[] == []", "empty", False), ("[1] === [1]", "empty", False),
    (X + "genes === " + X + "genes", "volcano", True),
    ("true == 1", "empty", True), ("true === 1", "empty", False),
    ("null == 0", "empty", False), ("undefined == 0", "empty", False),
    ("1e21 == '1e+21'", "empty", True), ("0.000001 == '0.000001'", "empty", True),
    ("1e-7 == '1e-7'", "empty", True), ("[0.1, 1.5e300] == '0.1,1.5e+300'", "empty", True),
    ("123456789012345680000 == '123456789012345680000'", "empty", True),
    ("' 12 ' == 12", "empty", True), ("'0x1F' == 31", "empty", True), ("'1_0' == 10", "empty", False),
    (X + "zero == false", "volcano", True), (X + "cutoff == 0.05", "volcano", True),
    ("'\\ud83d\\ude00' === '\U0001F600'", "empty", True),
    # relational
    ("'abc' < 'abd'", "empty", True), ("'10' < '9'", "empty", True), ("10 < 9", "empty", False),
    ("'10' < 9", "empty", False), ("[2] < 10", "empty", True), ("undefined < 1", "empty", False),
    ("null < 1", "empty", True), ("null >= 0", "empty", True), ("'a' < 1", "empty", False),
    (X + "cutoff < 0.1", "volcano", True), ("'\uffff' < '\U0001F600'", "empty", False),
    ("-1 < 0", "empty", True), ("- 2.5", "empty", -2.5), ("1 < 2 < 3", "empty", True),
    # truthiness, && || ! and ? :
    ("!''", "empty", True), ("![]", "empty", False), ("!0", "empty", True), ("!'0'", "empty", False),
    ("!null", "empty", True), ("!undefined", "empty", True), ("!" + X + "label", "volcano", True),
    ("'' || 'fallback'", "empty", "fallback"), ("0 && 'x'", "empty", 0), ("'a' && 'b'", "empty", "b"),
    ("null || undefined", "empty", None), (X + "nothing || 'default'", "volcano", "default"),
    (X + "seq_type === 'aa' && " + X + "show_top", "volcano", True),
    (X + "zero ? 'y' : 'n'", "volcano", "n"),
    ("1 ? 2 ? 'a' : 'b' : 'c'", "empty", "a"), ("0 ? 'a' : 0 ? 'b' : 'c'", "empty", "c"),
    ("!(1 === 1) || 'x' === 'x' && 2 > 1", "empty", True),
    # indexOf / includes
    ("'\U0001F600x'.indexOf('x')", "empty", 2), ("'abc'.includes('c')", "empty", True),
    ("'a1'.indexOf(1)", "empty", 1), ("'\\u0100'.indexOf('\\u0001')", "empty", -1),
    ("'\\u0100\\u0001'.indexOf('\\u0001')", "empty", 1), ("[1, '1'].indexOf('1')", "empty", 1),
    ("[null].includes(undefined)", "empty", False), ("[undefined].indexOf(undefined)", "empty", 0),
    ("[1, 2].includes(2)", "empty", True), (X + "missing.indexOf('x')", "volcano", -1),
    (X + "top_n.includes(1)", "volcano", False), (X + "genes.indexOf('EGFR')", "volcano", 1),
    # literals and escapes
    ("'\\x41\\u0042\\u{43}\\t'", "empty", "ABC\t"), ('"it\'s"', "empty", "it's"),
    ("'\\'q\\''", "empty", "'q'"), ("[1, 'a', true, null,]", "empty", [1, "a", True, None]),
    ("0.5", "empty", 0.5), (".25", "empty", 0.25), ("1e3", "empty", 1000.0), ("undefined", "empty", None),
]


def build() -> dict[str, Any]:
    """The fixture as a dict; raises AssertionError where Python disagrees with `expected`."""
    cases = []
    for source, ctx_name, expected in CASES:
        tree = compile_expression(source)
        ctx = CONTEXTS[ctx_name]
        got = evaluate(from_json(tree), EvalContext(ctx["params"], ctx["tables"]))
        assert json.dumps(got) == json.dumps(expected), f"{source!r}: Python gives {got!r}, not {expected!r}"
        cases.append({"source": source, "tree": tree, "ctx": ctx_name, "expected": expected})
    return {"contexts": CONTEXTS, "cases": cases}


def render() -> str:
    return json.dumps(build(), indent=1, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    OUT.write_text(render(), encoding="utf-8")
    print(f"wrote {len(CASES)} cases to {OUT.relative_to(ROOT)}")
