"""`plotforge plugin test`: case files, expectations with precise messages, --update, JUnit XML."""

from __future__ import annotations

import json
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from openpyxl import Workbook
from PIL import Image, ImageDraw

from plugin_sdk.loader import load_plugin
from plugin_sdk.plugin import Plugin
from plugin_sdk.plugintest.cases import Case, load_cases, read_case
from plugin_sdk.plugintest.expectations import check, update_snapshots
from plugin_sdk.plugintest.junit import junit_tree
from plugin_sdk.plugintest.session import CaseResult, Status
from plugin_sdk.runtime.outcome import Reason, RunResult
from plugin_sdk.scaffold import create_plugin
from tests.authoring.helpers import invoke, run_cli
from tests.plugin_factory import make_plugin

# ---------------------------------------------------------------------------- helpers


def factory_plugin(root: Path, **options) -> Plugin:
    loaded = load_plugin(make_plugin(root, "export_single(NULL)\n", **options))
    assert loaded.plugin is not None, [str(f) for f in loaded.findings]
    return loaded.plugin


def write_case(plugin_dir: Path, name: str, document: dict) -> Path:
    path = plugin_dir / "tests" / f"{name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder of outputs as a run leaves them: a PNG, a two-page PDF, an SVG, a workbook."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt
    from matplotlib.backends.backend_pdf import PdfPages

    folder = tmp_path_factory.mktemp("outputs")
    image = Image.new("RGB", (300, 200), "white")
    ImageDraw.Draw(image).rectangle([50, 50, 150, 150], fill="red")
    image.save(folder / "probe.png")
    with matplotlib.rc_context({"pdf.fonttype": 42}), PdfPages(folder / "probe.pdf") as pdf:
        for text in ("TP53 up", "MYC down"):
            figure = plt.figure(figsize=(3, 2))
            figure.text(0.2, 0.5, text)
            pdf.savefig(figure)
            plt.close(figure)
    (folder / "probe.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg"><g><text x="1" y="2">log<tspan>FC</tspan></text></g></svg>',
        encoding="utf-8")
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "significant"
    sheet.append(["gene", "logFC", "p"])
    for i in range(12):
        sheet.append([f"G{i}", i * 0.5, 0.01])
    workbook.save(folder / "probe.xlsx")
    return folder


def synthetic_case(plugin: Plugin, expect: dict, name: str = "synthetic") -> Case:
    document = {"name": name, "use_example": True, "expect": expect}
    return read_case(plugin, write_case(plugin.path, name, document))


def succeeded(folder: Path) -> RunResult:
    return RunResult(Reason.SUCCEEDED, output_dir=folder)


# ---------------------------------------------------------------------------- case files (fast)


def test_broken_case_files_are_errors_that_name_the_problem(tmp_path):
    plugin = factory_plugin(tmp_path)
    (plugin.path / "tests").mkdir()
    (plugin.path / "tests" / "a-not-json.json").write_text("{nope", encoding="utf-8")
    write_case(plugin.path, "b-bad-keys", {"use_example": True, "colour": 1,
                                           "expect": {"png": {"width": "wide"}, "gif": {}}})
    write_case(plugin.path, "c-outside", {"tables": {"datTable": "../data.json"}, "expect": {}})
    write_case(plugin.path, "d-no-input", {"expect": {"files": ["probe.pdf"]}})
    write_case(plugin.path, "e-fails-and-files", {"use_example": True,
                                                  "expect": {"fails": {"reason": "nope"}, "files": ["x"]}})
    problems = {case.name: case.problem for case in load_cases(plugin)}
    assert problems["a-not-json"].startswith("tests/a-not-json.json is not valid JSON: Expecting property name")
    assert "unknown key 'colour'" in problems["b-bad-keys"]
    assert "expect.png: width must be a whole number of pixels (got 'wide')" in problems["b-bad-keys"]
    assert "expect: unknown key 'gif'" in problems["b-bad-keys"]
    assert "tables.datTable: '../data.json' is outside the plugin's tests/ folder" in problems["c-outside"]
    assert "the case gives no input" in problems["d-no-input"]
    assert "reason 'nope' is not one of invalid_input" in problems["e-fails-and-files"]
    assert "cannot also expect outputs" in problems["e-fails-and-files"]


