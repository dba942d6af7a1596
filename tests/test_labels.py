"""Labels in two languages: the message bundles and the three label shapes of Hiplot files."""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path

import pytest

from plugin_sdk import labels
from plugin_sdk.labels import (
    LANGUAGES,
    MESSAGES_DIR,
    MESSAGES_DIRS_ENV,
    label_pair,
    message,
    messages,
    normalise_language,
    readable_name,
    resolve_label,
)

# Our copy of the keys Hiplot's plugins use (the published list lives in the shared data folder).
HIPLOT_KEYS_FILE = MESSAGES_DIR / "hiplot-message-keys.txt"
SHARED_KEYS_FILE = Path("/work/shared/data/hiplot-message-keys.txt")
CJK = re.compile(r"[\u4e00-\u9fff]")


def _bundle_file(lang: str) -> dict[str, str]:
    return json.loads((MESSAGES_DIR / f"messages.{lang}.json").read_text(encoding="utf-8"))


def _hiplot_keys() -> list[str]:
    return [line.strip() for line in HIPLOT_KEYS_FILE.read_text().splitlines() if line.strip()]


@pytest.fixture(autouse=True)
def _no_overlays(monkeypatch):
    monkeypatch.delenv(MESSAGES_DIRS_ENV, raising=False)


# -- the bundles -----------------------------------------------------------------------------


def test_key_list_copy_matches_the_shared_list():
    if not SHARED_KEYS_FILE.is_file():
        pytest.skip("the shared data folder is not present on this machine")
    assert _hiplot_keys() == [k for k in SHARED_KEYS_FILE.read_text().splitlines() if k.strip()]
    assert len(_hiplot_keys()) == 172


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_hiplot_key_has_a_non_empty_label(lang):
    bundle = _bundle_file(lang)
    missing = [k for k in _hiplot_keys() if not str(bundle.get(k, "")).strip()]
    assert missing == []


def test_both_bundles_have_the_same_keys_and_only_string_values():
    en, zh = _bundle_file("en"), _bundle_file("zh_cn")
    assert set(en) == set(zh)
    assert all(isinstance(v, str) and v.strip() for v in [*en.values(), *zh.values()])


def test_chinese_labels_are_written_in_chinese():
    zh = _bundle_file("zh_cn")
    not_chinese = [k for k in _hiplot_keys() if not CJK.search(zh[k])]
    assert not_chinese == []


@pytest.mark.parametrize(
    "key",
    [
        "ui.general.imageExportType", "ui.general.size", "ui.general.width", "ui.general.height",
        "ui.general.font", "ui.general.title", "ui.general.theme", "ui.general.palette",
        "ui.general.paletteCont", "ui.general.paletteCustom", "ui.general.titleSize",
        "ui.general.axisTitleSize", "ui.general.axisTextFontSize", "ui.general.legendTitleSize",
        "ui.general.legendTextSize", "ui.general.legendPos", "ui.general.legendDir",
        "ui.general.xAxisTextAngle", "ui.general.xAxisHjust", "ui.general.xAxisVjust",
        "ui.general.alpha", "ui.general.legendTitle", "ui.general.xlab", "ui.general.ylab",
        "ui.general.xbreaks", "ui.general.ybreaks", "ui.general.digits", "ui.general.transformX",
        "ui.general.transformY", "ui.general.fontsizeRow", "ui.general.fontsizeCol",
        "ui.general.palette2", "ui.run", "ui.example", "ui.search", "ui.download", "ui.reset",
        "ui.export_params", "ui.import_params", "ui.my_jobs", "ui.state.queued", "ui.state.running",
        "ui.state.succeeded", "ui.state.failed", "ui.state.cancelled", "ui.data", "ui.params",
        "ui.upload", "ui.add_row", "ui.add_column", "ui.remove_row", "ui.remove_column",
        "ui.catalogue", "ui.language", "ui.all_tags", "ui.no_results", "ui.cancel", "ui.rerun",
        "ui.bundle", "ui.preview", "ui.log", "ui.required",
    ],
)
def test_ui_words_exist_in_both_languages(key):
    assert _bundle_file("en")[key].strip()
    assert _bundle_file("zh_cn")[key].strip()


def test_general_panel_words():
    assert message("ui.general.imageExportType", "en") == "Export formats"
    assert message("ui.general.imageExportType", "zh_cn") == "导出格式"
    assert message("ui.run", "en") == "Run"
    assert message("ui.run", "zh_cn") == "运行"


# -- readable names --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("pCutoff", "P cutoff"),
        ("show_top", "Show top"),
        ("fontsize_row", "Fontsize row"),
        ("xAxisTextAngle", "X axis text angle"),
        ("maxGSSize", "Max GS size"),
        ("messages.basic.volcano.show_genes_num", "Show genes num"),
        ("1-countData", "Count data"),
        ("data2", "Data 2"),
        ("color-scheme", "Color scheme"),
        ("", ""),
        (None, ""),
    ],
)
def test_readable_name(key, expected):
    assert readable_name(key) == expected


# -- resolving the three shapes --------------------------------------------------------------


@pytest.mark.parametrize(
    ("label", "lang", "expected"),
    [
        ({"en": "Point size", "zh_cn": "点大小"}, "en", "Point size"),
        ({"en": "Point size", "zh_cn": "点大小"}, "zh_cn", "点大小"),
        ({"en": "Point size", "zh_ch": "点大小"}, "zh_cn", "点大小"),
        ({"en": "Point size", "zh": "点大小"}, "zh_cn", "点大小"),
        ({"en": "Point size"}, "zh_cn", "Point size"),
        ({"zh_cn": "点大小"}, "en", "点大小"),
        ({"en": "", "zh_cn": "点大小"}, "en", "点大小"),
    ],
)
def test_dict_labels(label, lang, expected):
    assert resolve_label(label, lang) == expected


