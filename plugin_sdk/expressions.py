"""The plugin expression language: ui.json's `if_func`, `items_func`, `max_func`, `class_func`.

Hiplot writes these as JavaScript and hands them to `eval`. A plugin is third-party code, so
we never do: a hand-written lexer and precedence-climbing parser accept a small subset, turn
it into a tree of frozen dataclasses, and one interpreter evaluates it (this module on the
server, `server/static/js/expr.js` in the browser, both on the same JSON tree).

Grammar (JavaScript precedence)::

    expr     := or ['?' expr ':' expr]
    or       := and ('||' and)*            and := equality ('&&' equality)*
    equality := rel (('==='|'!=='|'=='|'!=') rel)*
    rel      := unary (('<'|'<='|'>'|'>=') unary)*
    unary    := '!' unary | '-' NUMBER | postfix
    postfix  := primary ('.' NAME | '.' ('indexOf'|'includes') '(' expr ')' | '[' expr ']')*
    primary  := NUMBER | STRING | true | false | null | undefined | '[' [expr (',' expr)*] ']'
              | '(' expr ')' | this '.' ('params' | 'tableHeader') | this '.' HELPER '(' args ')'

No arithmetic, assignment, arbitrary calls, `new`, arrows, templates, regexes or `;`; the
member names `constructor`, `__proto__` and `prototype` are refused. Sources are capped at
2000 characters, and both nesting and tree height at 64 levels, so nothing recurses without
bound (an ExpressionError, never a RecursionError).

JSON tree (stable; `from_json` validates it as strictly as `parse` validates source)::

    {"t": "lit", "v": <number | string | bool | null>}     {"t": "undefined"}
    {"t": "this"}                            only as the object of member params/tableHeader
    {"t": "member", "object": N, "name": "x"}              a.x, also a.length
    {"t": "index", "object": N, "index": N}                a[i]
    {"t": "bin", "op": "===", "left": N, "right": N}       op: === !== == != < <= > >= && ||
    {"t": "not", "arg": N}                                 !a
    {"t": "cond", "test": N, "then": N, "else": N}         a ? b : c
    {"t": "array", "items": [N, ...]}                      [a, b]
    {"t": "call", "object": N, "method": "indexOf" | "includes", "args": [N]}
    {"t": "helper", "name": "selectCols", "args": [N, ...]}  this.selectCols(...)

Evaluation follows JavaScript (strict and loose equality, truthiness, `&&`/`||` yield an
operand, strings compared by UTF-16 code unit) but is forgiving where JavaScript would throw:
a member of undefined is undefined, `.indexOf` on a non-array is -1, and a helper the server
cannot compute yields an empty value. A final undefined is returned as None.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

MAX_LENGTH = 2000
MAX_DEPTH = 64
FORBIDDEN_NAMES = frozenset({"constructor", "__proto__", "prototype"})
THIS_MEMBERS = frozenset({"params", "tableHeader"})
METHODS = frozenset({"indexOf", "includes"})
# helper -> (min args, max args); the column helpers read (table, column index = 0).
HELPERS: dict[str, tuple[int, int]] = {
    "selectCols": (1, 2), "getDataAreaFactors": (1, 2), "retriveUniqueLine": (1, 3),
    "unique_line": (1, 3), "fetchPerplexity": (0, 4),
}
BINARY_OPS = ("||", "&&", "===", "!==", "==", "!=", "<", "<=", ">", ">=")
_LEVELS = (("||",), ("&&",), ("===", "!==", "==", "!="), ("<", "<=", ">", ">="))
_PUNCT = ("===", "!==", "==", "!=", "<=", ">=", "&&", "||", "<", ">", "!", "?", ":", "(", ")",
          "[", "]", ".", ",", "-")
_HINTS = {"+": "arithmetic is not supported", "*": "arithmetic is not supported",
          "%": "arithmetic is not supported", "/": "division and regular expressions are not supported",
          "=": "assignment is not supported", ";": "only a single expression is allowed",
          "`": "template strings are not supported", "&": "bitwise operators are not supported",
          "|": "bitwise operators are not supported", "^": "bitwise operators are not supported",
          "~": "bitwise operators are not supported", "{": "object literals and blocks are not supported",
          "}": "object literals and blocks are not supported"}
_KEYWORDS = frozenset(["new", "function", "typeof", "void", "delete", "in", "instanceof", "var", "let", "const",
                       "return", "class", "import", "export", "await", "yield", "async", "if", "else", "for",
                       "while", "do", "throw", "try", "super", "with", "debugger"])
# JavaScript's WhiteSpace and LineTerminator, used by the lexer and by Number(string).
_JS_SPACE = "\t\n\v\f\r \u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009" \
            "\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
_IDENT_START = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_$")
_DIGITS = "0123456789"
_IDENT_PART = _IDENT_START | frozenset(_DIGITS)
_DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_ARRAY_INDEX = re.compile(r"0|[1-9][0-9]*")


class ExpressionError(ValueError):
    """A rejected expression. `.reason` is the bare reason; `.message` (also `str(err)`) adds
    the quoted expression and the 0-based `.position` (None when it has no meaning)."""

    def __init__(self, message: str, expression: str, position: int | None):
        self.reason, self.expression, self.position = message, expression, position
        excerpt = expression
        if len(excerpt) > 80:  # show the part around the error, not the first 80 characters
            start = max(0, min(position or 0, len(expression)) - 40)
            excerpt = ("..." if start else "") + expression[start:start + 80] + "..."
        where = f" at position {position}" if position is not None else ""
        self.message = f"{message}{where} in {json.dumps(excerpt, ensure_ascii=False)}"
        super().__init__(self.message)


# ---------------------------------------------------------------------------- the tree
@dataclass(frozen=True, slots=True)
class Lit:
    value: str | int | float | bool | None


@dataclass(frozen=True, slots=True)
class Undefined:
    pass


@dataclass(frozen=True, slots=True)
class This:
    pass


@dataclass(frozen=True, slots=True)
class Member:
    object: Node
    name: str


@dataclass(frozen=True, slots=True)
class Index:
    object: Node
    index: Node


@dataclass(frozen=True, slots=True)
class Binary:
    op: str
    left: Node
    right: Node


@dataclass(frozen=True, slots=True)
class Not:
    arg: Node


@dataclass(frozen=True, slots=True)
class Cond:
    test: Node
    then: Node
    otherwise: Node


@dataclass(frozen=True, slots=True)
class Array:
    items: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Call:
    object: Node
    method: str
    args: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Helper:
    name: str
    args: tuple[Node, ...]


Node = Lit | Undefined | This | Member | Index | Binary | Not | Cond | Array | Call | Helper


# ---------------------------------------------------------------------------- lexer
@dataclass(frozen=True, slots=True)
class _Token:
    kind: str  # num, str, name, punct, eof
    value: Any
    pos: int


def _lex(src: str) -> Iterator[_Token]:
    """Yield the tokens of `src`; lazily, so errors are reported in source order."""
    i, n = 0, len(src)

    def fail(msg: str, pos: int) -> ExpressionError:
        return ExpressionError(msg, src, pos)

    while i < n:
        c = src[i]
        if c in _JS_SPACE:
            i += 1
        elif c in _IDENT_START:
            j = i
            while j < n and src[j] in _IDENT_PART:
                j += 1
            yield _Token("name", src[i:j], i)
            i = j
        elif c in _DIGITS or (c == "." and i + 1 < n and src[i + 1] in _DIGITS):
            m = _DECIMAL.match(src, i)
            assert m is not None  # the first character guarantees a match
            text, j = m.group(), m.end()
            if len(text) > 1 and text[0] == "0" and text[1] in _DIGITS:
                raise fail("numbers may not have leading zeros", i)
            if j < n and src[j] in _IDENT_PART:
                raise fail(f"unexpected {src[j]!r} right after a number", j)
            value: int | float = int(text) if text.isdigit() else float(text)
            if isinstance(value, float) and math.isinf(value):
                raise fail("number is too large", i)
            yield _Token("num", value, i)
            i = j
        elif c in "'\"":
            text, end = _lex_string(src, i, fail)
            yield _Token("str", text, i)
            i = end
        else:
            op = next((p for p in _PUNCT if src.startswith(p, i)), None)
            if op is None:
                hint = "arrow functions are not supported" if src.startswith("=>", i) else _HINTS.get(c)
                raise fail(f"unexpected {c!r}" + (f" ({hint})" if hint else ""), i)
            yield _Token("punct", op, i)
            i += len(op)
    yield _Token("eof", None, n)


def _lex_string(src: str, start: int, fail: Any) -> tuple[str, int]:
    """Read the string literal opening at `start`; return (value, index after it)."""
    quote, i, n, out = src[start], start + 1, len(src), []
    simple = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "v": "\v"}
    while True:
        if i >= n or src[i] in "\n\r":
            raise fail("unterminated string", start)
        c = src[i]
        if c == quote:
            # JavaScript strings are UTF-16: join escaped surrogate pairs into one character.
            text = "".join(out).encode("utf-16-le", "surrogatepass").decode("utf-16-le", "surrogatepass")
            return text, i + 1
        if c != "\\":
            out.append(c)
            i += 1
            continue
        if i + 1 >= n:
            raise fail("unterminated string", start)
        escape, e = i, src[i + 1]
        i += 2
        if e in simple:
            out.append(simple[e])
        elif e == "0" and not (i < n and src[i] in _DIGITS):
            out.append("\0")
        elif e in _DIGITS:
            raise fail("octal escapes are not supported", escape)
        elif e in "xu":
            if e == "u" and i < n and src[i] == "{":
                end = src.find("}", i)
                digits, i = (src[i + 1:end], end + 1) if end > 0 else ("", i)
            else:
                width = 2 if e == "x" else 4
                digits, i = src[i:i + width], i + width
                digits = digits if len(digits) == width else ""
            if not digits or any(d not in "0123456789abcdefABCDEF" for d in digits) \
                    or int(digits, 16) > 0x10FFFF:
                raise fail(f"invalid \\{e} escape", escape)
            out.append(chr(int(digits, 16)))
        elif e == "\r":  # line continuation
            i += 1 if i < n and src[i] == "\n" else 0
        elif e not in "\n\u2028\u2029":
            out.append(e)


# ---------------------------------------------------------------------------- parser
class _Parser:
    def __init__(self, src: str):
        self.src, self.lexer, self.tokens, self.i, self.depth = src, _lex(src), [], 0, 0
        self.heights: dict[int, int] = {}  # id(node) -> height, for the nodes built so far

    @property
    def tok(self) -> _Token:
        while len(self.tokens) <= self.i:
            self.tokens.append(next(self.lexer))
        return self.tokens[self.i]

    def fail(self, msg: str, tok: _Token | None = None) -> ExpressionError:
        return ExpressionError(msg, self.src, (tok or self.tok).pos)

    def unexpected(self, tok: _Token | None = None) -> ExpressionError:
        tok = tok or self.tok
        if tok.kind == "eof":
            return self.fail("unexpected end of expression", tok)
        shown = self.src[tok.pos:tok.pos + 20] if tok.kind in ("str", "num") else tok.value
        return self.fail(f"unexpected {shown!r}", tok)

    def accept(self, punct: str) -> bool:
        if self.tok.kind == "punct" and self.tok.value == punct:
            self.i += 1
            return True
        return False

    def expect(self, punct: str) -> None:
        if not self.accept(punct):
            raise self.unexpected()

    def enter(self) -> None:
        # Bounds the parser's own recursion (parentheses, brackets, '!').
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.fail(f"expression is nested too deeply (more than {MAX_DEPTH} levels)")

    def mk(self, node: Node) -> Node:
        """Record a new node's height and refuse trees taller than MAX_DEPTH: operator and
        member chains build height without recursing, and evaluate/to_json recurse over it."""
        kids = [k for v in (getattr(node, f) for f in node.__slots__)
                for k in (v if isinstance(v, tuple) else (v,)) if isinstance(k, Node)]
        height = 1 + max((self.heights.get(id(k), 1) for k in kids), default=0)
        if height > MAX_DEPTH:
            raise self.fail(f"expression is nested too deeply (more than {MAX_DEPTH} levels)")
        self.heights[id(node)] = height
        return node

    def parse(self) -> Node:
        if self.tok.kind == "eof":
            raise self.fail("empty expression")
        node = self.expr()
        if self.tok.kind != "eof":
            raise self.unexpected()
        return node

    def expr(self) -> Node:
        saved = self.depth
        self.enter()
        node = self.binary(0)
        if self.accept("?"):
            then = self.expr()
            self.expect(":")
            node = self.mk(Cond(node, then, self.expr()))
        self.depth = saved
        return node

    def binary(self, level: int) -> Node:
        if level == len(_LEVELS):
            return self.unary()
        node = self.binary(level + 1)
        while self.tok.kind == "punct" and self.tok.value in _LEVELS[level]:
            op = self.tok.value
            self.i += 1
            node = self.mk(Binary(op, node, self.binary(level + 1)))
        return node

    def unary(self) -> Node:
        if self.accept("!"):
            saved = self.depth
            self.enter()
            node = self.mk(Not(self.unary()))
            self.depth = saved
            return node
        if self.accept("-"):
            if self.tok.kind != "num":
                raise self.fail("unary minus is only allowed before a number")
            self.i += 1
            return Lit(-self.tokens[self.i - 1].value)
        return self.postfix()

    def postfix(self) -> Node:
        start = self.tok
        node = self.primary()
        while True:
            if self.accept("."):
                name_tok = self.tok
                if name_tok.kind != "name":
                    raise self.unexpected()
                name = name_tok.value
                if name in FORBIDDEN_NAMES:
                    raise self.fail(f"member name {name!r} is not allowed", name_tok)
                self.i += 1
                if self.tok.kind == "punct" and self.tok.value == "(":
                    node = self.call(node, name, name_tok)
                elif isinstance(node, This) and name in HELPERS:
                    # Hiplot's page also keeps some helpers' results as properties
                    # (`this.unique_line.length > 2` in a published plugin): read without
                    # arguments, a helper names no table, so it is the empty value.
                    node = self.mk(Helper(name, ()))
                elif isinstance(node, This) and name not in THIS_MEMBERS:
                    raise self.fail(f"unknown member {name!r} of this (use this.params, this.tableHeader "
                                    "or a data helper)", name_tok)
                else:
                    node = self.mk(Member(node, name))
            elif self.tok.kind == "punct" and self.tok.value == "[":
                if isinstance(node, This):
                    raise self.fail("index access on this is not supported")
                self.i += 1
                index = self.expr()
                self.expect("]")
                node = self.mk(Index(node, index))
            elif self.tok.kind == "punct" and self.tok.value == "(":
                raise self.fail("unexpected '(' (only .indexOf, .includes and this.<helper> can be called)")
            else:
                break
        if isinstance(node, This):
            raise self.fail("'this' must be followed by .params, .tableHeader or a helper call", start)
        return node

    def call(self, node: Node, name: str, name_tok: _Token) -> Node:
        if isinstance(node, This):
            if name not in HELPERS:
                raise self.fail(f"unknown helper {name!r} (known: {', '.join(sorted(HELPERS))})", name_tok)
            low, high = HELPERS[name]
        elif name in METHODS:
            low, high = 1, 1
        else:
            raise self.fail(f"unknown method {name!r} (only .indexOf and .includes can be called)", name_tok)
        args = self.items(")")
        if not low <= len(args) <= high:
            raise self.fail(f"{name}() takes {low}" + (f" to {high}" if high > low else "")
                            + f" argument(s), not {len(args)}", name_tok)
        return self.mk(Helper(name, args) if isinstance(node, This) else Call(node, name, args))

    def items(self, close: str) -> tuple[Node, ...]:
        """Comma-separated expressions after an opening bracket, up to `close` (a trailing
        comma is allowed, as in JavaScript)."""
        self.i += 1
        out: list[Node] = []
        while not self.accept(close):
            out.append(self.expr())
            if not self.accept(","):
                self.expect(close)
                break
        return tuple(out)

    def primary(self) -> Node:
        tok = self.tok
        if tok.kind in ("num", "str"):
            self.i += 1
            return Lit(tok.value)
        if tok.kind == "name":
            self.i += 1
            constants = {"true": Lit(True), "false": Lit(False), "null": Lit(None),
                         "undefined": Undefined(), "this": This()}
            if tok.value in constants:
                return constants[tok.value]
            if tok.value in _KEYWORDS:
                raise self.fail(f"{tok.value!r} is not supported", tok)
            raise self.fail(f"unknown name {tok.value!r} (expressions may use only literals, "
                            "this.params, this.tableHeader and the data helpers)", tok)
        if self.accept("("):
            node = self.expr()
            self.expect(")")
            return node
        if tok.kind == "punct" and tok.value == "[":
            saved = self.depth
            self.enter()
            node = self.mk(Array(self.items("]")))
            self.depth = saved
            return node
        raise self.unexpected()


def parse(source: str) -> Node:
    """Parse one expression; raise ExpressionError for anything outside the subset."""
    if not isinstance(source, str):
        raise ExpressionError("an expression must be a string", repr(source)[:100], None)
    if len(source) > MAX_LENGTH:
        raise ExpressionError(f"expression is too long (more than {MAX_LENGTH} characters)",
                              source, MAX_LENGTH)
    return _Parser(source).parse()


def parse_if(key: str) -> Node:
    """The tree of a widget's bare `if` attribute: `this.params.config.extra.<key>`."""
    if not isinstance(key, str) or not key:
        raise ExpressionError("an 'if' attribute must name an extra parameter", repr(key)[:100], None)
    # Extra keys are identifiers in practice; also allow '-' (it is only a dictionary key).
    bad = next((i for i, c in enumerate(key) if c not in _IDENT_PART and c != "-"), None)
    if bad is not None or len(key) > 200:
        raise ExpressionError("an 'if' attribute must be a parameter name", key, 200 if bad is None else bad)
    if key in FORBIDDEN_NAMES:
        raise ExpressionError(f"member name {key!r} is not allowed", key, 0)
    node: Node = This()
    for name in ("params", "config", "extra", key):
        node = Member(node, name)
    return node


