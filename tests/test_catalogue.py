"""The catalogue: loading plugin folders, cards in two languages, search, and `plotforge plugins`."""

from __future__ import annotations

import copy
import importlib
import json
import os
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from plugin_sdk import catalogue as catalogue_module
from plugin_sdk.catalogue import PLUGIN_DIRS_ENV, Card, Catalogue, plugin_roots
from plugin_sdk.cli import cli
from plugin_sdk.loader import BUNDLED_PLUGINS

PLOT_R = """\
pkgs <- c("ggplot2")
pacman::p_load(pkgs, character.only = TRUE)

x_col <- conf$dataArg[[1]][[1]]$value
y_col <- conf$dataArg[[1]][[2]]$value
p <- ggplot(data, aes(x = .data[[x_col]], y = .data[[y_col]])) +
  geom_point(size = as.numeric(conf$extra$point_size))
export_single(p)
"""

PLOT_PY = """\
import matplotlib.pyplot as plt


def plot(tables, conf, export):
    data = tables[0]
    x_col = conf["dataArg"]["datTable"][0]["value"]
    y_col = conf["dataArg"]["datTable"][1]["value"]
    fig, ax = plt.subplots()
    ax.scatter(data[x_col], data[y_col], s=float(conf["extra"]["point_size"]) * 10)
    export(fig)
"""


def _documents(module: str, tool: str, name: dict, intro: dict, tags: list[str]) -> dict[str, Any]:
    """meta.json, data.json and ui.json of a small scatter plugin that holds to the spec strictly."""
    meta = {
        "name": name,
        "intro": intro,
        "href": f"/{module}/{tool}",
        "tag": tags,
        "meta": {
            "score": 4,
            "author": "PlotForge Team",
            "email": "team@example.org",
            "citation": "Wickham H. ggplot2. Springer, 2016.",
            "version": "v1.0.0",
            "releaseDate": "2024-05-01",
            "updateDate": "2024-06-01",
        },
    }
    data = {
        "module": module,
        "tool": tool,
        "params": {
            "textarea": {"datTable": ""},
            "config": {
                "data": {"datTable": {"value": "", "link": ""}},
                "dataArg": {"datTable": [{"value": ""}, {"value": ""}]},
                "general": {
                    "imageExportType": ["pdf", "png"],
                    "size": {"width": 5, "height": 4},
                    "font": "Arial",
                    "title": "",
                    "theme": "theme_bw",
                    "palette": "default",
                },
                "extra": {"point_size": 2},
            },
        },
        "exampleData": {
            "config": {"dataArg": {"datTable": [{"value": "dose"}, {"value": "response"}]}},
            "textarea": {"datTable": "dose\tresponse\n1\t2.1\n2\t3.9\n3\t6.2\n4\t8.1\n"},
        },
    }
    ui = {
        "data": {
            "datTable": {"type": "hiplot-textarea", "required": True, "label": "messages.common.dataTable"}
        },
        "dataArg": {
            "datTable": [
                {"label": {"en": "X column", "zh_cn": "X 列"}, "required": True},
                {"label": {"en": "Y column", "zh_cn": "Y 列"}, "required": True},
            ]
        },
        "extra": {
            "point_size": {
                "type": "slider",
                "label": "messages.basic.common.pointSize",
                "min": 0.5,
                "max": 6,
                "step": 0.5,
            }
        },
        "general": {},
    }
    return {"meta.json": meta, "data.json": data, "ui.json": ui}


def write_plugin(
    root: Path,
    module: str,
    tool: str,
    name: dict[str, str],
    intro: dict[str, str],
    tags: list[str],
    script: tuple[str, str] | None = ("plot.R", PLOT_R),
    meta_extra: dict[str, Any] | None = None,
) -> Path:
    folder = root / module / tool
    folder.mkdir(parents=True)
    documents = copy.deepcopy(_documents(module, tool, name, intro, tags))
    documents["meta.json"].update(meta_extra or {})
    for file_name, value in documents.items():
        (folder / file_name).write_text(json.dumps(value, ensure_ascii=False, indent=2), encoding="utf-8")
    if script is not None:
        (folder / script[0]).write_text(script[1], encoding="utf-8")
    return folder


