"""The tool page as a biologist uses it: table in, columns chosen, form adjusted, figure out."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import (
    DE_TABLE,
    choose_column,
    field,
    header_names,
    open_tool,
    paste,
    run_and_wait,
    scroll_to,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_volcano_from_a_pasted_table_to_a_pdf(page, shot, tmp_path):
    open_tool(page, "basic/volcano")
    expect(page.locator(".tool-title")).to_have_text("Volcano Plot")

    # The example loads into the editor...
    page.get_by_role("button", name="Load example").click()
    expect(page.locator(".table-size")).to_have_text("300 rows × 6 columns")
    assert header_names(page)[:2] == ["Symbol", "logFC"]
    # ...and "Clear table" empties it again.
    page.get_by_role("button", name="Clear table").click()
    expect(page.locator(".table-size")).to_have_text("")

    # Ctrl+V of a block copied from Excel fills the sheet from the focused cell.
    paste(page, page.locator('.sheet input[data-r="0"][data-c="0"]'), DE_TABLE)
    expect(page.locator(".table-size")).to_have_text("10 rows × 4 columns")
    assert header_names(page)[:4] == ["Gene", "log2FC", "Pvalue", "Note"]
    assert page.locator('.sheet input[data-r="1"][data-c="0"]').input_value() == "MYC"

    # The column pickers offer the pasted columns.
    picker = field(page, "/params/dataArg/datTable/1/value").locator("select")
    expect(picker.locator("option")).to_contain_text(["Gene", "log2FC", "Pvalue", "Note"])
    choose_column(page, "datTable", 0, "Gene")
    choose_column(page, "datTable", 1, "Pvalue")
    choose_column(page, "datTable", 2, "log2FC")

    # A slider's number box is checked as the user types, with the plugin's own bounds.
    p_cutoff = field(page, "/params/extra/p_cutoff")
    p_cutoff.locator("input[type=number]").fill("2")
    expect(p_cutoff.locator(".field-message")).to_have_text("Must be at most 1.")
    expect(p_cutoff.locator("input[type=number]")).to_have_attribute("aria-invalid", "true")
    p_cutoff.locator("input[type=number]").fill("0.01")
    expect(p_cutoff.locator(".field-message")).to_be_hidden()
    assert p_cutoff.locator("input[type=range]").input_value() == "0.01"

    # A colour takes hex or an R colour name; anything else is refused on the spot.
    up = field(page, "/params/extra/up_color").locator("input[type=text]")
    up.fill("not a colour")
    expect(field(page, "/params/extra/up_color").locator(".field-message")).to_contain_text("Not a colour")
    up.fill("firebrick")
    expect(field(page, "/params/extra/up_color").locator(".field-message")).to_be_hidden()

    # `top_n` has `if: show_top`: it follows the switch live.
    top_n = field(page, "/params/extra/top_n")
    expect(top_n).to_be_visible()
    field(page, "/params/extra/show_top").get_by_role("switch").click()
    expect(top_n).to_be_hidden()
    field(page, "/params/extra/show_top").get_by_role("switch").click()
    expect(top_n).to_be_visible()

    # Plot settings: a select, with its choices in words.
    legend = field(page, "/params/general/legendPos").locator("select")
    legend.select_option(label="Bottom")
    field(page, "/params/general/title").locator("input").fill("Ten genes")
    scroll_to(page, ".tool-layout")
    shot(page, "tool-form")

    assert run_and_wait(page) == "succeeded"
    figure = page.locator("#result .figure-image")
    expect(figure).to_be_visible()
    assert figure.evaluate("img => img.complete && img.naturalWidth > 100")
    scroll_to(page, "#result")
    shot(page, "tool-result")

    # One click downloads the PDF itself.
    with page.expect_download() as download_info:
        page.locator('#result a[data-kind="pdf"]').click()
    target = tmp_path / download_info.value.suggested_filename
    download_info.value.save_as(target)
    assert target.name.endswith(".pdf")
    assert target.read_bytes().startswith(b"%PDF")
    # ...and the bundle is there too.
    job_id = page.url.split("job=")[1]
    expect(page.locator('#result a[data-kind="bundle"]')).to_have_attribute("href", f"/api/jobs/{job_id}/bundle")


def test_boxplot_conditions_and_choices_follow_the_form_and_the_table(page):
    open_tool(page, "basic/boxplot")
    page.get_by_role("button", name="Load example").click()
    expect(page.locator(".table-size")).to_have_text("100 rows × 3 columns")

    # `method` shows only while the P-value switch is on (an if_func tree).
    method = field(page, "/params/extra/method")
    expect(method).to_be_visible()
    field(page, "/params/extra/show_pvalue").get_by_role("switch").click()
    expect(method).to_be_hidden()
    field(page, "/params/extra/show_pvalue").get_by_role("switch").click()
    expect(method).to_be_visible()

    # `ref_group` shows for pairwise tests only, and offers the groups of the chosen column (items_func).
    ref_group = field(page, "/params/extra/ref_group")
    method.locator("select").select_option(label="anova")
    expect(ref_group).to_be_hidden()
    method.locator("select").select_option(label="t.test")
    expect(ref_group).to_be_visible()
    options = ref_group.locator("datalist option")
    expect(options).to_have_count(4)
    assert options.evaluate_all("os => os.map(o => o.value)")[:2] == ["Normal", "Stage I"]

    # Choosing another column for the groups changes the choices at once.
    choose_column(page, "datTable", 0, "Sample")
    expect(options).to_have_count(100)

    # Renaming a column in the header renames it in every picker.
    header = page.locator('.sheet thead input[data-c="1"]')
    header.fill("Tumour stage")
    picker = field(page, "/params/dataArg/datTable/0/value").locator("select")
    expect(picker.locator("option")).to_contain_text(["Sample", "Tumour stage", "MKI67"])


def test_a_text_column_in_a_numeric_role_is_flagged_before_and_after_the_run(page, shot):
    open_tool(page, "basic/volcano")
    page.get_by_role("button", name="Load example").click()
    expect(page.locator(".table-size")).to_have_text("300 rows × 6 columns")

    # Gene symbols where the P values should be: a warning before anything runs...
    choose_column(page, "datTable", 1, "Symbol")
    p_value = field(page, "/params/dataArg/datTable/1/value")
    expect(p_value.locator(".field-message")).to_contain_text("Symbol holds text")
    expect(page.locator('.sheet th.marked-warning[data-column="Symbol"]')).to_be_visible()

    # ...and when run anyway, the failure is explained in the result panel and on the column.
    assert run_and_wait(page) == "failed"
    expect(page.locator("#result .run-error")).to_contain_text("numeric")
    header = page.locator('.sheet th.marked-error[data-column="Symbol"]')
    expect(header).to_be_visible()
    expect(header.locator("input")).to_have_attribute("aria-invalid", "true")
    expect(page.locator(".table-errors")).to_contain_text("Symbol")
    expect(p_value.locator(".field-message")).to_contain_text("Symbol")
    scroll_to(page, ".data-card")
    shot(page, "tool-column-error")

    # Choosing the right column clears the marks.
    choose_column(page, "datTable", 1, "P.Value")
    expect(page.locator('.sheet th.marked-warning[data-column="Symbol"]')).to_have_count(0)
    expect(p_value.locator(".field-message")).to_be_hidden()


def test_server_field_errors_land_next_to_their_field(page):
    open_tool(page, "basic/volcano")
    page.get_by_role("button", name="Load example").click()
    expect(page.locator(".table-size")).to_have_text("300 rows × 6 columns")
    # A column renamed after it was chosen no longer exists: the form says so before sending.
    page.locator('.sheet thead input[data-c="0"]').fill("Gene name")
    page.get_by_role("button", name="Run", exact=True).click()
    symbol = field(page, "/params/dataArg/datTable/0/value")
    expect(symbol.locator(".field-message")).to_have_text("Column Symbol is not in table datTable.")
    expect(page.locator(".form-alert")).to_contain_text("Please correct the highlighted fields.")
    expect(page.locator("#result .badge")).to_be_hidden()  # nothing was sent


def test_parameters_export_reset_and_import(page, tmp_path):
    open_tool(page, "basic/volcano")
    number = field(page, "/params/extra/fc_cutoff").locator("input[type=number]")
    number.fill("2.5")
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Export parameters").click()
    saved = tmp_path / "params.json"
    download_info.value.save_as(saved)
    document = json.loads(saved.read_text())
    assert document["plugin"] == "basic/volcano"
    assert document["params"]["extra"]["fc_cutoff"] == 2.5

    page.get_by_role("button", name="Reset").click()
    expect(number).to_have_value("1")

    page.locator('input[type=file][accept^=".json"]').set_input_files(str(saved))
    expect(number).to_have_value("2.5")

    bad = tmp_path / "bad.json"
    bad.write_text('{"hello": "world"}')
    page.locator('input[type=file][accept^=".json"]').set_input_files(str(bad))
    expect(page.locator(".notice-bar")).to_contain_text("not a PlotForge parameter file")


def test_an_uploaded_file_fills_the_table_and_the_pickers(page, tmp_path):
    csv = tmp_path / "my genes.csv"
    csv.write_text(DE_TABLE.replace("\t", ","))
    open_tool(page, "basic/volcano")
    page.locator('.table-editor input[type=file]').set_input_files(str(csv))
    expect(page.locator(".table-note")).to_contain_text("my genes.csv")
    expect(page.locator(".table-note")).to_contain_text("10 rows")
    assert header_names(page) == ["Gene", "log2FC", "Pvalue", "Note"]
    picker = field(page, "/params/dataArg/datTable/0/value").locator("select")
    expect(picker.locator("option")).to_contain_text(["Gene", "log2FC", "Pvalue", "Note"])
    # An uploaded table is read-only; "Remove file" gives the editable sheet back.
    expect(page.locator('.sheet input[data-r="0"][data-c="0"]')).to_have_attribute("readonly", "")
    page.get_by_role("button", name="Remove file").click()
    expect(page.locator(".table-size")).to_have_text("")


def test_a_file_that_is_not_a_table_is_refused_with_the_servers_reason(page, tmp_path):
    picture = tmp_path / "figure.png"
    picture.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(200))
    open_tool(page, "basic/volcano")
    page.locator('.table-editor input[type=file]').set_input_files(str(picture))
    problem = page.locator(".table-error:visible")
    expect(problem).to_have_count(1)
    expect(problem).not_to_be_empty()
    expect(page.locator(".table-size")).to_have_text("")


def test_a_large_table_shows_its_first_rows_with_a_note(page):
    open_tool(page, "basic/volcano")
    rows = "\n".join(f"G{i}\t{i / 1000}\t{(i % 7) - 3}" for i in range(5000))
    paste(page, page.locator('.sheet input[data-r="0"][data-c="0"]'), "Gene\tP\tFC\n" + rows)
    expect(page.locator(".table-size")).to_have_text("5000 rows × 3 columns")
    expect(page.locator(".table-note")).to_contain_text("Showing the first 200 of 5000 rows")
    expect(page.locator(".sheet tbody tr")).to_have_count(200)


def test_the_sheet_is_driven_by_the_keyboard(page):
    open_tool(page, "basic/volcano")
    first = page.locator('.sheet input[data-r="0"][data-c="0"]')
    first.focus()
    page.keyboard.type("TP53")
    page.keyboard.press("Enter")  # down
    page.keyboard.type("MYC")
    page.keyboard.press("ArrowUp")
    page.keyboard.press("ArrowUp")  # up to the header
    page.keyboard.type("Gene")
    page.keyboard.press("ArrowRight")  # caret at the end: next column
    page.keyboard.type("P")
    assert header_names(page)[:2] == ["Gene", "P"]
    assert page.locator('.sheet input[data-r="1"][data-c="0"]').input_value() == "MYC"
    picker = field(page, "/params/dataArg/datTable/0/value").locator("select")
    expect(picker.locator("option")).to_contain_text(["Gene", "P"])


def test_tool_page_in_chinese_on_a_tablet(page_factory, shot):
    page = page_factory(viewport={"width": 820, "height": 1180})
    open_tool(page, "basic/boxplot", "?lang=zh_cn")
    expect(page.locator(".tool-title")).to_have_text("箱线图")
    expect(page.get_by_role("button", name="运行", exact=True)).to_be_visible()
    expect(page.get_by_role("button", name="加载示例")).to_be_visible()
    # The form's own labels come from the plugin in Chinese.
    expect(field(page, "/params/extra/jitter").locator(".field-label")).to_have_text("显示数据点")
    # One column at this width: the side panel sits below the data.
    data_box = page.locator(".data-card").bounding_box()
    params_box = page.locator(".params-card").bounding_box()
    assert params_box["y"] > data_box["y"] + data_box["height"] - 1
    shot(page, "tool-tablet-zh", full_page=True)


def test_an_unknown_tool_says_so(page):
    response = page.goto("/tool/basic/no-such-plot")
    assert response.status == 404
    expect(page.locator("h1")).to_have_text("This plot does not exist (or was removed).")
    expect(page.get_by_role("link", name="Back to the catalogue")).to_be_visible()


def test_switching_language_on_a_tool_keeps_the_table_and_the_settings(page):
    open_tool(page, "basic/volcano")
    page.get_by_role("button", name="Load example").click()
    expect(page.locator(".table-size")).to_have_text("300 rows × 6 columns")
    field(page, "/params/extra/fc_cutoff").locator("input[type=number]").fill("1.5")

    page.get_by_role("button", name="中文").click()
    expect(page.get_by_role("button", name="运行", exact=True)).to_be_visible()
    expect(page.locator(".tool-title")).to_have_text("火山图")
    expect(page.locator(".table-title")).not_to_contain_text("Data table")
    expect(page.locator(".table-size")).to_have_text("300 行 × 6 列")
    expect(field(page, "/params/extra/fc_cutoff").locator("input[type=number]")).to_have_value("1.5")
    expect(field(page, "/params/dataArg/datTable/1/value").locator("select option:checked")).to_have_text("P.Value")
    assert "lang=zh_cn" in page.url
