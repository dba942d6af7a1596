"""JUnit XML for CI: one <testsuite> per plugin, one <testcase> per case.

The format CI servers (GitHub Actions reporters, GitLab, Jenkins) read: a failed expectation
is a <failure>, a case that cannot run (broken case file, plugin that does not load) an
<error>, a catalogue-only plugin <skipped/>.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterable
from pathlib import Path

from plugin_sdk.plugintest.session import CaseResult, Status


def junit_tree(results: Iterable[CaseResult]) -> ET.ElementTree:
    suites: dict[str, list[CaseResult]] = {}
    for result in results:
        suites.setdefault(result.plugin, []).append(result)
    root = ET.Element("testsuites", name="plotforge plugin test")
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0, "time": 0.0}
    for plugin, cases in suites.items():
        counts = {
            "tests": len(cases),
            "failures": sum(1 for c in cases if c.status is Status.FAIL),
            "errors": sum(1 for c in cases if c.status is Status.ERROR),
            "skipped": sum(1 for c in cases if c.status is Status.SKIP),
            "time": sum(c.duration_s for c in cases),
        }
        for key, value in counts.items():
            totals[key] += value
        suite = ET.SubElement(root, "testsuite", name=plugin, **_attributes(counts))
        for case in cases:
            _testcase(suite, case)
    root.attrib.update(_attributes(totals))
    tree = ET.ElementTree(root)
    ET.indent(tree)
    return tree


def _attributes(counts: dict[str, float]) -> dict[str, str]:
    return {key: f"{value:.3f}" if key == "time" else str(int(value)) for key, value in counts.items()}


def _testcase(suite: ET.Element, case: CaseResult) -> None:
    element = ET.SubElement(suite, "testcase", name=case.case, classname=case.plugin.replace("/", "."),
                            time=f"{case.duration_s:.3f}")
    message = "; ".join(case.messages)
    if case.status is Status.FAIL:
        failure = ET.SubElement(element, "failure", message=message, type="expectation")
        failure.text = "\n".join([*case.messages, *(["", "log:", *case.log_tail] if case.log_tail else [])])
    elif case.status is Status.ERROR:
        error = ET.SubElement(element, "error", message=message, type="case")
        error.text = "\n".join(case.messages)
    elif case.status is Status.SKIP:
        ET.SubElement(element, "skipped", message=message)
    if case.updated:
        ET.SubElement(element, "system-out").text = "\n".join(f"updated: {u}" for u in case.updated)


def write_junit(results: Iterable[CaseResult], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    junit_tree(results).write(path, encoding="utf-8", xml_declaration=True)
