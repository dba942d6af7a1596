"""A small R tokenizer: enough of R's lexical grammar to find calls outside comments and strings.

The unsafe-pattern rules (rules_script.py) and `plotforge plugin from-script` need to know
where an R script calls a function, and must not be fooled by the same letters inside a
comment (`# never use eval(parse(...))`) or a string literal (`"system("`). A regular
expression over the raw text cannot tell those apart; a token stream can.

What it understands: comments (`#` to the end of the line), the three string forms
('...', "..." with backslash escapes, and R 4.0's raw strings r"(...)", R"[...]", r"-{...}-"),
backquoted names (`my var`), numbers (1, 1.5e3, 0x1F, 2L, 3i, .5), identifiers, and
operators. It never fails: an unterminated string runs to the end of the file.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from enum import StrEnum


class Kind(StrEnum):
    NAME = "name"  # an identifier or a `backquoted name` (text without the backquotes)
    STRING = "string"  # text is the string's value, without quotes (escapes left as written)
    NUMBER = "number"
    OP = "op"


@dataclass(frozen=True)
class Token:
    kind: Kind
    text: str
    line: int  # 1-based line where the token starts


_RAW_STRING_START = re.compile(r"[rR](['\"])(-*)([(\[{])")
_RAW_CLOSERS = {"(": ")", "[": "]", "{": "}"}
_NUMBER = re.compile(r"0[xX][0-9a-fA-F]+[Li]?|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?[Li]?")
# R names start with a letter or a dot (not dot-digit) and go on with letters, digits, '.', '_'.
_NAME = re.compile(r"(?:[^\W\d_]|\.(?!\d))[\w.]*")
_OPERATORS = (
    "<<-", "->>", ":::", "|>", "<-", "->", "::", "==", "!=", "<=", ">=", "&&", "||",
)
_SINGLE = set("()[]{},;=+-*/^!&|~?:$@<>\\")


def tokenize(source: str) -> list[Token]:
    """The tokens of an R script, comments and blanks left out."""
    return list(_tokens(source))


def _tokens(source: str) -> Iterator[Token]:
    i, line, n = 0, 1, len(source)
    while i < n:
        char = source[i]
        if char == "\n":
            line += 1
            i += 1
        elif char.isspace():
            i += 1
        elif char == "#":
            end = source.find("\n", i)
            i = n if end < 0 else end
        elif (raw := _RAW_STRING_START.match(source, i)) is not None:
            quote, dashes, opener = raw.groups()
            closing = _RAW_CLOSERS[opener] + dashes + quote
            end = source.find(closing, raw.end())
            stop = n if end < 0 else end
            yield Token(Kind.STRING, source[raw.end():stop], line)
            line += source.count("\n", i, stop)
            i = n if end < 0 else end + len(closing)
        elif char in "'\"`":
            end = _closing_quote(source, i)
            text = source[i + 1:end]
            yield Token(Kind.NAME if char == "`" else Kind.STRING, text, line)
            line += source.count("\n", i, end)
            i = end + 1
        elif (number := _NUMBER.match(source, i)) is not None and (char.isdigit() or char == "."):
            yield Token(Kind.NUMBER, number.group(), line)
            i = number.end()
        elif (name := _NAME.match(source, i)) is not None:
            yield Token(Kind.NAME, name.group(), line)
            i = name.end()
        elif char == "%":
            end = source.find("%", i + 1)
            newline = source.find("\n", i + 1)
            if end < 0 or (0 <= newline < end):
                end = i  # a lone '%' (a syntax error in R): one character
            yield Token(Kind.OP, source[i:end + 1], line)
            i = end + 1
        else:
            op = next((o for o in _OPERATORS if source.startswith(o, i)), char)
            yield Token(Kind.OP, op, line)
            i += len(op)


def _closing_quote(source: str, start: int) -> int:
    """Index of the quote that closes the one at ``start`` (len(source) when none does)."""
    quote = source[start]
    i = start + 1
    while i < len(source):
        if source[i] == "\\":
            i += 2
            continue
        if source[i] == quote:
            return i
        i += 1
    return len(source)


# ------------------------------------------------------------------------------------ calls
@dataclass(frozen=True)
class Argument:
    name: str | None  # `text` in parse(text = x); None for a positional argument
    tokens: tuple[Token, ...]  # the value's tokens


@dataclass(frozen=True)
class Call:
    """A call `name(...)` or `namespace::name(...)` found in the token stream."""

    name: str
    namespace: str | None
    line: int
    open_index: int  # index of the '(' token
    arguments: tuple[Argument, ...]

    @property
    def qualified(self) -> str:
        return f"{self.namespace}::{self.name}" if self.namespace else self.name

    def argument(self, name: str, position: int | None = None) -> Argument | None:
        """The argument given by ``name``, else the positional one at ``position`` (from 0)."""
        for argument in self.arguments:
            if argument.name == name:
                return argument
        if position is None:
            return None
        positional = [a for a in self.arguments if a.name is None]
        return positional[position] if position < len(positional) else None


def calls(tokens: Sequence[Token]) -> Iterator[Call]:
    """Every call in the stream: a name directly followed by '('.

    `obj$name(...)` and `obj@name(...)` are member calls, not calls of the function `name`,
    so they are left out; `pkg::name(...)` carries its namespace.
    """
    for index, token in enumerate(tokens[:-1]):
        if token.kind is not Kind.NAME or tokens[index + 1].text != "(" or tokens[index + 1].kind is not Kind.OP:
            continue
        previous = tokens[index - 1] if index > 0 else None
        if previous is not None and previous.kind is Kind.OP and previous.text in ("$", "@"):
            continue
        namespace = None
        qualified = previous is not None and previous.text in ("::", ":::") and index >= 2
        if qualified and tokens[index - 2].kind is Kind.NAME:
            namespace = tokens[index - 2].text
        yield Call(token.text, namespace, token.line, index + 1, tuple(_arguments(tokens, index + 1)))


_OPENERS = {"(": ")", "[": "]", "{": "}"}


def _arguments(tokens: Sequence[Token], open_index: int) -> Iterator[Argument]:
    depth = 0
    current: list[Token] = []
    for token in tokens[open_index + 1:]:
        if token.kind is Kind.OP and token.text in _OPENERS:
            depth += 1
        elif token.kind is Kind.OP and token.text in _OPENERS.values():
            if depth == 0:
                break
            depth -= 1
        elif token.kind is Kind.OP and token.text == "," and depth == 0:
            yield _argument(current)
            current = []
            continue
        current.append(token)
    if current:
        yield _argument(current)


def _argument(tokens: list[Token]) -> Argument:
    if len(tokens) >= 2 and tokens[0].kind in (Kind.NAME, Kind.STRING) and tokens[1].kind is Kind.OP \
            and tokens[1].text == "=":
        return Argument(tokens[0].text, tuple(tokens[2:]))
    return Argument(None, tuple(tokens))


def starts_with_call(argument: Argument, names: set[str]) -> bool:
    """Whether the argument's value begins with a call of one of ``names`` (namespace optional)."""
    values = argument.tokens
    if len(values) >= 4 and values[0].kind is Kind.NAME and values[1].text in ("::", ":::"):
        values = values[2:]
    return len(values) >= 2 and values[0].kind is Kind.NAME and values[0].text in names and values[1].text == "("


def function_formals(tokens: Sequence[Token], function_name: str) -> tuple[int, list[tuple[str, bool]]] | None:
    """(line, [(formal name, has a default)]) of `function_name <- function(...)`, or None.

    Also matches `function_name = function(...)` and `function(...) -> function_name` is not
    looked for (nobody writes it).
    """
    for index, token in enumerate(tokens[:-3]):
        if token.kind is not Kind.NAME or token.text != function_name:
            continue
        assign, keyword, paren = tokens[index + 1], tokens[index + 2], tokens[index + 3]
        if assign.text in ("<-", "=", "<<-") and keyword.text == "function" and paren.text == "(":
            formals = [
                (argument.tokens[0].text, False) if argument.name is None else (argument.name, True)
                for argument in _arguments(tokens, index + 3)
                if argument.name is not None or argument.tokens
            ]
            return token.line, formals
    return None