def compile_expression(source: str) -> dict:
    """`to_json(parse(source))`: what the server stores and sends to the browser."""
    return to_json(parse(source))


# ---------------------------------------------------------------------------- JSON
def to_json(node: Node) -> dict:
    """The JSON form of a tree (see the module docstring)."""
    match node:
        case Lit(value=v):
            return {"t": "lit", "v": v}
        case Undefined():
            return {"t": "undefined"}
        case This():
            return {"t": "this"}
        case Member(object=o, name=name):
            return {"t": "member", "object": to_json(o), "name": name}
        case Index(object=o, index=i):
            return {"t": "index", "object": to_json(o), "index": to_json(i)}
        case Binary(op=op, left=a, right=b):
            return {"t": "bin", "op": op, "left": to_json(a), "right": to_json(b)}
        case Not(arg=a):
            return {"t": "not", "arg": to_json(a)}
        case Cond(test=a, then=b, otherwise=c):
            return {"t": "cond", "test": to_json(a), "then": to_json(b), "else": to_json(c)}
        case Array(items=items):
            return {"t": "array", "items": [to_json(x) for x in items]}
        case Call(object=o, method=m, args=args):
            return {"t": "call", "object": to_json(o), "method": m, "args": [to_json(x) for x in args]}
        case Helper(name=name, args=args):
            return {"t": "helper", "name": name, "args": [to_json(x) for x in args]}
    raise TypeError(f"not an expression node: {node!r}")


