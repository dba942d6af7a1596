"""`plotforge plugin preview PATH`: the plugin's card and form, redrawn as its author saves.

The browser test starts the command as an author would, on a copy of the bundled bar plot,
and edits the copy's files on disk while the page is open. The quick tests check the
preview's own routes with TestClient, and the command's refusal of a folder that is not a
plugin.
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from playwright.sync_api import expect

from plugin_sdk.loader import BUNDLED_PLUGINS
from tests.browser.conftest import LAPTOP, PLOTFORGE, PageProblems, _free_port, running_command
from tests.browser.helpers import field

BARPLOT = BUNDLED_PLUGINS / "basic" / "barplot"
# Long enough for a slow machine; the preview itself redraws within a second of a save.
REDRAW_MS = 8_000


@pytest.fixture
def barplot_copy(tmp_path: Path) -> Path:
    """A copy of the bundled bar plot in a plugins root of its own, free to edit."""
    copy = tmp_path / "plugins" / "basic" / "barplot"
    shutil.copytree(BARPLOT, copy)
    return copy


def _edit_json(path: Path, change: Any) -> None:
    document = json.loads(path.read_text(encoding="utf-8"))
    change(document)
    path.write_text(json.dumps(document, ensure_ascii=False, indent=2), encoding="utf-8")


def _wait_for_status(client: TestClient, ok: bool, after_version: int) -> dict[str, Any]:
    """The status once the watcher has read a change (a newer version) and the plugin is `ok`."""
    deadline = time.monotonic() + 20
    while True:
        status = client.get("/api/preview/status").json()
        if status["version"] > after_version and status["ok"] is ok:
            return status
        if time.monotonic() > deadline:
            pytest.fail(f"the preview did not see the change within 20 s: {status}")
        time.sleep(0.05)


# -- the routes (quick) -------------------------------------------------------------------------


def test_status_shows_the_lint_findings_of_a_broken_plugin_and_its_recovery(barplot_copy: Path,
                                                                             tmp_path: Path) -> None:
    from server.preview import create_preview_app

    app = create_preview_app(barplot_copy, tmp_path / "var")
    with TestClient(app) as client:
        status = client.get("/api/preview/status").json()
        assert status["ok"] is True
        assert status["key"] == "basic/barplot"
        assert status["path"] == str(barplot_copy.resolve())
        assert status["card"]["name"] == "Bar Plot with Error Bars"
        assert [f for f in status["findings"] if f["severity"] == "error"] == []
        # The preview serves its plugin (the copy), and nothing else.
        assert client.get("/api/health").json()["plugins"] == 1
        assert client.get("/api/plugins/basic/barplot").status_code == 200

        ui_text = (barplot_copy / "ui.json").read_text(encoding="utf-8")
        (barplot_copy / "ui.json").write_text("{ not json", encoding="utf-8")
        broken = _wait_for_status(client, ok=False, after_version=status["version"])
        finding = next(f for f in broken["findings"] if f["file"] == "ui.json")
        assert finding["severity"] == "error"
        assert "not valid JSON" in finding["message"]
        assert broken["card"] is None
        # The regular routes know only plugins that load: the status is how the page learns why.
        assert client.get("/api/plugins/basic/barplot").status_code == 404

        (barplot_copy / "ui.json").write_text(ui_text, encoding="utf-8")
        fixed = _wait_for_status(client, ok=True, after_version=broken["version"])
        assert fixed["card"]["key"] == "basic/barplot"
        assert client.get("/api/plugins/basic/barplot").status_code == 200


def test_a_bad_widget_type_is_a_finding_with_its_pointer(barplot_copy: Path, tmp_path: Path) -> None:
    from server.preview import create_preview_app

    _edit_json(barplot_copy / "ui.json", lambda ui: ui["extra"]["error"].update(type="no-such-widget"))
    with TestClient(create_preview_app(barplot_copy, tmp_path / "var")) as client:
        status = client.get("/api/preview/status").json()
    assert status["ok"] is False
    assert any(f["file"] == "ui.json" and f["pointer"].startswith("/extra/error") and f["severity"] == "error"
               for f in status["findings"]), status["findings"]


def test_the_preview_page_is_the_tool_page_with_the_preview_on_top(barplot_copy: Path, tmp_path: Path) -> None:
    from server.preview import create_preview_app

    with TestClient(create_preview_app(barplot_copy, tmp_path / "var")) as client:
        start = client.get("/preview", follow_redirects=False)
        assert start.status_code == 307
        assert start.headers["location"] == "/preview/basic/barplot?example=1"
        page = client.get(start.headers["location"])
        assert page.status_code == 200
        assert '<script type="module" src="/static/js/tool.js">' in page.text
        assert '<script type="module" src="/static/js/preview.js">' in page.text
        assert "script-src 'self'" in page.headers["content-security-policy"]
        assert client.get("/preview/basic/volcano").status_code == 404
        for asset in ("/static/js/preview.js", "/static/css/preview.css", "/static/js/plugin-card.js"):
            assert client.get(asset).status_code == 200, asset


@pytest.mark.slow
def test_run_runs_the_previewed_copy_not_the_bundled_plot(barplot_copy: Path, tmp_path: Path,
                                                          r_library: Path) -> None:
    from server.preview import create_preview_app

    script = barplot_copy / "plot.R"
    script.write_text('message("drawn by the previewed copy")\n' + script.read_text(encoding="utf-8"),
                      encoding="utf-8")
    app = create_preview_app(barplot_copy, tmp_path / "var")
    with TestClient(app) as client:
        submitted = client.post("/api/jobs", json={"plugin": "basic/barplot", "request": {"use_example": True}})
        assert submitted.status_code == 202, submitted.text
        job_id = submitted.json()["id"]
        deadline = time.monotonic() + 180
        while (job := client.get(f"/api/jobs/{job_id}").json())["state"] not in ("succeeded", "failed", "cancelled"):
            if time.monotonic() > deadline:
                pytest.fail(f"the job did not end within 180 s: {job}")
            time.sleep(0.2)
        lines = [entry.line for entry in app.state.jobs.logs(job_id)]
    assert job["state"] == "succeeded", (job["message"], lines)
    assert {output["name"] for output in job["outputs"]} >= {"barplot.pdf", "barplot.png"}
    assert any("drawn by the previewed copy" in line for line in lines), lines


def test_the_command_refuses_a_folder_that_is_not_a_plugin(tmp_path: Path) -> None:
    import plugin_sdk.cli
    from plugin_sdk.cli import cli

    plugin_sdk.cli._register_commands()
    runner = CliRunner()
    empty = runner.invoke(cli, ["plugin", "preview", str(tmp_path)])
    assert empty.exit_code == 2
    assert "not a plugin folder" in empty.output
    missing = runner.invoke(cli, ["plugin", "preview", str(tmp_path / "nowhere")])
    assert missing.exit_code == 2
    assert "no such folder" in missing.output
    plugins_root = runner.invoke(cli, ["plugin", "preview", str(BUNDLED_PLUGINS)])
    assert plugins_root.exit_code == 2
    assert "is a folder of plugins" in plugins_root.output
    assert "basic/barplot" in plugins_root.output


# -- in the browser (slow) ----------------------------------------------------------------------


@contextmanager
def running_preview(plugin: Path, log_dir: Path) -> Iterator[str]:
    """`plotforge plugin preview` on a free port; yields the server's address."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    log_path = log_dir / "preview.log"
    argv = [PLOTFORGE, "plugin", "preview", str(plugin), "--port", str(port), "--no-open"]
    with running_command(argv, f"{url}/api/preview/status", log_path, 60):
        assert f"Open {url}/preview" in log_path.read_text()
        yield url


