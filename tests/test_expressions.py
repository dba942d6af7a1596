"""The plugin expression language: parser, JSON trees, evaluator, and agreement with the
browser interpreter (server/static/js/expr.js)."""

from __future__ import annotations

import importlib.util
import json
import random
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from plugin_sdk import expressions as ex
from plugin_sdk.expressions import (
    MAX_LENGTH,
    EvalContext,
    ExpressionError,
    compile_expression,
    evaluate,
    from_json,
    parse,
    parse_if,
    to_json,
)
from plugin_sdk.tables import Table, parse_table_text

ROOT = Path(__file__).resolve().parents[1]
JS_DIR = ROOT / "tests" / "js"
FIXTURE = JS_DIR / "expr_cases.json"
NODE = shutil.which("node")


def _load_generator() -> Any:
    spec = importlib.util.spec_from_file_location("make_expr_cases", JS_DIR / "make_expr_cases.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def same(a: Any, b: Any) -> bool:
    """Equality as JavaScript sees JSON values: 1 == 1.0, but True is not 1."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return float(a) == float(b)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(map(same, a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    return type(a) is type(b) and a == b


def roundtrip(node: ex.Node) -> ex.Node:
    again = from_json(json.loads(json.dumps(to_json(node))))
    assert json.dumps(to_json(again)) == json.dumps(to_json(node))
    assert again == node
    return again


# A context built the way the server builds one: real parsed tables, data.json-shaped params.
VOLCANO_TSV = "Symbol\tP.Value\tlogFC\nTP53\t0.001\t2.3\nEGFR\t0.02\t-1.1\nTP53\t0.5\t0.1\nMYC\t0.04\t1\n"
GROUPS_TSV = "group\tvalue\nctrl\t1\ntreat\t2\nctrl\t3\n"


@pytest.fixture
def ctx() -> EvalContext:
    params = {"config": {
        "data": {"datTable": {"value": "", "link": ""}},
        "dataArg": {"datTable": [{"value": "Symbol"}, {"value": "P.Value"}, {"value": "logFC"}]},
        "general": {"palette": "npg"},
        "extra": {"color": "custom", "type": "chisquare", "seq_type": "nt", "show_top": False},
    }}
    tables = {"datTable": parse_table_text(VOLCANO_TSV, "datTable"), "1-data": parse_table_text(GROUPS_TSV, "1-data")}
    return EvalContext(params, tables)


SPEC_EXAMPLES = [
    ("this.params.config.extra.color === 'custom'", True),
    ("['t', 'chisquare'].indexOf(this.params.config.extra.type) !== -1", True),
    ("this.params.config.dataArg.datTable[2].value", "logFC"),
    ("this.selectCols('datTable', 0)", ["TP53", "EGFR", "MYC"]),
    ("this.tableHeader['1-data']", ["group", "value"]),
    ("this.params.config.extra.seq_type === 'aa' ? ['chemistry', 'hydrophobicity'] : ['nucleotide']",
     ["nucleotide"]),
    ("this.tableHeader['datTable'].length === 2", False),
    ("this.tableHeader['datTable'].length === 3", True),
    ("this.getDataAreaFactors('1-data')", ["ctrl", "treat"]),
    ("this.getDataAreaFactors('1-data', 1)", ["1", "2", "3"]),
    ("this.retriveUniqueLine('datTable', 'logFC')", ["2.3", "-1.1", "0.1", "1"]),
    ("this.unique_line('1-data', 0)", ["ctrl", "treat"]),
    ("this.fetchPerplexity('datTable')", None),
    ("this.selectCols('missing', 0)", []),
    ("!this.params.config.extra.show_top && this.selectCols('datTable', 0).includes('MYC')", True),
    ("this.params.config.extra.nope.deeper[3].length", None),
]


@pytest.mark.parametrize(("source", "expected"), SPEC_EXAMPLES)
def test_spec_forms_parse_and_evaluate(source: str, expected: Any, ctx: EvalContext) -> None:
    node = parse(source)
    assert same(evaluate(node, ctx), expected)
    assert same(evaluate(roundtrip(node), ctx), expected)
    assert compile_expression(source) == to_json(node)


def test_tree_shapes() -> None:
    this_params = {"t": "member", "object": {"t": "this"}, "name": "params"}
    assert compile_expression("this.params.x[0]") == {
        "t": "index", "object": {"t": "member", "object": this_params, "name": "x"}, "index": {"t": "lit", "v": 0}}
    assert compile_expression("!this.params") == {"t": "not", "arg": this_params}
    assert compile_expression("1 ? [undefined] : null") == {
        "t": "cond", "test": {"t": "lit", "v": 1}, "then": {"t": "array", "items": [{"t": "undefined"}]},
        "else": {"t": "lit", "v": None}}
    assert compile_expression("[].includes(-1.5)") == {
        "t": "call", "object": {"t": "array", "items": []}, "method": "includes", "args": [{"t": "lit", "v": -1.5}]}
    assert compile_expression("this.selectCols('d') || 'x' >= 'y'") == {
        "t": "bin", "op": "||", "left": {"t": "helper", "name": "selectCols", "args": [{"t": "lit", "v": "d"}]},
        "right": {"t": "bin", "op": ">=", "left": {"t": "lit", "v": "x"}, "right": {"t": "lit", "v": "y"}}}
    # precedence: || < && < equality < relational; ternary is right-associative
    assert parse("1 || 2 && 3 === 4 < 5") == parse("1 || (2 && (3 === (4 < 5)))")
    assert parse("1 ? 2 : 3 ? 4 : 5") == parse("1 ? 2 : (3 ? 4 : 5)")
    assert parse("1 === 2 === 3") == parse("(1 === 2) === 3")


def test_parse_if(ctx: EvalContext) -> None:
    assert parse_if("show_top") == parse("this.params.config.extra.show_top")
    assert evaluate(parse_if("show_top"), ctx) is False
    assert evaluate(parse_if("color"), ctx) == "custom"
    assert evaluate(parse_if("not-there"), ctx) is None
    roundtrip(parse_if("a-b_c$1"))
    for bad, position in [("show top", 4), ("a.b", 1), ("x()", 1), ("constructor", 0), ("a" * 201, 200)]:
        with pytest.raises(ExpressionError) as err:
            parse_if(bad)
        assert err.value.position == position
    for bad in ["", None, 3]:
        with pytest.raises(ExpressionError):
            parse_if(bad)  # type: ignore[arg-type]


REJECTED = [
    ("alert(1)", 0, "unknown name 'alert'"),
    ("this.constructor", 5, "'constructor' is not allowed"),
    ("this.params.__proto__", 12, "'__proto__' is not allowed"),
    ("this.params.config.prototype", 19, "'prototype' is not allowed"),
    ("this.params['a'].constructor", 17, "not allowed"),
    ("x = 1", 0, "unknown name 'x'"),
    ("this.params.x = 1", 14, "assignment is not supported"),
    ("a => a", 0, "unknown name"),
    ("1 => 2", 2, "arrow functions are not supported"),
    ("new Foo()", 0, "'new' is not supported"),
    ("function(){}", 0, "'function' is not supported"),
    ("typeof this.params", 0, "'typeof' is not supported"),
    ("this.params;1", 11, "only a single expression"),
    ("`t`", 0, "template strings"),
    ("/re/", 0, "regular expressions"),
    ("1 + 2", 2, "arithmetic"),
    ("1 * 2", 2, "arithmetic"),
    ("1 & 2", 2, "bitwise"),
    ("~1", 0, "bitwise"),
    ("1 << 2", 3, "unexpected '<'"),
    ("1 ?? 2", 3, "unexpected '?'"),
    ("this.params?.x", 12, "unexpected '.'"),
    ("{a: 1}", 0, "object literals"),
    ("this.selectCols.call(1)", 16, "unknown method 'call'"),
    ("this.fetch('x')", 5, "unknown helper 'fetch'"),
    ("this.tableHeader('x')", 5, "unknown helper 'tableHeader'"),
    ("this.select_cols('datTable', 0)", 5, "unknown helper 'select_cols'"),
    ("this.params.x()", 12, "unknown method 'x'"),
    ("this.params.x.call(1)", 14, "unknown method 'call'"),
    ("[1].length()", 4, "unknown method 'length'"),
    ("(1)(2)", 3, "unexpected '('"),
    ("[1].indexOf()", 4, "takes 1 argument"),
    ("[1].includes(1, 2)", 4, "takes 1 argument"),
    ("this.selectCols('datTable', 0, 1)", 5, "takes 1 to 2"),
    ("this.selectCols()", 5, "takes 1 to 2"),
    ("this.window", 5, "unknown member 'window' of this"),
    ("this[0]", 4, "index access on this"),
    ("this", 0, "'this' must be followed"),
    ("this === this", 0, "'this' must be followed"),
    ("-this.params", 1, "unary minus"),
    ("--1", 1, "unary minus"),
    ("'abc", 0, "unterminated string"),
    ("'ab\ncd'", 0, "unterminated string"),
    ("'abc\\", 0, "unterminated string"),
    ("'\\1'", 1, "octal"),
    ("'\\x4'", 1, "invalid \\x escape"),
    ("'\\u{110000}'", 1, "invalid \\u escape"),
    ("'\\u{12'", 1, "invalid \\u escape"),
    ("01", 0, "leading zeros"),
    ("1e999", 0, "too large"),
    ("1abc", 1, "right after a number"),
    ("'a' 'b'", 4, "unexpected \"'b'\""),
    ("[1, 2", 5, "unexpected end"),
    ("(1", 2, "unexpected end"),
    ("1 ? 2", 5, "unexpected end"),
    ("", 0, "empty expression"),
    ("   ", 3, "empty expression"),
    ("NaN", 0, "unknown name 'NaN'"),
    ("this.params.x.1", 13, "unexpected"),
    ("\u00e9", 0, "unexpected"),
    ("(" * 70 + "1" + ")" * 70, 64, "nested too deeply"),
    ("!" * 100 + "1", 64, "nested too deeply"),
    ("[" * 100 + "]" * 100, 32, "nested too deeply"),  # an array and its item: two levels
]


@pytest.mark.parametrize(("source", "position", "fragment"), REJECTED)
def test_rejected_with_position(source: str, position: int, fragment: str) -> None:
    with pytest.raises(ExpressionError) as caught:
        parse(source)
    err = caught.value
    assert isinstance(err, ValueError)
    assert (err.expression, err.position) == (source, position)
    assert fragment in err.reason
    assert str(err) == err.message
    assert f"at position {position} in " in err.message
    if len(source) <= 80:
        assert err.message.endswith(json.dumps(source, ensure_ascii=False))


def test_long_and_deep_sources_never_overflow_the_stack() -> None:
    with pytest.raises(ExpressionError, match="too long") as err:
        parse("1" * (MAX_LENGTH + 1))
    assert err.value.position == MAX_LENGTH
    assert "..." in err.value.message and len(err.value.message) < 200
    for source in ["(" * 1999, "!" * 1999 + "1", "[" * 1999, "1" + " === 1" * 300, "1 ? " * 400 + "1",
                   "this.params" + ".a" * 900, "this.params" + "[0]" * 600, "[1].indexOf(" * 150]:
        with pytest.raises(ExpressionError, match="nested too deeply"):
            parse(source)
    # the deepest accepted tree still evaluates and serialises without recursion trouble
    node = parse("(" * 62 + "1" + ")" * 62)
    assert evaluate(roundtrip(node), EvalContext({})) == 1
    node = parse("1" + " === 1" * 62)
    assert evaluate(roundtrip(node), EvalContext({})) is False


def test_not_a_string() -> None:
    with pytest.raises(ExpressionError):
        parse(None)  # type: ignore[arg-type]


BAD_TREES: list[Any] = [
    None, [], "x", {"t": "this"}, {"t": "nope"},
    {"t": "lit"}, {"t": "lit", "v": [1]}, {"t": "lit", "v": {"a": 1}}, {"t": "lit", "v": float("inf")},
    {"t": "lit", "v": 1, "extra": 2},
    {"t": "member", "object": {"t": "this"}, "name": "window"},
    {"t": "member", "object": {"t": "lit", "v": 1}, "name": "__proto__"},
    {"t": "member", "object": {"t": "lit", "v": 1}, "name": 3},
    {"t": "index", "object": {"t": "this"}, "index": {"t": "lit", "v": 0}},
    {"t": "bin", "op": "+", "left": {"t": "lit", "v": 1}, "right": {"t": "lit", "v": 2}},
    {"t": "call", "object": {"t": "lit", "v": "a"}, "method": "constructor", "args": [{"t": "lit", "v": 1}]},
    {"t": "call", "object": {"t": "lit", "v": "a"}, "method": "replace", "args": [{"t": "lit", "v": 1}]},
    {"t": "call", "object": {"t": "lit", "v": "a"}, "method": "indexOf", "args": []},
    {"t": "call", "object": {"t": "lit", "v": "a"}, "method": "indexOf", "args": {"t": "lit", "v": 1}},
    {"t": "helper", "name": "fetch", "args": [{"t": "lit", "v": 1}]},
    {"t": "helper", "name": "selectCols", "args": [{"t": "lit", "v": "a"}, {"t": "lit", "v": 0}, {"t": "lit", "v": 1}]},
    {"t": "array", "items": [{"t": "this"}]},
    {"t": "not", "arg": {"t": "member", "object": {"t": "this"}, "name": "params"}, "op": "!"},
]


@pytest.mark.parametrize("tree", BAD_TREES, ids=lambda t: json.dumps(t)[:40])
def test_from_json_rejects_what_parse_would_reject(tree: Any) -> None:
    with pytest.raises(ExpressionError, match="invalid expression tree"):
        from_json(tree)


def test_from_json_depth_is_bounded() -> None:
    tree: dict = {"t": "lit", "v": 1}
    for _ in range(5000):
        tree = {"t": "not", "arg": tree}
    with pytest.raises(ExpressionError, match="nested too deeply"):
        from_json(tree)


def test_evaluate_accepts_table_objects_and_dicts() -> None:
    params: dict = {"config": {}}
    table = Table("t", ["a", "b"], [["x", "1"], ["y", "2"], ["x", ""]])
    for tables in ({"t": table}, {"t": {"columns": ["a", "b"], "rows": [["x", "1"], ["y", "2"], ["x", ""]]}}):
        ctx = EvalContext(params, tables)
        assert evaluate(parse("this.selectCols('t', 1)"), ctx) == ["1", "2"]
        assert evaluate(parse("this.tableHeader.t"), ctx) == ["a", "b"]
    # tables that are not tables at all: empty values, not crashes
    odd = EvalContext(params, {"t": object(), "u": None, "v": {"columns": "ab", "rows": 5}})
    for source in ["this.selectCols('t', 0)", "this.selectCols('u', 0)", "this.selectCols('v', 0)"]:
        assert evaluate(parse(source), odd) == []
    assert evaluate(parse("this.tableHeader"), odd) == {"t": [], "u": [], "v": []}


def test_huge_numbers_behave_like_doubles() -> None:
    ctx = EvalContext({"big": 10**400, "n": 2**53 + 1})
    assert evaluate(parse("this.params.big > 1e308"), ctx) is True
    assert evaluate(parse("this.params.big == 'Infinity'"), ctx) is True
    assert evaluate(parse("this.params.n === 9007199254740992"), ctx) is True
    assert evaluate(parse("!this.params.big"), ctx) is False
    # an index of 5000 digits: Python's int() would refuse it; JavaScript just finds nothing
    ctx = EvalContext({"k": "1" * 5000, "a": [1, 2]}, {"t": {"columns": ["a"], "rows": [["x"]]}})
    assert evaluate(parse("this.params.a[this.params.k]"), ctx) is None
    assert evaluate(parse("this.selectCols('t', this.params.k)"), ctx) == []


def test_module_never_evaluates_code() -> None:
    for path in (Path(ex.__file__), ROOT / "server/static/js/expr.js"):
        text = path.read_text()
        assert not re.search(r"(?<![\w.])(eval|exec|compile|Function|__import__)\s*\(|new\s+Function", text), path


# -------------------------------------------------------------- shared fixture (Python <-> JS)
def test_fixture_is_current_and_python_agrees() -> None:
    generator = _load_generator()
    assert FIXTURE.read_text(encoding="utf-8") == generator.render(), \
        "tests/js/expr_cases.json is stale: run .venv/bin/python tests/js/make_expr_cases.py"
    fixture = json.loads(FIXTURE.read_text(encoding="utf-8"))
    assert len(fixture["cases"]) >= 100
    for case in fixture["cases"]:
        assert compile_expression(case["source"]) == case["tree"]
        raw = fixture["contexts"][case["ctx"]]
        result = evaluate(roundtrip(from_json(case["tree"])), EvalContext(raw["params"], raw["tables"]))
        assert same(result, case["expected"]), case["source"]


@pytest.mark.skipif(NODE is None, reason="node is not on PATH: cannot run the browser interpreter's tests")
def test_node_interpreter_passes_the_shared_cases() -> None:
    proc = subprocess.run([NODE, "--test", "tests/js/"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    assert "# fail 0" in proc.stdout


# -------------------------------------------------------------- hypothesis
EXTRA_KEYS = ["color", "type", "show_top", "n", "genes", "label"]
TABLE_NAMES = ["datTable", "1-data", "x"]
COLUMN_HELPERS = ["selectCols", "getDataAreaFactors", "retriveUniqueLine", "unique_line"]
TOKENS = ["this", ".", "params", "config", "extra", "tableHeader", "selectCols", "(", ")", "[", "]", ",", "'a'",
          '"b"', "0", "-1", "1.5", "===", "!==", "==", "!=", "<", "<=", ">", ">=", "&&", "||", "!", "?", ":",
          "indexOf", "includes", "length", "true", "null", "undefined", "constructor", "=", "+", "=>", ";", "'"]


def js_string(text: str, quote: str) -> str:
    body = text.replace("\\", "\\\\").replace(quote, "\\" + quote).replace("\n", "\\n").replace("\r", "\\r")
    return quote + body + quote


numbers = st.one_of(st.integers(-(10**6), 10**6).map(str),
                    st.floats(allow_nan=False, allow_infinity=False).map(repr))
# Small values of every type, so that loose equality and comparisons meet their edge cases.
SMALL = ["0", "1", "-1", "0.5", "'1'", "''", "'0'", "' 1 '", "'a'", "'b'", "true", "false", "null", "undefined",
         "[]", "[1]", "[1, 2]", "['1,2']", "[null]"]
small = st.sampled_from(SMALL)
leaves = st.one_of(
    small, small, small, small,
    numbers,
    st.builds(js_string, st.text(max_size=6), st.sampled_from(["'", '"'])),
    st.sampled_from(["true", "false", "null", "undefined", "[]", "this.fetchPerplexity()"]),
    st.sampled_from(EXTRA_KEYS).map(lambda k: f"this.params.config.extra.{k}"),
    st.integers(0, 3).map(lambda i: f"this.params.config.dataArg.datTable[{i}].value"),
    st.sampled_from(TABLE_NAMES).map(lambda t: f"this.tableHeader[{t!r}]"),
    st.just("this.params.config.general.size.width"),
    st.builds("this.{}({!r}, {})".format, st.sampled_from(COLUMN_HELPERS), st.sampled_from(TABLE_NAMES),
              st.one_of(st.integers(-1, 3).map(str), st.sampled_from(["'a'", "'1'", "null"]))),
)


def compound(sub: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    binary = st.builds("{} {} {}".format, sub, st.sampled_from(ex.BINARY_OPS), sub)
    return st.one_of(
        binary, binary, binary,
        sub.map("!{}".format),
        sub.map("({})".format),
        st.builds("{} ? {} : {}".format, sub, sub, sub),
        st.lists(sub, max_size=3).map(lambda xs: "[" + ", ".join(xs) + "]"),
        st.builds("({}).{}({})".format, sub, st.sampled_from(["indexOf", "includes"]), sub),
        st.builds("({})[{}]".format, sub, sub),
        sub.map("({}).length".format),
    )


def expressions(depth: int) -> st.SearchStrategy[str]:
    # Mostly compound at the top: operators between values are where the semantics live.
    return leaves if depth == 0 else st.one_of(compound(expressions(depth - 1)), leaves)


PATHS = [*(f"this.params.config.extra.{k}" for k in EXTRA_KEYS), "this.params.config.dataArg.datTable[0].value",
         "this.params.config.dataArg.datTable[1]", "this.params.config.general.size.width", "this.params.config",
         "this.tableHeader['datTable']", "this.tableHeader['x']", "this.tableHeader"]
POOL: list[Any] = [0, 1, -1, 0.5, 2**53, 1e21, 1e-7, "1", "", "0", " 1 ", "a", "b", "1e21", "0x1F", "custom",
                   "\U0001F600", "\uffff", True, False, None, [], [1], [1, 2], ["1,2"], [None], ["a", "b"], {},
                   {"length": 2}]


def random_expression(rng: random.Random, depth: int = 4) -> str:
    """A well-formed expression drawn evenly from the grammar (hypothesis's own generation
    favours the simplest forms; this is what the Python/JS agreement test needs)."""
    if depth == 0 or rng.random() < 0.25:
        kind = rng.random()
        if kind < 0.4:
            return rng.choice(SMALL)
        if kind < 0.7:
            return rng.choice(PATHS)
        if kind < 0.8:
            return repr(rng.choice([rng.randint(-3, 3), rng.uniform(-1e3, 1e3), rng.choice([1e21, 1e-7, 2**60])]))
        if kind < 0.9:
            return js_string("".join(rng.choices("ab1 ,'\"\\\n\u00e9\U0001F600\uffff", k=rng.randrange(4))),
                             rng.choice("'\""))
        return f"this.{rng.choice(COLUMN_HELPERS)}({rng.choice(TABLE_NAMES)!r}, {rng.choice(SMALL)})"

    def sub() -> str:
        return random_expression(rng, depth - 1)

    choice = rng.randrange(10)
    if choice < 4:
        return f"{sub()} {rng.choice(ex.BINARY_OPS)} {sub()}"
    return [lambda: f"!{sub()}", lambda: f"{sub()} ? {sub()} : {sub()}",
            lambda: "[" + ", ".join(sub() for _ in range(rng.randrange(4))) + "]",
            lambda: f"({sub()}).{rng.choice(['indexOf', 'includes'])}({sub()})",
            lambda: f"({sub()})[{sub()}]", lambda: f"({sub()}).length"][choice - 4]()


def random_context(rng: random.Random) -> dict:
    def value() -> Any:
        return rng.choice(POOL) if rng.random() < 0.8 else [value() for _ in range(rng.randrange(3))]

    cells = ["", "a", "b", "1", "a", "\U0001F600"]
    tables = {name: {"columns": rng.choices(["a", "b", "1", ""], k=rng.randrange(4)),
                     "rows": [rng.choices(cells, k=rng.randrange(4)) for _ in range(rng.randrange(5))]}
              for name in TABLE_NAMES if rng.random() < 0.6}
    extra = {k: value() for k in EXTRA_KEYS if rng.random() < 0.7}
    data_arg = {"datTable": [{"value": value()} if rng.random() < 0.8 else value() for _ in range(rng.randrange(4))]}
    config = {"extra": extra, "dataArg": data_arg, "general": {"size": {"width": value()}}}
    # a JSON round trip: no shared objects, exactly what the browser would be given
    return json.loads(json.dumps({"params": {"config": config}, "tables": tables}))


json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-(2**53), 2**53), st.integers(-2, 2), st.text(max_size=4),
              st.floats(allow_nan=False, allow_infinity=False), st.sampled_from(["custom", "aa", "1", ""])),
    lambda ch: st.lists(ch, max_size=3)
    | st.dictionaries(st.sampled_from([*EXTRA_KEYS, "value", "width", "length", "__proto__"]), ch, max_size=3),
    max_leaves=8,
)
cells = st.one_of(st.text(max_size=3), st.sampled_from(["", "a", "b", "1"]))
table_dicts = st.fixed_dictionaries({"columns": st.lists(cells, max_size=4),
                                     "rows": st.lists(st.lists(cells, max_size=4), max_size=5)})
contexts = st.builds(
    lambda params, tables: {"params": params, "tables": tables},
    st.one_of(
        st.fixed_dictionaries({"config": st.fixed_dictionaries({
            "extra": st.dictionaries(st.sampled_from(EXTRA_KEYS), json_values),
            "dataArg": st.fixed_dictionaries({"datTable": st.lists(
                st.one_of(st.fixed_dictionaries({"value": json_values}), json_values), max_size=4)}),
            "general": st.fixed_dictionaries({"size": st.dictionaries(st.just("width"), json_values)}),
        })}),
        st.dictionaries(st.text(max_size=3), json_values, max_size=3),
    ),
    st.dictionaries(st.sampled_from([*TABLE_NAMES, "__proto__"]), table_dicts, max_size=3),
)
FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                       HealthCheck.filter_too_much])


@FUZZ
@given(st.one_of(st.text(max_size=200), st.lists(st.sampled_from(TOKENS), max_size=30).map(" ".join),
                 st.lists(st.sampled_from(TOKENS), max_size=30).map("".join)))
def test_arbitrary_text_only_raises_expression_error(source: str) -> None:
    try:
        node = parse(source)
    except ExpressionError as err:
        assert err.position is not None and 0 <= err.position <= len(source)
        assert err.expression == source and " in \"" in err.message
        return
    evaluate(roundtrip(node), EvalContext({"config": {"extra": {}}}))


@FUZZ
@given(st.one_of(expressions(3), st.randoms(use_true_random=False).map(random_expression)), contexts,
       st.booleans())
def test_generated_expressions_parse_roundtrip_and_evaluate(source: str, raw: dict, as_tables: bool) -> None:
    assume(len(source) <= MAX_LENGTH)
    node = parse(source)
    tables = raw["tables"]
    if as_tables:  # the server passes Table objects, the browser dicts: both must work
        tables = {name: Table(name, t["columns"], t["rows"]) for name, t in tables.items()}
    result = evaluate(roundtrip(node), EvalContext(raw["params"], tables))
    json.dumps(result)  # always plain JSON data


TREE_KEYS = ["t", "v", "object", "name", "index", "op", "left", "right", "arg", "test", "then", "else", "items",
             "method", "args"]
tree_like = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=4),
              st.sampled_from(["lit", "this", "member", "index", "bin", "not", "cond", "array", "call", "helper",
                               "undefined", "params", "indexOf", "selectCols", "===", "__proto__"])),
    lambda ch: st.lists(ch, max_size=3) | st.dictionaries(st.sampled_from(TREE_KEYS), ch, max_size=4),
    max_leaves=12,
)


@FUZZ
@given(tree_like)
def test_from_json_only_raises_expression_error(obj: Any) -> None:
    try:
        node = from_json(obj)
    except ExpressionError as err:
        assert err.message.startswith("invalid expression tree")
        return
    evaluate(roundtrip(node), EvalContext({}))


@pytest.mark.skipif(NODE is None, reason="node is not on PATH: cannot run the browser interpreter")
def test_python_and_node_agree_on_generated_cases(tmp_path: Path) -> None:
    rng = random.Random(20240611)  # fixed: a failure must be reproducible
    cases = []
    while len(cases) < 3000:
        source = random_expression(rng)
        if len(source) > MAX_LENGTH:
            continue
        ctx, tree = random_context(rng), compile_expression(source)
        result = evaluate(from_json(tree), EvalContext(ctx["params"], ctx["tables"]))
        cases.append({"source": source, "tree": tree, "ctx": ctx, "expected": result})
    path = tmp_path / "cases.json"
    path.write_text(json.dumps(cases))
    script = (
        "import { readFileSync } from 'node:fs';"
        f"import {{ evaluate }} from {json.dumps((ROOT / 'server/static/js/expr.js').as_uri())};"
        "const cases = JSON.parse(readFileSync(process.argv[1], 'utf8'));"
        "process.stdout.write(JSON.stringify(cases.map((c) => evaluate(c.tree, c.ctx))));"
    )
    proc = subprocess.run([NODE, "--input-type=module", "-e", script, str(path)], capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    results = json.loads(proc.stdout)
    assert len(results) == len(cases)
    mismatches = [(c["source"], c["expected"], js) for c, js in zip(cases, results, strict=True)
                  if not same(json.loads(json.dumps(c["expected"])), js)]
    assert not mismatches, mismatches[:5]


def test_helper_read_as_a_property_is_the_empty_value():
    """A published Hiplot plugin (advance/gsea) writes `this.unique_line.length > 2`."""
    tree = parse("this.unique_line.length > 2")
    assert from_json(to_json(tree)) == tree
    assert evaluate(tree, EvalContext(params={})) is False
