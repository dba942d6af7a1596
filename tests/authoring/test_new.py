"""`plotforge plugin new`: a plugin that lints clean, runs and passes its own test at once."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PIL import Image

from plugin_sdk.scaffold import EXAMPLE_FILE, create_plugin
from tests.authoring.helpers import invoke

LANGUAGES = {"r": "plot.R", "python": "plot.py"}


@pytest.fixture(scope="module")
def plugins_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("plugins")
    for language, tool in (("r", "my-box"), ("python", "py_box")):
        result = invoke("plugin", "new", f"demo/{tool}", "--lang", language, "--dir", root)
        assert result.exit_code == 0, result.output
    return root


@pytest.mark.parametrize(("tool", "script"), [("my-box", "plot.R"), ("py_box", "plot.py")])
def test_new_writes_the_whole_folder(plugins_root, tool, script):
    folder = plugins_root / "demo" / tool
    files = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}
    assert files == {"meta.json", "data.json", "ui.json", script, EXAMPLE_FILE, "README.md", "README-zh_cn.md",
                     "tests/case-example.json"}
    data = json.loads((folder / "data.json").read_text(encoding="utf-8"))
    assert (data["module"], data["tool"]) == ("demo", tool)
    assert data["exampleData"]["textarea"]["datTable"] == (folder / EXAMPLE_FILE).read_text(encoding="utf-8")
    meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    assert meta["href"] == f"/demo/{tool}"


def test_new_plugins_lint_clean_with_strict(plugins_root):
    result = invoke("plugin", "lint", "--strict", plugins_root)
    assert result.exit_code == 0, result.output
    assert "0 errors, 0 warnings" in result.output


def test_the_r_script_is_written_the_recommended_way(plugins_root):
    script = (plugins_root / "demo" / "my-box" / "plot.R").read_text(encoding="utf-8")
    assert "pacman::p_load(pkgs, character.only = TRUE)" in script
    assert "conf$dataArg[[1]][[1]]$value" in script and ".data$group" in script
    assert "export_single(p)" in script
    assert "aes_string" not in script and "parse(" not in script


def test_new_refuses_an_existing_folder(plugins_root):
    before = (plugins_root / "demo" / "my-box" / "plot.R").read_text(encoding="utf-8")
    result = invoke("plugin", "new", "demo/my-box", "--dir", plugins_root)
    assert result.exit_code == 1
    assert "already exists" in result.output
    assert (plugins_root / "demo" / "my-box" / "plot.R").read_text(encoding="utf-8") == before


@pytest.mark.parametrize(("key", "message"), [
    ("Basic/volcano", "module name 'Basic' is not allowed"),
    ("basic/my plot", "tool name 'my plot' is not allowed"),
    ("basic/-x", "tool name '-x' is not allowed"),
    ("volcano", "give the plugin as <module>/<tool>"),
    ("a/b/c", "give the plugin as <module>/<tool>"),
])
def test_new_refuses_bad_names_with_a_clear_message(tmp_path, key, message):
    result = invoke("plugin", "new", key, "--dir", tmp_path)
    assert result.exit_code == 1
    assert message in result.output
    assert list(tmp_path.iterdir()) == []


def test_the_example_case_expects_what_the_example_makes(tmp_path):
    folder = create_plugin(tmp_path, "demo", "sized", "r")
    case = json.loads((folder / "tests" / "case-example.json").read_text(encoding="utf-8"))
    data = json.loads((folder / "data.json").read_text(encoding="utf-8"))
    size = data["params"]["config"]["general"]["size"]
    assert case["expect"]["png"] == {"width": size["width"] * 300, "height": size["height"] * 300}
    assert case["expect"]["files"] == ["sized.pdf", "sized.png"]
    assert case["use_example"] is True


@pytest.mark.slow
@pytest.mark.parametrize("tool", ["my-box", "py_box"])
def test_new_plugin_runs_with_its_example_and_passes_its_test(plugins_root, tmp_path, r_library, mpl_config_dir, tool):
    folder = plugins_root / "demo" / tool
    out = tmp_path / "out"
    ran = invoke("run", folder, "--example", "--out", out)
    assert ran.exit_code == 0, ran.output
    for suffix in ("pdf", "png"):
        assert (out / f"{tool}.{suffix}").stat().st_size > 1000
    with Image.open(out / f"{tool}.png") as png:
        assert png.size == (1500, 1200)

    tested = invoke("plugin", "test", "--no-warm", folder)
    assert tested.exit_code == 0, tested.output
    assert f"PASS demo/{tool} example (" in tested.output
    assert "1 case in 1 plugin: 1 passed" in tested.output