def test_without_case_files_each_example_must_give_every_export_kind(tmp_path):
    plugin = factory_plugin(tmp_path, export_types=["pdf", "jpg", "svg"])
    cases = load_cases(plugin)
    assert [(c.name, c.use_example, c.expect) for c in cases] == [("example", 0, {"kinds": ["pdf", "jpeg", "svg"]})]


def test_the_scaffold_case_file_is_valid(tmp_path):
    loaded = load_plugin(create_plugin(tmp_path, "demo", "fresh", "python"))
    assert loaded.plugin is not None
    (case,) = load_cases(loaded.plugin)
    assert case.problem == ""
    assert case.expect["png"] == {"width": 1500, "height": 1200}


def test_cli_reports_errors_and_runs_only_the_chosen_case(tmp_path):
    plugin = factory_plugin(tmp_path, extra={"cutoff": 0.5},
                            extra_ui={"cutoff": {"type": "slider", "min": 0, "max": 1, "step": 0.1}})
    write_case(plugin.path, "broken", {"use_example": True, "expect": {"pdf": {"pages": 0}}})
    # A request the schema refuses never starts a process: these cases cost no R.
    write_case(plugin.path, "too-big", {"use_example": True, "params": {"extra": {"cutoff": 5}},
                                        "expect": {"fails": {"reason": "invalid_input", "message_contains": "cutoff"}}})
    write_case(plugin.path, "wrong-reason", {"use_example": True, "params": {"extra": {"cutoff": 5}},
                                             "expect": {"fails": {"reason": "plugin_error"}}})
    result = invoke("plugin", "test", "--no-warm", plugin.path, "--junit", tmp_path / "junit.xml")
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[0] == ("ERROR test/probe broken: tests/broken.json: expect.pdf: pages must be a positive whole "
                        "number (got 0)")
    assert lines[1].startswith("PASS test/probe too-big (")
    assert lines[2].startswith("FAIL test/probe wrong-reason: the run failed with invalid_input (Please check the "
                               "input:")
    assert lines[2].endswith("expected plugin_error")
    assert lines[3].startswith("3 cases in 1 plugin: 1 passed, 1 failed, 1 could not run")

    chosen = invoke("plugin", "test", "--no-warm", plugin.path, "--case", "too-*")
    assert chosen.exit_code == 0, chosen.output
    assert "1 case in 1 plugin: 1 passed" in chosen.output
    missing = invoke("plugin", "test", "--no-warm", plugin.path, "--case", "nothing")
    assert missing.exit_code == 1 and "no case matches nothing" in missing.output


