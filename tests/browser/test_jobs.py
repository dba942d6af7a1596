"""My jobs: this browser's runs, and re-opening one with its parameters and tables."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import field, open_tool, run_and_wait

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_a_run_is_listed_and_reopens_with_its_parameters_and_table(page, shot):
    open_tool(page, "basic/boxplot")
    page.get_by_role("button", name="Load example").click()
    expect(page.locator(".table-size")).to_have_text("100 rows × 3 columns")
    field(page, "/params/extra/type").locator("select").select_option(label="violin")
    field(page, "/params/general/title").locator("input").fill("Reopen me")
    assert run_and_wait(page) == "succeeded"
    job_id = page.url.split("job=")[1]

    page.get_by_role("link", name="My jobs").click()
    row = page.locator(f'tr[data-job="{job_id}"]')
    expect(row.locator(".badge")).to_have_text("Succeeded")
    expect(row).to_contain_text("Box Plot")
    shot(page, "jobs")

    row.get_by_role("link", name="Re-open").click()
    page.wait_for_url(f"**/tool/basic/boxplot?job={job_id}")
    expect(field(page, "/params/general/title").locator("input")).to_have_value("Reopen me")
    expect(field(page, "/params/extra/type").locator("select option:checked")).to_have_text("violin")
    expect(page.locator(".table-size")).to_have_text("100 rows × 3 columns")
    expect(field(page, "/params/dataArg/datTable/1/value").locator("select option:checked")).to_have_text("MKI67")
    expect(page.locator("#result .figure-image")).to_be_visible()


def test_a_new_browser_has_no_jobs_and_cannot_open_anothers(page_factory):
    page = page_factory()
    page.goto("/jobs")
    expect(page.locator("#jobs-empty")).to_be_visible()
    expect(page.locator("#jobs-empty")).to_contain_text("No jobs yet")
    open_tool(page, "basic/volcano", "?job=not-a-job-of-mine")
    expect(page.locator(".notice-bar")).to_contain_text("That job was not found")
