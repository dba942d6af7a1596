"""`plotforge plugin test`: run a plugin's test cases and check its outputs.

    cases.py         reading tests/<case>.json (or the examples, when there are none)
    expectations.py  what a case can expect, checking it, and --update
    session.py       running the cases of many plugins with one (warm) executor
    report.py        the one-line-per-case text report
    junit.py         JUnit XML for CI
"""

from plugin_sdk.plugintest.cases import Case, load_cases
from plugin_sdk.plugintest.session import CaseResult, Status, choose_executor, collect_plugins, run_case, run_session

__all__ = ["Case", "CaseResult", "Status", "choose_executor", "collect_plugins", "load_cases", "run_case",
           "run_session"]