_SHAPES = {"lit": {"v"}, "undefined": set(), "member": {"object", "name"}, "index": {"object", "index"},
           "bin": {"op", "left", "right"}, "not": {"arg"}, "cond": {"test", "then", "else"},
           "array": {"items"}, "call": {"object", "method", "args"}, "helper": {"name", "args"}}


def from_json(obj: Any, _depth: int = 0) -> Node:
    """Rebuild and validate a tree from its JSON form; ExpressionError if it is not one that
    `parse` could have produced (so a stored tree cannot smuggle in anything new)."""
    def bad(why: str) -> ExpressionError:
        # Quote only this node's own scalar fields: the whole tree may be huge or very deep.
        shallow = {k: v if isinstance(v, str | int | float | bool | None) else "..." for k, v in obj.items()} \
            if isinstance(obj, dict) else obj if isinstance(obj, str | int | float | bool | None) else "..."
        return ExpressionError(f"invalid expression tree: {why}", json.dumps(shallow, default=str)[:200], None)

    if _depth >= MAX_DEPTH:  # the same bound as parse: a tree at most MAX_DEPTH nodes tall
        raise bad("nested too deeply")
    if not isinstance(obj, dict) or not isinstance(obj.get("t"), str) or obj["t"] not in _SHAPES \
            or set(obj) != _SHAPES[obj["t"]] | {"t"}:
        raise bad("unknown node or wrong keys")
    t, sub = obj["t"], (lambda o: from_json(o, _depth + 1))
    if t == "lit":
        v = obj["v"]
        if not (v is None or isinstance(v, str | bool | int) or (isinstance(v, float) and math.isfinite(v))):
            raise bad("a literal must be a finite number, a string, a boolean or null")
        return Lit(v)
    if t == "undefined":
        return Undefined()
    if t in ("member", "call", "helper"):
        name = obj["name" if t != "call" else "method"]
        if not isinstance(name, str) or name in FORBIDDEN_NAMES:
            raise bad(f"member name {name!r} is not allowed")
    if t == "member":
        if obj["object"] == {"t": "this"}:
            if obj["name"] not in THIS_MEMBERS:
                raise bad(f"this.{obj['name']} is not allowed")
            return Member(This(), obj["name"])
        return Member(sub(obj["object"]), obj["name"])
    if t in ("call", "helper", "array"):
        args = obj["items" if t == "array" else "args"]
        if not isinstance(args, list):
            raise bad("arguments must be a list")
        if t == "array":
            return Array(tuple(sub(x) for x in args))
        low, high = (1, 1) if t == "call" else HELPERS.get(obj["name"], (1, 0))
        property_form = t == "helper" and obj["name"] in HELPERS and not args  # this.unique_line
        if (obj.get("method", "indexOf") not in METHODS) or not (low <= len(args) <= high or property_form):
            raise bad(f"unknown method or helper, or wrong number of arguments: {obj.get('name')!r}")
        items = tuple(sub(x) for x in args)
        return Call(sub(obj["object"]), obj["method"], items) if t == "call" else Helper(obj["name"], items)
    if t == "index":
        return Index(sub(obj["object"]), sub(obj["index"]))
    if t == "bin":
        if obj["op"] not in BINARY_OPS:
            raise bad(f"unknown operator {obj['op']!r}")
        return Binary(obj["op"], sub(obj["left"]), sub(obj["right"]))
    if t == "not":
        return Not(sub(obj["arg"]))
    return Cond(sub(obj["test"]), sub(obj["then"]), sub(obj["else"]))