@pytest.fixture
def plugin_root(tmp_path: Path) -> Path:
    root = tmp_path / "plugins"
    write_plugin(
        root, "basic", "scatter",
        {"en": "Scatter Plot", "zh_cn": "散点图"},
        {"en": "Two numeric columns as points.", "zh_cn": "用点展示两个数值列的关系。"},
        ["vue", "correlation"],
        meta_extra={"alias": ["XY plot", "dot chart"]},
    )
    write_plugin(
        root, "basic", "volcano",
        {"en": "Volcano Plot", "zh_cn": "火山图"},
        {"en": "Fold change against significance for every gene.", "zh_cn": "展示每个基因的倍数变化与显著性。"},
        ["vue", "expression", "difference"],
        meta_extra={"src": "cover.png"},
    )
    (root / "basic" / "volcano" / "cover.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    write_plugin(
        root, "advance", "expression-scatter",
        {"en": "Expression Scatter", "zh_cn": "表达散点图"},
        {"en": "Expression of two genes across samples.", "zh_cn": "两个基因在样本间的表达。"},
        ["vue", "expression", "correlation"],
        script=("plot.py", PLOT_PY),
        meta_extra={"src": "https://example.org/cover.png"},
    )
    write_plugin(
        root, "mini-tools", "shiny-app",
        {"en": "Interactive Explorer", "zh_cn": "交互式浏览器"},
        {"en": "An external Shiny app.", "zh_cn": "外部 Shiny 应用。"},
        ["shiny", "tools"],
        script=None,
    )
    broken = write_plugin(
        root, "basic", "broken",
        {"en": "Broken Plot", "zh_cn": "损坏的图"},
        {"en": "Its data.json does not parse.", "zh_cn": "data.json 无法解析。"},
        ["vue", "correlation"],
    )
    (broken / "data.json").write_text('{"module": "basic", "tool": "broken", "params": ', encoding="utf-8")
    return root


@pytest.fixture
def catalogue(plugin_root: Path) -> Catalogue:
    result = Catalogue.load([plugin_root])
    # If a validation rule written later rejects a fixture, say which finding did it.
    unexpected = {r.key: [str(f) for f in r.findings] for r in result.broken if r.key != "basic/broken"}
    assert unexpected == {}
    return result


def keys(cards: list[Card]) -> list[str]:
    return [c.key for c in cards]


# -- loading ---------------------------------------------------------------------------------


def test_good_plugins_load_and_the_broken_one_is_reported(catalogue):
    assert sorted(catalogue.plugins) == [
        "advance/expression-scatter", "basic/scatter", "basic/volcano", "mini-tools/shiny-app",
    ]
    [broken] = catalogue.broken
    assert broken.key == "basic/broken"
    assert broken.path.name == "broken"
    assert any(f.file == "data.json" and "not valid JSON" in f.message for f in broken.findings)
    assert catalogue.get("basic/broken") is None
    assert catalogue.card("basic/broken") is None


def test_get_and_card(catalogue):
    plugin = catalogue.get("basic/volcano")
    assert plugin is not None and plugin.tool == "volcano"
    assert catalogue.get("/basic/volcano") is plugin
    assert catalogue.get("basic/nothing") is None
    assert catalogue.card("basic/volcano").href == "/basic/volcano"
    assert "basic/volcano" in catalogue and len(catalogue) == 4


def test_card_fields(catalogue):
    card = catalogue.card("basic/scatter")
    assert card.module == "basic" and card.tool == "scatter"
    assert card.name == {"en": "Scatter Plot", "zh_cn": "散点图"}
    assert card.intro["zh_cn"] == "用点展示两个数值列的关系。"
    assert card.tags == ["vue", "correlation"]
    assert card.categories == ["correlation"]
    assert card.alias == ["XY plot", "dot chart"]
    assert card.author == "PlotForge Team"
    assert card.email == "team@example.org"
    assert card.version == "v1.0.0"
    assert card.release_date == "2024-05-01" and card.update_date == "2024-06-01"
    assert card.score == 4
    assert card.runnable is True and card.language == "r" and card.catalogue_only is False
    assert card.cover is None


