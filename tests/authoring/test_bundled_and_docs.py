"""The bundled plugins pass the author's tools, and the examples in CONTRIBUTING.md work as shown."""

from __future__ import annotations

import json
import re
import shutil
import xml.etree.ElementTree as ET

import pytest

from plugin_sdk.fromscript import read_spec
from plugin_sdk.loader import BUNDLED_PLUGINS
from plugin_sdk.plugintest.expectations import EXPECTATION_KEYS, validate_expect
from tests.authoring.helpers import FIXTURES, REPO, invoke, run_cli

GUIDE = REPO / "CONTRIBUTING.md"


def guide_block(after: str, language: str) -> str:
    """The first ```language block after the line containing ``after``."""
    text = GUIDE.read_text(encoding="utf-8")
    start = text.index(after)
    match = re.compile(rf"```{language}\n(.*?)```", re.S).search(text, start)
    assert match is not None, f"no {language} block after {after!r}"
    return match.group(1)


def test_bundled_plugins_lint_clean_with_strict():
    result = invoke("plugin", "lint", "--strict", BUNDLED_PLUGINS)
    assert result.exit_code == 0, result.output


@pytest.mark.slow
def test_bundled_plugins_pass_plugin_test(tmp_path, r_library, mpl_config_dir):
    junit = tmp_path / "junit.xml"
    done = run_cli("plugin", "test", BUNDLED_PLUGINS, "--junit", junit)
    assert done.returncode == 0, done.stdout + done.stderr
    root = ET.parse(junit).getroot()
    assert int(root.get("tests")) >= 1
    assert (root.get("failures"), root.get("errors")) == ("0", "0")


def test_the_guides_from_script_example_converts_and_lints_clean(tmp_path):
    script = tmp_path / "volcano.R"
    script.write_text(guide_block("A full example (`volcano.R`", "r"), encoding="utf-8")
    shutil.copy(FIXTURES / "from_script" / "volcano.txt", tmp_path / "volcano.txt")
    spec = read_spec(script)
    assert (spec.module, spec.tool) == ("basic", "volcano")
    converted = invoke("plugin", "from-script", script, "--out", tmp_path / "plugins")
    assert converted.exit_code == 0, converted.output
    linted = invoke("plugin", "lint", "--strict", tmp_path / "plugins")
    assert linted.exit_code == 0, linted.output


def test_the_guides_case_file_is_a_valid_case():
    case = json.loads(guide_block("Each `tests/<case>.json` is one case", "json"))
    assert set(case["expect"]) <= set(EXPECTATION_KEYS)
    assert validate_expect(case["expect"]) == []