# ---------------------------------------------------------------------------- evaluation
class TableLike(Protocol):
    """A table as the form sees it: the header and the rows, as strings."""

    @property
    def columns(self) -> Sequence[str]: ...

    @property
    def rows(self) -> Sequence[Sequence[str]]: ...


@dataclass
class EvalContext:
    """What `this` means: `params` is data.json's `params` (with `config`); `tables` maps a
    table name to a TableLike (or a {"columns", "rows"} dict, as the browser has)."""

    params: dict
    tables: Mapping[str, Any] = field(default_factory=dict)


class _UndefinedType:
    """JavaScript's undefined, distinct from null (None) while evaluating."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "undefined"


UNDEFINED = _UndefinedType()


def _type(v: Any) -> str:
    if v is UNDEFINED:
        return "undefined"
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "boolean"
    if isinstance(v, int | float):
        return "number"
    return "string" if isinstance(v, str) else "object"


def _num(v: int | float) -> float:
    try:
        return float(v)
    except OverflowError:  # an int beyond a double: JavaScript reads it as Infinity
        return math.inf if v > 0 else -math.inf


def _u16(s: str) -> bytes:
    return s.encode("utf-16-be", "surrogatepass")


def _num_to_str(x: float) -> str:
    """Number::toString: shortest round-trip digits (as repr), JavaScript's layout."""
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "Infinity" if x > 0 else "-Infinity"
    if x == 0:
        return "0"
    if x < 0:
        return "-" + _num_to_str(-x)
    mantissa, _, exp = repr(x).partition("e")
    whole, _, frac = mantissa.partition(".")
    raw = whole + frac
    digits = raw.lstrip("0")
    n = len(whole) + int(exp or 0) - (len(raw) - len(digits))
    digits = digits.rstrip("0")
    k = len(digits)
    if k <= n <= 21:
        return digits + "0" * (n - k)
    if 0 < n <= 21:
        return digits[:n] + "." + digits[n:]
    if -6 < n <= 0:
        return "0." + "0" * -n + digits
    e = f"e{'+' if n - 1 >= 0 else '-'}{abs(n - 1)}"
    return digits + e if k == 1 else digits[0] + "." + digits[1:] + e