def test_a_case_table_file_is_sent_with_the_request(tmp_path):
    plugin = factory_plugin(tmp_path)
    (plugin.path / "tests").mkdir()
    (plugin.path / "tests" / "mine.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    # The column choice names a column that mine.csv lacks: refused before any process starts, with
    # a message that lists mine.csv's columns, which proves the file was read and sent.
    write_case(plugin.path, "own-table", {
        "tables": {"datTable": "mine.csv"},
        "params": {"dataArg": {"datTable": [{"value": "a"}, {"value": "nope"}]}},
        "expect": {"fails": {"reason": "invalid_input", "message_contains": "(its columns: a, b)"}},
    })
    result = invoke("plugin", "test", "--no-warm", plugin.path)
    assert result.exit_code == 0, result.output


def test_a_module_folder_is_accepted_as_a_path(tmp_path):
    plugin = factory_plugin(tmp_path)
    write_case(plugin.path, "refused", {"use_example": 7, "expect": {"fails": {"reason": "invalid_input"}}})
    result = invoke("plugin", "test", "--no-warm", plugin.path.parent)
    assert result.exit_code == 0, result.output
    assert "PASS test/probe refused" in result.output


# ---------------------------------------------------------------------------- expectations (fast)


def test_expectations_that_hold_give_no_failure(tmp_path, outputs):
    plugin = factory_plugin(tmp_path)
    shutil.copy(outputs / "probe.png", tmp_path / "expected.png")
    (plugin.path / "tests").mkdir()
    shutil.copy(outputs / "probe.png", plugin.path / "tests" / "same.png")
    case = synthetic_case(plugin, {
        "files": ["probe.pdf", "probe.png"], "kinds": ["pdf", "png", "svg", "xlsx"],
        "png": {"width": 300, "height": 200},
        "pdf": {"pages": 2, "text": ["TP53", "MYC down"]},
        "svg": {"text": ["logFC"]},
        "xlsx": {"sheets": {"significant": {"rows": 12, "columns": ["gene", "logFC", "p"]}}},
        "image": {"file": "probe.png", "expected": "same.png", "tolerance": 0},
    })
    assert case.problem == ""
    assert check(case, succeeded(outputs)) == []


def test_each_unmet_expectation_is_one_precise_sentence(tmp_path, outputs):
    plugin = factory_plugin(tmp_path)
    case = synthetic_case(plugin, {
        "files": ["probe.pdf", "probe.jpeg"],
        "png": {"width": 1200, "height": 900},
        "pdf": {"pages": 1, "text": ["TP53", "BRCA1"]},
        "svg": {"text": ["pvalue"]},
        "xlsx": {"sheets": {"significant": {"rows": 10, "columns": 4}, "other": {}}},
    })
    produced = "probe.pdf, probe.png, probe.svg, probe.xlsx"
    assert check(case, succeeded(outputs)) == [
        f"probe.jpeg was not produced (produced: {produced})",
        "probe.png is 300x200, expected 1200x900",
        "probe.pdf has 2 pages, expected 1",
        "probe.pdf does not contain the text 'BRCA1'",
        "probe.svg has no text 'pvalue' (in <text> elements)",
        "probe.xlsx sheet 'significant' has 12 data rows, expected 10",
        "probe.xlsx sheet 'significant' has 3 columns, expected 4",
        "probe.xlsx has no sheet 'other' (sheets: significant)",
    ]


def test_only_width_is_checked_when_only_width_is_given(tmp_path, outputs):
    case = synthetic_case(factory_plugin(tmp_path), {"png": {"width": 301}})
    assert check(case, succeeded(outputs)) == ["probe.png is 300 pixels wide, expected 301"]


def test_image_comparison_fails_on_changed_pixels_and_on_any_size_difference(tmp_path, outputs):
    plugin = factory_plugin(tmp_path)
    expected = plugin.path / "tests" / "expected"
    expected.mkdir(parents=True)
    with Image.open(outputs / "probe.png") as original:
        changed = original.copy()
    ImageDraw.Draw(changed).rectangle([0, 0, 299, 99], fill="black")
    changed.save(expected / "changed.png")
    Image.new("RGB", (301, 200), "white").save(expected / "wider.png")
    case = synthetic_case(plugin, {"image": [
        {"expected": "expected/changed.png", "tolerance": 0.02},
        {"expected": "expected/wider.png"},
        {"expected": "expected/missing.png"},
    ]})
    failures = check(case, succeeded(outputs))
    assert len(failures) == 3
    assert failures[0].startswith("probe.png differs from tests/expected/changed.png by ")
    assert failures[0].endswith("(tolerance 2.00%); run with --update if the change is intended")
    assert failures[1] == "probe.png is 300x200, but the expected image wider.png is 301x200"
    assert failures[2] == ("tests/expected/missing.png does not exist; run with --update to save this run's "
                           "probe.png there")


def test_update_rewrites_snapshots_but_never_intentions(tmp_path, outputs):
    plugin = factory_plugin(tmp_path)
    case = synthetic_case(plugin, {
        "png": {"width": 1200, "height": 900},
        "pdf": {"pages": 1, "text": ["BRCA1"]},
        "xlsx": {"sheets": {"significant": {"rows": 3}}},
        "image": {"expected": "expected/probe.png"},
    })
    changes = update_snapshots(case, succeeded(outputs))
    assert changes == [
        "png size of probe.png -> 300x200",
        "pages of probe.pdf -> 2",
        "rows of sheet 'significant' -> 12",
        "tests/expected/probe.png <- probe.png",
    ]
    rewritten = json.loads(case.file.read_text(encoding="utf-8"))["expect"]
    assert rewritten["png"] == {"width": 300, "height": 200}
    assert rewritten["pdf"] == {"pages": 2, "text": ["BRCA1"]}
    assert (plugin.path / "tests" / "expected" / "probe.png").is_file()
    # The text is the author's intention: still unmet, and the only failure left.
    assert check(read_case(plugin, case.file), succeeded(outputs)) == ["probe.pdf does not contain the text 'BRCA1'"]
    assert update_snapshots(read_case(plugin, case.file), succeeded(outputs)) == []


def test_an_unexpected_failure_and_an_unexpected_success_are_explained(tmp_path, outputs):
    plugin = factory_plugin(tmp_path)
    plain = synthetic_case(plugin, {"kinds": ["pdf"]}, name="plain")
    failed = RunResult(Reason.PLUGIN_ERROR, "The plot failed: object 'x' not found")
    assert check(plain, failed) == ["the run failed (plugin_error): The plot failed: object 'x' not found"]
    expects_failure = synthetic_case(plugin, {"fails": {"reason": "plugin_error", "message_contains": "not found"}},
                                     name="fails")
    assert check(expects_failure, failed) == []
    assert check(expects_failure, succeeded(outputs)) == [
        "the run succeeded, but the case expects it to fail with plugin_error"]


def test_junit_xml_has_one_suite_per_plugin_and_the_failure_text():
    results = [
        CaseResult("basic/volcano", "example", Status.PASS, duration_s=1.25),
        CaseResult("basic/volcano", "small", Status.FAIL, ["volcano.png is 1800x1500, expected 1200x900"],
                   duration_s=2.0, log_tail=["a log line"]),
        CaseResult("basic/heatmap", "load", Status.ERROR, ["does not load"]),
        CaseResult("mini-tools/app", "-", Status.SKIP, ["a catalogue entry only"]),
    ]
    root = ET.fromstring(ET.tostring(junit_tree(results).getroot()))
    assert root.tag == "testsuites"
    assert (root.get("tests"), root.get("failures"), root.get("errors"), root.get("skipped")) == ("4", "1", "1", "1")
    suites = {s.get("name"): s for s in root.findall("testsuite")}
    assert list(suites) == ["basic/volcano", "basic/heatmap", "mini-tools/app"]
    volcano = suites["basic/volcano"]
    assert (volcano.get("tests"), volcano.get("failures"), volcano.get("time")) == ("2", "1", "3.250")
    failure = volcano.find("testcase[@name='small']/failure")
    assert failure.get("message") == "volcano.png is 1800x1500, expected 1200x900"
    assert "a log line" in failure.text
    assert volcano.find("testcase[@name='small']").get("classname") == "basic.volcano"
    assert suites["basic/heatmap"].find("testcase/error") is not None
    assert suites["mini-tools/app"].find("testcase/skipped") is not None


# ---------------------------------------------------------------------------- real runs (slow)


@pytest.mark.slow
def test_broken_expectations_fail_precisely_then_pass_after_update(tmp_path, mpl_config_dir):
    folder = create_plugin(tmp_path / "plugins", "demo", "probe", "python")
    case_file = folder / "tests" / "case-example.json"
    case = json.loads(case_file.read_text(encoding="utf-8"))
    case["expect"]["png"]["width"] = 1200
    case["expect"]["pdf"]["text"].append("TP53")
    case["expect"]["image"] = {"file": "probe.png", "expected": "expected/probe.png", "tolerance": 0.01}
    case_file.write_text(json.dumps(case, indent=2), encoding="utf-8")
    junit = tmp_path / "report" / "junit.xml"

    first = invoke("plugin", "test", "--no-warm", folder, "--junit", junit)
    assert first.exit_code == 1
    assert "FAIL demo/probe example: probe.png is 1500x1200, expected 1200x1200\n" in first.output
    assert "     probe.pdf does not contain the text 'TP53'\n" in first.output
    assert "     tests/expected/probe.png does not exist; run with --update" in first.output
    assert "1 case in 1 plugin: 0 passed, 1 failed" in first.output
    suite = ET.parse(junit).getroot().find("testsuite")
    assert (suite.get("name"), suite.get("tests"), suite.get("failures")) == ("demo/probe", "1", "1")
    assert suite.find("testcase/failure").get("message").startswith("probe.png is 1500x1200, expected 1200x1200; ")

    # A missing text is the author's to fix; the size and the picture are snapshots --update refreshes.
    case["expect"]["pdf"]["text"].remove("TP53")
    case_file.write_text(json.dumps(case, indent=2), encoding="utf-8")
    updated = invoke("plugin", "test", "--no-warm", folder, "--update")
    assert updated.exit_code == 0, updated.output
    assert "PASS demo/probe example (" in updated.output
    assert "     updated: png size of probe.png -> 1500x1200" in updated.output
    assert "     updated: tests/expected/probe.png <- probe.png" in updated.output
    assert json.loads(case_file.read_text(encoding="utf-8"))["expect"]["png"]["width"] == 1500

    again = invoke("plugin", "test", "--no-warm", folder)
    assert again.exit_code == 0, again.output

    expected = folder / "tests" / "expected" / "probe.png"
    with Image.open(expected) as image:
        changed = image.convert("RGB")
    ImageDraw.Draw(changed).rectangle([0, 0, 1499, 400], fill="black")
    changed.save(expected)
    drifted = invoke("plugin", "test", "--no-warm", folder)
    assert drifted.exit_code == 1
    assert "FAIL demo/probe example: probe.png differs from tests/expected/probe.png by " in drifted.output
    assert invoke("plugin", "test", "--no-warm", folder, "--update").exit_code == 0


@pytest.mark.slow
def test_an_example_missing_a_requested_kind_fails(tmp_path, mpl_config_dir):
    script = ("import matplotlib.pyplot as plt\n\n\ndef main(ctx):\n    fig, ax = plt.subplots()\n"
              "    fig.savefig(str(ctx.output_prefix) + '.png')\n")
    folder = make_plugin(tmp_path / "plugins", script, language="python", export_types=["pdf", "png"])
    result = invoke("plugin", "test", "--no-warm", folder)
    assert result.exit_code == 1
    assert "FAIL test/probe example: no pdf output was produced (produced: probe.png)" in result.output


@pytest.mark.slow
def test_warm_session_runs_r_and_python_plugins_in_one_process(tmp_path, r_library, mpl_config_dir):
    root = tmp_path / "plugins"
    create_plugin(root, "demo", "r-box", "r")
    create_plugin(root, "demo", "py-box", "python")
    done = run_cli("plugin", "test", root, "--junit", tmp_path / "junit.xml")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "warm executor unavailable" not in done.stderr
    assert "PASS demo/py-box example (" in done.stdout and "PASS demo/r-box example (" in done.stdout
    assert ET.parse(tmp_path / "junit.xml").getroot().get("tests") == "2"