def test_cover_file_and_cover_url(catalogue):
    volcano = catalogue.card("basic/volcano")
    assert (volcano.cover, volcano.cover_is_file) == ("cover.png", True)
    python = catalogue.card("advance/expression-scatter")
    assert (python.cover, python.cover_is_file) == ("https://example.org/cover.png", False)
    assert python.language == "python"


def test_a_cover_outside_the_plugin_folder_is_not_exposed(tmp_path):
    root = tmp_path / "plugins"
    (tmp_path / "secret.png").write_bytes(b"x")
    write_plugin(
        root, "basic", "sneaky", {"en": "Sneaky", "zh_cn": "偷看"}, {"en": "x.", "zh_cn": "x。"},
        ["vue", "tools"], meta_extra={"src": "../../../secret.png"},
    )
    card = Catalogue.load([root]).card("basic/sneaky")
    assert card is not None
    assert (card.cover, card.cover_is_file) == (None, False)


def test_shiny_entries_are_catalogue_only(catalogue):
    card = catalogue.card("mini-tools/shiny-app")
    assert card.catalogue_only is True
    assert card.runnable is False and card.language is None
    assert card.categories == ["tools"]


def test_to_dict_resolved_in_each_language(catalogue):
    card = catalogue.card("basic/volcano")
    both = card.to_dict()
    assert both["name"] == {"en": "Volcano Plot", "zh_cn": "火山图"}
    english, chinese = card.to_dict("en"), card.to_dict("zh_cn")
    assert english["name"] == "Volcano Plot" and chinese["name"] == "火山图"
    assert chinese["intro"] == "展示每个基因的倍数变化与显著性。"
    assert english["key"] == "basic/volcano" and english["tags"] == ["vue", "expression", "difference"]
    json.dumps(english, ensure_ascii=False)  # JSON-ready


def test_misspelt_chinese_keys_are_resolved(tmp_path):
    root = tmp_path / "plugins"
    write_plugin(
        root, "basic", "boxes", {"en": "Box Plot", "zh": "箱线图"},
        {"en": "Boxes by group.", "zh_ch": "按组绘制箱线图。"}, ["vue", "distribution"],
    )
    card = Catalogue.load([root]).card("basic/boxes")
    assert card is not None
    assert card.name == {"en": "Box Plot", "zh_cn": "箱线图"}
    assert card.intro == {"en": "Boxes by group.", "zh_cn": "按组绘制箱线图。"}


# -- search ----------------------------------------------------------------------------------


def test_empty_search_lists_everything_by_module_then_name(catalogue):
    assert keys(catalogue.search()) == [
        "advance/expression-scatter", "basic/scatter", "basic/volcano", "mini-tools/shiny-app",
    ]


def test_search_english_words_any_case(catalogue):
    assert keys(catalogue.search("VOLCANO")) == ["basic/volcano"]
    assert keys(catalogue.search("fold significance")) == ["basic/volcano"]
    assert keys(catalogue.search("volcano scatter")) == []  # every word must match


def test_search_chinese(catalogue):
    assert keys(catalogue.search("火山")) == ["basic/volcano"]
    assert keys(catalogue.search("散点图")) == ["basic/scatter", "advance/expression-scatter"]


def test_search_alias_tag_and_key(catalogue):
    assert keys(catalogue.search("dot chart")) == ["basic/scatter"]
    assert keys(catalogue.search("difference")) == ["basic/volcano"]
    assert keys(catalogue.search("mini-tools/")) == ["mini-tools/shiny-app"]


def test_name_matches_rank_before_other_matches(catalogue):
    # "expression" is in the name of the advance plugin but only a tag of the volcano plot.
    assert keys(catalogue.search("expression")) == ["advance/expression-scatter", "basic/volcano"]
    # "scatter": both names hold it; the exact name comes first, then module order.
    assert keys(catalogue.search("scatter plot")) == ["basic/scatter"]
    assert keys(catalogue.search("scatter")) == ["advance/expression-scatter", "basic/scatter"]


