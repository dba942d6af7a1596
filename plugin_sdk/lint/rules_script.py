"""Script rules (P0xx): patterns in a core script that can turn a user's value into code.

A plugin's parameters and tables come from whoever uses the web page. A script that pastes
them into R or Python code (`eval(parse(text = ...))`, `aes_string`, a formula built with
`paste`, `df.query(...)`), hands them to a shell (`system`, `shell=True`), or installs
packages at run time lets that person run anything on the server. These rules find such
calls and say what to write instead. They are warnings, because a careful script can use
some of them safely; `plotforge plugin lint --strict` makes them fail.

Calls are found in a real token stream (Python's `ast`, our R tokenizer in r_tokens.py), so
the same words in a comment or a string literal are never reported.

Codes: P001-P006 for R (plot.R, start.R, entry.R, source.R), P010-P015 for Python (plot.py).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from plugin_sdk.findings import Severity
from plugin_sdk.lint.r_tokens import Call, Kind, calls, starts_with_call, tokenize
from plugin_sdk.lint.registry import Problem, rule
from plugin_sdk.plugin import PYTHON_SCRIPT_NAME, R_SCRIPT_NAMES, PluginFolder

R_SCRIPTS = (*R_SCRIPT_NAMES, "source.R")


@dataclass(frozen=True)
class Hit:
    code: str
    line: int
    message: str


# ------------------------------------------------------------------------------------ R
_R_EVAL = {"eval", "evalq", "eval_tidy", "eval_bare"}
_R_STRING_TO_CODE = {"str2lang", "str2expression"}
_R_PASTERS = {"paste", "paste0", "sprintf", "glue", "str_c", "str_glue", "stri_c", "stri_paste", "format"}
_R_SHELL = {"system", "system2", "shell", "shell.exec"}
_R_INSTALLERS_ANY_NAMESPACE = {
    "install.packages", "install_github", "install_gitlab", "install_bitbucket", "install_url", "install_cran",
    "install_version", "install_local", "biocLite", "p_install", "p_install_gh", "p_install_version",
}
_R_INSTALLER_NAMESPACES = {"BiocManager", "devtools", "remotes", "pak", "renv"}
_R_LITERALS = {"c", "TRUE", "FALSE", "NULL", "T", "F", "(", ")", ","}
_URL = re.compile(r"^\s*(?:https?|ftp)://", re.I)


def r_hits(source: str) -> list[Hit]:
    """Unsafe calls in an R script, at most one per code and line, in line order."""
    tokens = tokenize(source)
    found: dict[tuple[str, int], Hit] = {}
    for call in calls(tokens):
        for hit in _r_call_hits(call):
            found.setdefault((hit.code, hit.line), hit)
    return sorted(found.values(), key=lambda h: (h.line, h.code))


def _r_call_hits(call: Call) -> Iterator[Hit]:
    name, line = call.name, call.line
    first = call.arguments[0] if call.arguments else None
    if name in _R_EVAL and first is not None and starts_with_call(first, {"parse", "str2lang", "str2expression"}):
        yield Hit("P001", line, f"{name}(parse(...)) runs text as R code; work with the value as data instead")
    elif name == "parse" and call.argument("text", 2) is not None:
        yield Hit("P001", line, "parse(text = ...) turns a string into R code; work with the value as data instead")
    elif name in _R_STRING_TO_CODE:
        yield Hit("P001", line, f"{name}() turns a string into R code; work with the value as data instead")
    elif name in ("aes_string", "aes_"):
        yield Hit("P002", line, f"{name}() parses column names as R code; write aes(x = .data[[column]]) instead")
    elif name in ("as.formula", "formula") and first is not None and starts_with_call(first, _R_PASTERS):
        yield Hit("P003", line, f"a formula pasted together for {name}() runs column names as code; build it "
                                "from names instead: as.formula(call('~', as.name(y), as.name(x)))")
    elif name == "reformulate" and not all(_is_r_literal(a.tokens) for a in call.arguments):
        yield Hit("P003", line, "reformulate() parses its term labels as R code; build the formula from names "
                                "instead: as.formula(call('~', as.name(y), as.name(x)))")
    elif name in _R_SHELL and call.namespace in (None, "base"):
        yield Hit("P004", line, f"{name}() runs a shell command; a plot script must not start programs")
    elif name in _R_INSTALLERS_ANY_NAMESPACE or (call.namespace in _R_INSTALLER_NAMESPACES and "install" in name):
        yield Hit("P005", line, f"{call.qualified}() installs packages at run time; declare the package in "
                                "pkgs for pacman::p_load and ask the operator to install it")
    elif name in ("source", "sys.source", "source_url", "source_gist") and first is not None \
            and (_is_url(first.tokens) or starts_with_call(first, {"url"}) or name in ("source_url", "source_gist")):
        yield Hit("P006", line, f"{name}() of a URL runs code fetched from the network; copy the code into "
                                "the plugin (source.R) instead")


def _is_r_literal(tokens: tuple) -> bool:
    return all(t.kind in (Kind.STRING, Kind.NUMBER) or t.text in _R_LITERALS for t in tokens)


def _is_url(tokens: tuple) -> bool:
    return len(tokens) == 1 and tokens[0].kind is Kind.STRING and bool(_URL.match(tokens[0].text))


# ------------------------------------------------------------------------------------ Python
_PY_SHELL_CALLS = {"os.system", "os.popen", "commands.getoutput", "commands.getstatusoutput"}
_PY_SUBPROCESS = "subprocess."


def python_hits(source: str) -> list[Hit]:
    """Unsafe calls in a Python script, at most one per code and line, in line order."""
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        return [Hit("P010", exc.lineno or 1, f"the script does not parse ({exc.msg}), so it was not checked "
                                             "for unsafe calls")]
    aliases = _import_aliases(tree)
    found: dict[tuple[str, int], Hit] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            for hit in _python_call_hits(node, _qualified_name(node.func, aliases)):
                found.setdefault((hit.code, hit.line), hit)
    return sorted(found.values(), key=lambda h: (h.line, h.code))


def _python_call_hits(node: ast.Call, name: str | None) -> Iterator[Hit]:
    line = node.lineno
    if name in ("eval", "exec", "compile", "builtins.eval", "builtins.exec", "builtins.compile"):
        short = name.rsplit(".", 1)[-1]
        yield Hit("P011", line, f"{short}() runs text as Python code; work with the value as data instead")
    if name in _PY_SHELL_CALLS or (name or "").startswith(("os.exec", "os.spawn")):
        yield Hit("P012", line, f"{name}() runs a shell command; a plot script must not start programs")
    elif (name or "").startswith(_PY_SUBPROCESS) and _shell_true(node):
        yield Hit("P012", line, f"{name}(..., shell=True) runs a shell command line; a plot script must not "
                                "start programs")
    if isinstance(node.func, ast.Attribute) and node.func.attr in ("query", "eval") and name != "builtins.eval":
        yield Hit("P013", line, f".{node.func.attr}() evaluates a string as an expression; select rows with "
                                "boolean masks, e.g. df[df[column] > cutoff]")
    if name == "__import__" or (name == "importlib.import_module" and not _literal_first_argument(node)):
        yield Hit("P014", line, "importing a module by a computed name can load any code; import it by name")
    if _installs_with_pip(node, name):
        yield Hit("P015", line, "installing packages at run time; list the package for the operator to install")


def _shell_true(node: ast.Call) -> bool:
    for keyword in node.keywords:
        if keyword.arg == "shell":
            return not (isinstance(keyword.value, ast.Constant) and not keyword.value.value)
    return False


def _literal_first_argument(node: ast.Call) -> bool:
    return bool(node.args) and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)


def _installs_with_pip(node: ast.Call, name: str | None) -> bool:
    if name in ("pip.main", "pip._internal.main") or (name or "").startswith("pip._internal"):
        return True
    if not ((name or "").startswith(_PY_SUBPROCESS) or name in _PY_SHELL_CALLS):
        return False
    words = " ".join(
        part.value for part in ast.walk(node) if isinstance(part, ast.Constant) and isinstance(part.value, str)
    )
    return bool(re.search(r"\bpip3?\b", words)) and re.search(r"\binstall\b", words) is not None


def _import_aliases(tree: ast.AST) -> dict[str, str]:
    """Local name -> dotted name it stands for, from every import statement in the script."""
    aliases: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                local = alias.asname or alias.name.split(".")[0]
                aliases[local] = alias.name if alias.asname else local
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    return aliases


def _qualified_name(func: ast.expr, aliases: dict[str, str]) -> str | None:
    """`sp.run` -> "subprocess.run" after `import subprocess as sp`; None for computed callees."""
    parts: list[str] = []
    while isinstance(func, ast.Attribute):
        parts.append(func.attr)
        func = func.value
    if not isinstance(func, ast.Name):
        return None
    parts.append(aliases.get(func.id, func.id))
    return ".".join(reversed(parts))


# ------------------------------------------------------------------------------------ scanning
@lru_cache(maxsize=256)
def _scan(path: str, mtime_ns: int, size: int) -> tuple[Hit, ...]:
    # Keyed on the file's identity and timestamp: each P rule asks for the same scan, once.
    file = Path(path)
    try:
        source = file.read_text(encoding="utf-8-sig", errors="replace")
    except OSError:
        return ()
    return tuple(python_hits(source) if file.suffix == ".py" else r_hits(source))


def script_hits(folder: PluginFolder) -> Iterator[tuple[str, Hit]]:
    """(file name, hit) for every core script of the folder."""
    for name in (*R_SCRIPTS, PYTHON_SCRIPT_NAME):
        file = folder.path / name
        if file.is_file():
            stat = file.stat()
            for hit in _scan(str(file), stat.st_mtime_ns, stat.st_size):
                yield name, hit


def _rule_for(code: str) -> Callable[[PluginFolder], Iterator[Problem]]:
    def check(folder: PluginFolder) -> Iterator[Problem]:
        for file_name, hit in script_hits(folder):
            if hit.code == code:
                yield Problem(file_name, "", hit.message, line=hit.line)

    check.__name__ = f"script_{code.lower()}"
    return check


SCRIPT_RULES = {
    "P001": "no R code built from text: eval(parse()), parse(text =), str2lang()",
    "P002": "no aes_string() or aes_(): columns via aes(.data[[name]])",
    "P003": "no formulas built by pasting strings (as.formula(paste(...)), reformulate(variable))",
    "P004": "no shell commands from R: system(), system2(), shell()",
    "P005": "no package installation at run time (install.packages, BiocManager::install, ...)",
    "P006": "no source() of a URL",
    "P010": "plot.py parses, so that it can be checked",
    "P011": "no eval(), exec() or compile() in Python",
    "P012": "no shell commands from Python: os.system, os.popen, subprocess with shell=True",
    "P013": "no DataFrame.query() or .eval() strings: select rows with boolean masks",
    "P014": "no imports by computed name: __import__(), importlib.import_module(variable)",
    "P015": "no pip install at run time",
}

for _code, _summary in SCRIPT_RULES.items():
    rule(_code, Severity.WARNING, _summary)(_rule_for(_code))