def _to_string(v: Any, depth: int = 0) -> str:
    t = _type(v)
    if t in ("undefined", "null", "boolean"):
        return {UNDEFINED: "undefined", None: "null", True: "true", False: "false"}[v]
    if t == "number":
        return _num_to_str(_num(v))
    if t == "string":
        return v
    if isinstance(v, list | tuple):  # Array.prototype.join: null and undefined become ''
        return ",".join("" if x is None or x is UNDEFINED or depth > MAX_DEPTH else _to_string(x, depth + 1)
                        for x in v)
    return "[object Object]"


def _to_number(v: Any) -> float:
    t = _type(v)
    if t == "object":
        return _to_number(_to_string(v))
    if t == "undefined":
        return math.nan
    if t == "null":
        return 0.0
    if t != "string":  # number or boolean
        return _num(v)
    s = v.strip(_JS_SPACE)
    if not s:
        return 0.0
    if _DECIMAL.fullmatch(s):
        return float(s)
    if s in ("Infinity", "+Infinity", "-Infinity"):
        return -math.inf if s[0] == "-" else math.inf
    base = {"0x": 16, "0X": 16, "0o": 8, "0O": 8, "0b": 2, "0B": 2}.get(s[:2])
    try:
        return _num(int(s[2:], base)) if base and s[2:].isalnum() and s[2:].isascii() else math.nan
    except ValueError:
        return math.nan