@pytest.fixture
def preview_page(browser: Any, barplot_copy: Path, tmp_path: Path) -> Iterator[Any]:
    with running_preview(barplot_copy, tmp_path) as url:
        problems = PageProblems(url)
        context = browser.new_context(viewport=LAPTOP, base_url=url)
        context.set_default_timeout(20_000)
        page = context.new_page()
        page.on("pageerror", lambda error: problems.errors.append(str(error)))
        page.on("console", lambda message: print(f"[console.{message.type}] {message.text}"))
        page.on("request", problems.on_request)
        yield page
        context.close()
    assert not problems.errors, f"script errors on the page: {problems.errors}"
    assert not problems.foreign, f"the page reached outside the server: {problems.foreign}"


@pytest.mark.browser
@pytest.mark.slow
def test_the_form_follows_the_files_as_the_author_saves(preview_page: Any, barplot_copy: Path, shot: Any) -> None:
    page = preview_page
    page.goto("/preview")

    # The catalogue card above the tool page, and the form with the example loaded.
    card = page.locator(".preview .plugin-card")
    expect(card.locator(".plugin-name")).to_have_text("Bar Plot with Error Bars")
    expect(page.locator(".tool-title")).to_have_text("Bar Plot with Error Bars")
    expect(page.locator(".table-size")).to_contain_text("rows")
    error_field = field(page, "/params/extra/error")
    expect(error_field.locator(".field-label")).to_contain_text("Error bars")
    expect(page.locator(".preview-findings")).to_be_hidden()
    rows_with_example = page.locator(".table-size").inner_text()
    # What the user typed must survive the redraw.
    field(page, "/params/extra/y_label").locator("input").fill("Mean expression")
    shot(page, "preview-open")

    # The author adds a widget (with its default) and renames a label: the form follows.
    _edit_json(barplot_copy / "data.json", lambda data: data["params"]["config"]["extra"].update(point_size=2))

    def add_widget(ui: dict) -> None:
        ui["extra"]["error"]["label"] = {"en": "Error bar kind", "zh_cn": "误差棒类型"}
        ui["extra"]["point_size"] = {"type": "slider", "label": {"en": "Point size", "zh_cn": "点大小"},
                                     "min": 0.5, "max": 5, "step": 0.5, "class": "col-12 col-md-6"}

    _edit_json(barplot_copy / "ui.json", add_widget)
    new_field = field(page, "/params/extra/point_size")
    expect(new_field.locator(".field-label")).to_contain_text("Point size", timeout=REDRAW_MS)
    expect(error_field.locator(".field-label")).to_contain_text("Error bar kind", timeout=REDRAW_MS)
    expect(field(page, "/params/extra/y_label").locator("input")).to_have_value("Mean expression")
    expect(page.locator(".table-size")).to_have_text(rows_with_example)
    shot(page, "preview-widget-added")

    # A broken ui.json: its finding on the page instead of the form...
    good_ui = (barplot_copy / "ui.json").read_text(encoding="utf-8")
    (barplot_copy / "ui.json").write_text('{"extra": {', encoding="utf-8")
    findings = page.locator(".preview-findings")
    expect(findings).to_be_visible(timeout=REDRAW_MS)
    finding = findings.locator('.finding[data-file="ui.json"]')
    expect(finding.locator(".finding-where")).to_contain_text("ui.json")
    expect(finding.locator(".finding-message")).to_contain_text("not valid JSON")
    expect(findings.locator(".preview-headline")).to_contain_text("does not load")
    expect(page.locator("#tool")).to_be_hidden()
    shot(page, "preview-broken")

    # ...and the form again once it is fixed, with what the user entered.
    (barplot_copy / "ui.json").write_text(good_ui, encoding="utf-8")
    expect(page.locator("#tool")).to_be_visible(timeout=REDRAW_MS)
    expect(findings).to_be_hidden()
    expect(new_field.locator(".field-label")).to_contain_text("Point size")
    expect(field(page, "/params/extra/y_label").locator("input")).to_have_value("Mean expression")