def test_known_key_in_each_language():
    assert resolve_label("messages.basic.volcano.pCutoff", "en") == "P-value cutoff"
    assert resolve_label("messages.basic.volcano.pCutoff", "zh_cn") == "P 值阈值"
    assert resolve_label("messages.advance.clusterprofiler.pAdjustMethod", "zh_cn") == "P 值校正方法"


def test_unknown_key_falls_back_to_its_last_segment():
    assert resolve_label("messages.basic.nowhere.show_top", "zh_cn") == "Show top"
    assert resolve_label("messages.basic.nowhere.pCutoff") == "P cutoff"


@pytest.mark.parametrize("text", ["Point size", "P.Value column", "log2(FC)", "e.g. 0.05", "点大小"])
def test_plain_strings_are_returned_as_written(text):
    assert resolve_label(text, "zh_cn") == text


@pytest.mark.parametrize("empty", [None, "", "   ", {}, {"en": ""}, []])
def test_empty_labels_use_the_fallback_key(empty):
    assert resolve_label(empty, "en", fallback_key="show_top") == "Show top"
    assert resolve_label(empty, "en") == ""


def test_numbers_become_text():
    assert resolve_label(3, "en") == "3"


def test_language_spellings():
    assert normalise_language("zh-CN") == "zh_cn"
    assert normalise_language("zh_ch") == "zh_cn"
    assert normalise_language("EN") == "en"
    assert normalise_language("fr") == "en"
    assert normalise_language(None) == "en"
    assert resolve_label("messages.common.type", "zh") == "类型"


def test_label_pair_gives_both_languages():
    assert label_pair("messages.common.subtitle") == {"en": "Subtitle", "zh_cn": "副标题"}
    assert label_pair(None, fallback_key="legend_pos") == {"en": "Legend pos", "zh_cn": "Legend pos"}


# -- UI messages -----------------------------------------------------------------------------


def test_message_placeholders_are_filled_without_format():
    assert message("ui.results_count", "en", count=4) == "4 plots"
    assert message("ui.results_count", "zh_cn", count=4) == "共 4 个图表"
    # An unknown placeholder stays visible instead of raising.
    assert message("ui.error.column_missing", "en", column="logFC") == "Column logFC is not in table {table}."


def test_unknown_ui_key_is_readable():
    assert message("ui.some_new_button", "zh_cn") == "Some new button"


def test_bundles_are_read_only_mappings():
    with pytest.raises(TypeError):
        messages("en")["ui.run"] = "changed"  # type: ignore[index]


# -- operator overlays -----------------------------------------------------------------------


def test_overlay_folders_add_and_override_keys(tmp_path, monkeypatch):
    first, second = tmp_path / "a", tmp_path / "b"
    first.mkdir()
    second.mkdir()
    (first / "messages.en.json").write_text(json.dumps({"ui.run": "Plot it", "ui.lab_only": "Lab"}))
    (second / "messages.en.json").write_text(json.dumps({"ui.run": "Go"}))
    (second / "messages.zh_cn.json").write_text(json.dumps({"ui.lab_only": "实验室"}), encoding="utf-8")
    monkeypatch.setenv(MESSAGES_DIRS_ENV, f"{first}{labels.os.pathsep}{second}")

    assert message("ui.run", "en") == "Go"  # the later folder wins
    assert message("ui.lab_only", "en") == "Lab"
    assert message("ui.lab_only", "zh_cn") == "实验室"
    assert message("ui.run", "zh_cn") == "运行"  # ours still fills what the overlay lacks

    monkeypatch.delenv(MESSAGES_DIRS_ENV)
    assert message("ui.run", "en") == "Run"


def test_overlay_key_can_be_used_as_a_label(tmp_path, monkeypatch):
    (tmp_path / "messages.en.json").write_text(json.dumps({"lab.widget.depth": "Sequencing depth"}))
    monkeypatch.setenv(MESSAGES_DIRS_ENV, str(tmp_path))
    assert resolve_label("lab.widget.depth", "en") == "Sequencing depth"
    assert resolve_label("lab.widget.depth", "zh_cn") == "Sequencing depth"


def test_a_broken_overlay_is_skipped_with_a_warning(tmp_path, monkeypatch, caplog):
    (tmp_path / "messages.en.json").write_text("{not json")
    monkeypatch.setenv(MESSAGES_DIRS_ENV, str(tmp_path))
    with caplog.at_level(logging.WARNING, logger="plugin_sdk.labels"):
        assert message("ui.run", "en") == "Run"
    assert "messages.en.json" in caplog.text


def test_bundles_are_read_once(monkeypatch):
    labels.reload_messages()
    reads: list[Path] = []
    original = labels._read_bundle_file

    def counting(path: Path) -> dict[str, str]:
        reads.append(path)
        return original(path)

    monkeypatch.setattr(labels, "_read_bundle_file", counting)
    for _ in range(3):
        resolve_label("messages.common.type", "en")
        resolve_label("messages.common.type", "zh_cn")
    assert sorted(p.name for p in reads) == ["messages.en.json", "messages.zh_cn.json"]
    labels.reload_messages()