def truthy(v: Any) -> bool:
    """JavaScript truthiness: '', 0, NaN, null, undefined and false are false; [] is true."""
    t = _type(v)
    if t == "number":
        return _num(v) != 0 and not math.isnan(_num(v))
    return bool(v) if t in ("boolean", "string") else t == "object"


def strict_equal(a: Any, b: Any) -> bool:
    """`a === b`: same type and value; arrays and objects only when they are the same one."""
    t = _type(a)
    if t != _type(b):
        return False
    if t == "number":
        return _num(a) == _num(b)
    return a == b if t in ("string", "boolean") else a is b


def loose_equal(a: Any, b: Any) -> bool:
    """`a == b`, JavaScript's IsLooselyEqual for data values (objects compare as their string)."""
    ta, tb = _type(a), _type(b)
    if ta == tb:
        return strict_equal(a, b)
    if {ta, tb} <= {"null", "undefined"}:
        return True
    if {ta, tb} == {"number", "string"}:
        return _to_number(a) == _to_number(b)
    if ta == "boolean":
        return loose_equal(_to_number(a), b)
    if tb == "boolean":
        return loose_equal(a, _to_number(b))
    if ta == "object" and tb in ("number", "string"):
        return loose_equal(_to_string(a), b)
    if tb == "object" and ta in ("number", "string"):
        return loose_equal(a, _to_string(b))
    return False