def test_ties_sort_by_name_in_the_requested_language(tmp_path):
    root = tmp_path / "plugins"
    intro = {"en": "x.", "zh_cn": "x。"}
    write_plugin(root, "basic", "a", {"en": "Zebra", "zh_cn": "一"}, intro, ["vue", "t"])
    write_plugin(root, "basic", "b", {"en": "Apple", "zh_cn": "二"}, intro, ["vue", "t"])
    cat = Catalogue.load([root])
    assert keys(cat.search(lang="en")) == ["basic/b", "basic/a"]
    assert keys(cat.search(lang="zh_cn")) == ["basic/a", "basic/b"]


def test_filter_by_tag_and_module(catalogue):
    assert keys(catalogue.search(tag="correlation")) == ["advance/expression-scatter", "basic/scatter"]
    assert keys(catalogue.search(tag="Expression")) == ["advance/expression-scatter", "basic/volcano"]
    assert keys(catalogue.search(module="basic")) == ["basic/scatter", "basic/volcano"]
    assert keys(catalogue.search("scatter", tag="correlation", module="basic")) == ["basic/scatter"]
    assert catalogue.search(tag="nonexistent") == []


def test_tags_and_modules(catalogue):
    assert catalogue.tags() == {"correlation": 2, "expression": 2, "difference": 1, "tools": 1}
    assert catalogue.modules() == ["advance", "basic", "mini-tools"]


# -- roots and reloading ---------------------------------------------------------------------


def test_plugin_roots_bundled_then_extra_then_environment(tmp_path, monkeypatch):
    extra, env_a, env_b = tmp_path / "extra", tmp_path / "env_a", tmp_path / "env_b"
    monkeypatch.setenv(PLUGIN_DIRS_ENV, os.pathsep.join([str(env_a), "", str(env_b)]))
    roots = plugin_roots([extra])
    assert roots == [BUNDLED_PLUGINS.resolve(), extra.resolve(), env_a.resolve(), env_b.resolve()]


def test_plugin_roots_without_extras(monkeypatch):
    monkeypatch.delenv(PLUGIN_DIRS_ENV, raising=False)
    assert plugin_roots() == [BUNDLED_PLUGINS.resolve()]


def test_environment_plugin_dirs_reach_the_catalogue(plugin_root, monkeypatch, no_bundled_plugins):
    monkeypatch.setenv(PLUGIN_DIRS_ENV, str(plugin_root))
    cat = Catalogue.load()
    assert cat.roots == [no_bundled_plugins.resolve(), plugin_root.resolve()]
    assert cat.card("basic/scatter").name["en"] == "Scatter Plot"


def test_the_first_root_to_define_a_key_wins(tmp_path):
    first, second = tmp_path / "first", tmp_path / "second"
    for root, title in ((first, "First"), (second, "Second")):
        write_plugin(root, "basic", "same", {"en": title, "zh_cn": title}, {"en": "x.", "zh_cn": "x。"}, ["vue", "t"])
    assert Catalogue.load([first, second]).card("basic/same").name["en"] == "First"


def test_missing_roots_give_an_empty_catalogue(tmp_path):
    cat = Catalogue.load([tmp_path / "nowhere"])
    assert cat.cards == [] and cat.broken == [] and cat.tags() == {}


def test_reload_sees_new_and_fixed_plugins(catalogue, plugin_root):
    write_plugin(
        plugin_root, "basic", "histogram", {"en": "Histogram", "zh_cn": "直方图"},
        {"en": "Counts in bins.", "zh_cn": "分箱计数。"}, ["vue", "distribution"],
    )
    broken_data = plugin_root / "basic" / "scatter" / "data.json"
    (plugin_root / "basic" / "broken" / "data.json").write_text(broken_data.read_text().replace(
        '"tool": "scatter"', '"tool": "broken"'), encoding="utf-8")
    assert catalogue.card("basic/histogram") is None
    assert catalogue.reload() is catalogue
    assert catalogue.card("basic/histogram").name["zh_cn"] == "直方图"
    assert catalogue.broken == []
    assert catalogue.card("basic/broken") is not None


