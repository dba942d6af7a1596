"""The catalogue: cards, search as you type, tag chips, and a language that stays chosen."""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def visible_cards(page):
    return page.locator(".plugin-card:visible")


def test_catalogue_lists_every_plugin_and_searches_as_you_type(page, server_url, shot):
    plugins = httpx.get(f"{server_url}/api/plugins").json()["plugins"]
    page.goto("/")
    page.wait_for_selector(".plugin-card")
    assert visible_cards(page).count() == len(plugins)
    shot(page, "catalogue", full_page=True)

    page.get_by_role("searchbox").fill("volcano")
    expect(page.locator(".plugin-card")).to_have_count(1)
    assert visible_cards(page).locator(".plugin-name").inner_text() == "Volcano Plot"
    assert "1" in page.locator("#result-count").inner_text()

    page.get_by_role("searchbox").fill("no such plot anywhere")
    expect(page.locator(".plugin-card")).to_have_count(0)
    assert page.locator("#result-count").inner_text() == "No plots match your search."

    # Escape clears the search; every card is back.
    page.get_by_role("searchbox").press("Escape")
    expect(page.locator(".plugin-card")).to_have_count(len(plugins))


def test_tag_chips_filter_the_cards(page, server_url):
    answer = httpx.get(f"{server_url}/api/plugins").json()
    tag = answer["tags"][0]
    page.goto("/")
    page.wait_for_selector(".plugin-card")
    chip = page.locator(f'.chip[data-tag="{tag["tag"]}"]')
    chip.click()
    assert chip.get_attribute("aria-pressed") == "true"
    expect(page.locator(".plugin-card")).to_have_count(tag["count"])
    for tags in page.locator(".plugin-card .tags").all_inner_texts():
        assert tag["tag"] in tags.split("\n")
    chip.click()  # pressing it again shows every card
    expect(page.locator(".plugin-card")).to_have_count(len(answer["plugins"]))


def test_language_switch_relabels_the_page_and_is_remembered(page, server_url, shot):
    page.goto("/")
    page.wait_for_selector(".plugin-card")
    expect(page.locator("h1")).to_have_text("Plot catalogue")

    page.get_by_role("button", name="中文").click()
    expect(page.locator("h1")).to_have_text("图表目录")
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    assert page.get_by_role("searchbox").get_attribute("placeholder") != "Search plots by name, alias or tag"
    # Card names come from the plugins' own Chinese labels.
    zh_names = [p["name"] for p in httpx.get(f"{server_url}/api/plugins?lang=zh_cn").json()["plugins"]]
    expect(page.locator(".plugin-name")).to_have_text(zh_names)
    shot(page, "catalogue-zh")

    # Still Chinese after a reload without ?lang=, and on another page.
    page.goto("/")
    page.wait_for_selector(".plugin-card")
    expect(page.locator("h1")).to_have_text("图表目录")
    page.goto("/jobs")
    expect(page.locator("h1")).to_have_text("我的任务")
    assert page.get_by_role("button", name="中文").get_attribute("aria-pressed") == "true"

    # ?lang= wins over what was remembered, and is remembered in turn.
    page.goto("/?lang=en")
    expect(page.locator("h1")).to_have_text("Plot catalogue")
    page.goto("/")
    page.wait_for_selector(".plugin-card")
    assert page.locator("h1").inner_text() == "Plot catalogue"


def test_cards_open_their_tool_with_the_keyboard(page):
    page.goto("/")
    page.wait_for_selector(".plugin-card")
    link = page.locator('.plugin-link[data-key="basic/boxplot"]')
    link.focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**/tool/basic/boxplot")
    page.wait_for_selector(".tool-title")
    assert page.locator(".tool-title").inner_text() == "Box Plot"