def _compare(op: str, a: Any, b: Any) -> bool:
    a = _to_string(a) if _type(a) == "object" else a
    b = _to_string(b) if _type(b) == "object" else b
    if isinstance(a, str) and isinstance(b, str):
        x, y = _u16(a), _u16(b)  # UTF-16 code-unit order, as JavaScript compares strings
    else:
        x, y = _to_number(a), _to_number(b)
        if math.isnan(x) or math.isnan(y):
            return False
    return {"<": x < y, "<=": x <= y, ">": x > y, ">=": x >= y}[op]


def _array_index(key: str, size: int) -> int | None:
    """The index a canonical integer string names, if below `size` (short: int() of a huge
    digit string is slow and, past 4300 digits, an error)."""
    return int(key) if len(key) <= 16 and _ARRAY_INDEX.fullmatch(key) and int(key) < size else None


def _get(obj: Any, key: str) -> Any:
    """obj[key] with JavaScript's property rules, own properties only, never an error."""
    if key in FORBIDDEN_NAMES:
        return UNDEFINED
    if isinstance(obj, str):
        units = _u16(obj)
        if key == "length":
            return len(units) // 2
        if (i := _array_index(key, len(units) // 2)) is not None:
            return units[2 * i:2 * i + 2].decode("utf-16-be", "surrogatepass")
    elif isinstance(obj, list | tuple):
        if key == "length":
            return len(obj)
        if (i := _array_index(key, len(obj))) is not None:
            return obj[i]
    elif isinstance(obj, Mapping) and key in obj:
        return obj[key]
    return UNDEFINED


def _part(table: Any, name: str) -> Sequence[Any]:
    """A table's `columns` or `rows`, from a TableLike or a dict; () if it has none."""
    value = table.get(name) if isinstance(table, Mapping) else getattr(table, name, None)
    return value if isinstance(value, list | tuple) else ()


def _column_values(ctx: EvalContext, args: list[Any]) -> list[str]:
    """Distinct non-empty cells of one column, first seen first; [] when anything is off."""
    table = ctx.tables.get(args[0]) if args and isinstance(args[0], str) else None
    if table is None:
        return []
    columns, rows = _part(table, "columns"), _part(table, "rows")
    col = args[1] if len(args) > 1 else 0
    if isinstance(col, str) and col in columns:
        col = list(columns).index(col)
    elif isinstance(col, str) and _array_index(col, 2**53) is not None:
        col = int(col)
    if _type(col) != "number" or not _num(col).is_integer() or col < 0:
        return []
    col, seen = int(col), {}
    for row in rows:
        cell = row[col] if isinstance(row, list | tuple) and col < len(row) else None
        if cell is not None and cell != "":
            seen.setdefault(cell if isinstance(cell, str) else _to_string(cell), None)
    return list(seen)


def _eval(node: Node, ctx: EvalContext) -> Any:
    match node:
        case Lit(value=v):
            return v
        case Undefined():
            return UNDEFINED
        case Member(object=This(), name="params"):  # without building tableHeader
            return ctx.params
        case This():
            header = {name: list(_part(t, "columns")) for name, t in ctx.tables.items()}
            return {"params": ctx.params, "tableHeader": header}
        case Member(object=o, name=name):
            return _get(_eval(o, ctx), name)
        case Index(object=o, index=i):
            obj, key = _eval(o, ctx), _eval(i, ctx)
            return _get(obj, _to_string(key))
        case Binary(op="&&", left=a, right=b):
            left = _eval(a, ctx)
            return _eval(b, ctx) if truthy(left) else left
        case Binary(op="||", left=a, right=b):
            left = _eval(a, ctx)
            return left if truthy(left) else _eval(b, ctx)
        case Binary(op=op, left=a, right=b):
            x, y = _eval(a, ctx), _eval(b, ctx)
            if op in ("===", "!=="):
                return strict_equal(x, y) == (op == "===")
            if op in ("==", "!="):
                return loose_equal(x, y) == (op == "==")
            return _compare(op, x, y)
        case Not(arg=a):
            return not truthy(_eval(a, ctx))
        case Cond(test=a, then=b, otherwise=c):
            return _eval(b, ctx) if truthy(_eval(a, ctx)) else _eval(c, ctx)
        case Array(items=items):
            return [_eval(x, ctx) for x in items]
        case Call(object=o, method=method, args=args):
            obj, arg = _eval(o, ctx), _eval(args[0], ctx)
            if isinstance(obj, str):
                haystack, needle = _u16(obj), _u16(_to_string(arg))
                found = haystack.find(needle)
                while found > 0 and found % 2:  # a match must start on a code-unit boundary
                    found = haystack.find(needle, found + 1)
                return found // 2 if method == "indexOf" else found >= 0
            if isinstance(obj, list | tuple):
                if method == "indexOf":
                    return next((i for i, x in enumerate(obj) if strict_equal(x, arg)), -1)
                # includes uses SameValueZero: like === but NaN finds NaN
                nan = _type(arg) == "number" and math.isnan(_num(arg))
                return any(strict_equal(x, arg) or (nan and _type(x) == "number" and math.isnan(_num(x)))
                           for x in obj)
            return -1 if method == "indexOf" else False  # forgiving: a non-array acts as empty
        case Helper(name=name, args=args):
            values = [_eval(x, ctx) for x in args]
            return None if name == "fetchPerplexity" else _column_values(ctx, values)
    raise TypeError(f"not an expression node: {node!r}")


def _public(v: Any, depth: int = 0) -> Any:
    if v is UNDEFINED:
        return None
    if isinstance(v, list) and depth <= MAX_DEPTH and any(x is UNDEFINED or isinstance(x, list) for x in v):
        return [_public(x, depth + 1) for x in v]
    return v


def evaluate(node: Node, ctx: EvalContext) -> Any:
    """Evaluate a tree with JavaScript's semantics; undefined comes back as None. Never
    raises for a tree from `parse`/`from_json`, whatever the context holds."""
    return _public(_eval(node, ctx))
