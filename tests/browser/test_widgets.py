"""Every ui.json widget type, drawn and checked: a test plugin (fixtures/plugins/testing/every-widget)
served by a server of its own, so the catalogue of the other tests stays the bundled one."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import running_server
from tests.browser.helpers import field, open_tool, scroll_to

pytestmark = [pytest.mark.browser, pytest.mark.slow]

FIXTURE_PLUGINS = Path(__file__).resolve().parent / "fixtures" / "plugins"
KEY = "testing/every-widget"


@pytest.fixture(scope="module")
def widgets_url(tmp_path_factory: pytest.TempPathFactory, r_library: Path, mpl_config_dir: Path) -> Iterator[str]:
    with running_server(tmp_path_factory.mktemp("widgets-server"), PLOTFORGE_PLUGIN_DIRS=str(FIXTURE_PLUGINS)) as url:
        yield url


@pytest.fixture
def page(page_factory, widgets_url):
    page = page_factory(base_url=widgets_url)
    open_tool(page, KEY)
    return page


def extra(page, key):
    return field(page, f"/params/extra/{key}")


def test_every_widget_type_gets_its_control(page, shot):
    expect(extra(page, "bins").locator("input[type=range]")).to_have_attribute("max", "50")
    expect(extra(page, "bins").locator("input[type=number]")).to_have_value("20")
    expect(extra(page, "show_points").get_by_role("switch")).to_be_checked()
    methods = extra(page, "methods").get_by_role("checkbox")
    expect(methods).to_have_count(3)
    expect(extra(page, "methods")).to_contain_text("Spearman")  # the item's own label
    expect(extra(page, "methods").get_by_role("checkbox", name="Pearson")).to_be_checked()
    expect(extra(page, "species").locator("datalist option")).to_have_count(4)
    expect(extra(page, "breaks").locator("datalist option")).to_have_count(3)
    expect(extra(page, "line_colour").locator("input[type=color]")).to_have_value("#3c5488")
    expect(extra(page, "line_colour").locator("input[type=text]")).to_have_value("#3C5488")
    expect(extra(page, "caption").locator("input")).to_have_attribute("maxlength", "500")
    expect(extra(page, "x_range").locator("input[type=number]")).to_have_count(2)
    expect(extra(page, "gene_list").locator("textarea.mono")).to_be_visible()
    expect(extra(page, "extra_file").get_by_role("button", name="Upload file")).to_be_visible()
    # Two tables (the second optional), a file input that is not a table, multi-column roles.
    expect(page.locator(".table-editor")).to_have_count(2)
    expect(page.locator(".table-editor").nth(1).locator(".table-title .req")).to_have_count(0)
    expect(field(page, "/params/data/annotation").get_by_role("button", name="Upload file")).to_be_visible()
    expect(field(page, "/params/dataArg/datTable/1/value").locator(".check-list")).to_be_visible()
    # Every label is tied to its control.
    for key in ("bins", "species", "breaks", "caption", "gene_list"):
        label = extra(page, key).locator(".field-label")
        target = label.get_attribute("for")
        assert target and page.locator(f"#{target}").count() == 1, key
    scroll_to(page, ".params-card")
    shot(page, "widgets-form")


def test_choices_and_bounds_follow_the_table(page):
    # `highlight` offers the groups of the first group column (items_func over a multiple role);
    # `max_groups` is at most the number of columns (max_func).
    page.get_by_role("button", name="Load example").click()
    expect(page.locator(".table-size").first).to_have_text("5 rows × 2 columns")
    expect(field(page, "/params/dataArg/datTable/1/value").get_by_role("checkbox", name="Group")).to_be_checked()
    options = extra(page, "highlight").locator("datalist option")
    expect(options).to_have_count(3)
    assert options.evaluate_all("os => os.map(o => o.value)") == ["A", "B", "C"]
    expect(extra(page, "max_groups").locator("input[type=number]")).to_have_attribute("max", "2")

    # `point_shape` has `if: show_points`.
    extra(page, "show_points").get_by_role("switch").click()
    expect(extra(page, "point_shape")).to_be_hidden()


def test_each_widget_is_validated_as_the_user_types(page):
    breaks = extra(page, "breaks").locator("input")
    breaks.fill("lots")
    expect(extra(page, "breaks").locator(".field-message")).to_have_text("Enter a number.")
    breaks.fill("15")  # a free value of the items' kind is fine
    expect(extra(page, "breaks").locator(".field-message")).to_be_hidden()

    high = extra(page, "x_range").locator("input[type=number]").nth(1)
    high.fill("250")
    expect(extra(page, "x_range").locator(".field-message")).to_have_text("Must be at most 100.")
    high.fill("80")
    expect(extra(page, "x_range").locator(".field-message")).to_be_hidden()

    species = extra(page, "species").locator("input")
    species.fill("dragon")
    expect(extra(page, "species").locator(".field-message")).to_have_text("Choose one of the offered values.")
    species.fill("mouse")
    expect(extra(page, "species").locator(".field-message")).to_be_hidden()

    width = field(page, "/params/general/size/width").locator("input")
    width.fill("80")
    expect(field(page, "/params/general/size/width").locator(".field-message")).to_have_text("Must be at most 50.")


def test_a_file_input_uploads_and_names_the_file(page, tmp_path):
    notes = tmp_path / "annotation.tsv"
    notes.write_text("Gene\tPathway\nTP53\tapoptosis\n")
    field(page, "/params/data/annotation").locator("input[type=file]").set_input_files(str(notes))
    expect(field(page, "/params/data/annotation").locator(".file-name")).to_have_text("annotation.tsv")


def test_the_test_plot_runs_from_its_example(page):
    page.get_by_role("button", name="Load example").click()
    expect(page.locator(".table-size").first).to_have_text("5 rows × 2 columns")
    page.get_by_role("button", name="Run", exact=True).click()
    page.wait_for_selector("#result .badge.state-succeeded, #result .badge.state-failed", timeout=120_000)
    expect(page.locator("#result .badge")).to_have_text("Succeeded")
    expect(page.locator("#result .figure-image")).to_be_visible()