# -- the command -----------------------------------------------------------------------------


@pytest.fixture
def no_bundled_plugins(tmp_path, monkeypatch):
    """Leave the bundled plugins out, so the fixtures' keys and failures are the only ones."""
    empty = tmp_path / "no-bundled-plugins"
    empty.mkdir()
    monkeypatch.setattr(catalogue_module, "BUNDLED_PLUGINS", empty)
    return empty


@pytest.fixture
def run_cli(monkeypatch, no_bundled_plugins):
    monkeypatch.delenv(PLUGIN_DIRS_ENV, raising=False)
    # Importing the command module registers `plugins` (what _register_commands does for every
    # module), without depending on the other command modules importing cleanly.
    importlib.import_module("plugin_sdk.cli.catalogue")
    runner = CliRunner()

    def invoke(*args: str):
        result = runner.invoke(cli, ["plugins", *args], catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return result.output

    return invoke


def test_plugins_command_prints_an_aligned_table_and_the_failures(run_cli, plugin_root):
    out = run_cli("--plugin-dir", str(plugin_root), "--module", "basic")
    lines = out.splitlines()
    header = lines[0]
    assert header.split() == ["KEY", "NAME", "TAGS", "RUNS"]
    scatter = next(line for line in lines if line.startswith("basic/scatter "))
    volcano = next(line for line in lines if line.startswith("basic/volcano "))
    # Columns line up: each name starts where the NAME heading does.
    assert scatter.index("Scatter Plot") == volcano.index("Volcano Plot") == header.index("NAME")
    assert "expression, difference" in volcano and volcano.rstrip().endswith("R")
    assert "advance/expression-scatter" not in out
    assert "1 plugin failed to load:" in out
    assert "basic/broken: data.json" in out and "not valid JSON" in out


def test_plugins_command_in_chinese_keeps_columns_aligned(run_cli, plugin_root):
    out = run_cli("--plugin-dir", str(plugin_root), "--lang", "zh_cn", "--tag", "expression")
    lines = [line for line in out.splitlines() if line.startswith(("advance/", "basic/volcano"))]
    assert len(lines) == 2
    assert "表达散点图" in out and "火山图" in out
    # Chinese characters are two columns wide, so the TAGS column starts at the same screen column.
    from plugin_sdk.cli.catalogue import _display_width

    starts = [_display_width(line[: line.index("expression,")]) for line in lines]
    assert starts[0] == starts[1]


def test_plugins_command_search_and_no_match(run_cli, plugin_root):
    out = run_cli("--plugin-dir", str(plugin_root), "--search", "火山")
    assert "basic/volcano" in out and "basic/scatter" not in out
    assert "No plugins match." in run_cli("--plugin-dir", str(plugin_root), "--search", "nothing-like-this")


def test_plugins_command_marks_python_and_catalogue_only(run_cli, plugin_root):
    out = run_cli("--plugin-dir", str(plugin_root))
    assert next(ln for ln in out.splitlines() if ln.startswith("advance/")).endswith("Python")
    assert next(ln for ln in out.splitlines() if ln.startswith("mini-tools/")).endswith("catalogue only")


def test_plugins_command_json(run_cli, plugin_root):
    data = json.loads(run_cli("--plugin-dir", str(plugin_root), "--format", "json", "--lang", "zh_cn"))
    by_key = {p["key"]: p for p in data["plugins"]}
    assert by_key["basic/volcano"]["name"] == "火山图"
    assert by_key["basic/volcano"]["cover_is_file"] is True
    [broken] = data["broken"]
    assert broken["key"] == "basic/broken"
    assert broken["findings"][0]["file"] == "data.json"


def test_plugins_command_reads_plugin_dirs_from_the_environment(run_cli, plugin_root, monkeypatch):
    monkeypatch.setenv(PLUGIN_DIRS_ENV, str(plugin_root))
    out = run_cli("--search", "dot chart")
    assert "basic/scatter" in out
