"""What the browser tests do again and again, in a biologist's terms."""

from __future__ import annotations

from typing import Any

# A small differential-expression table, as Excel puts it on the clipboard (tab-separated).
DE_TABLE = "\n".join([
    "Gene\tlog2FC\tPvalue\tNote",
    "TP53\t2.1\t0.0001\tup",
    "MYC\t-1.8\t0.0004\tdown",
    "EGFR\t1.5\t0.003\tup",
    "GAPDH\t0.1\t0.8\tflat",
    "ACTB\t-0.2\t0.6\tflat",
    "BRCA1\t-2.4\t0.00002\tdown",
    "KRAS\t1.2\t0.02\tup",
    "PTEN\t-1.1\t0.01\tdown",
    "CDK4\t0.4\t0.3\tflat",
    "VEGFA\t2.8\t0.000001\tup",
]) + "\n"


def open_tool(page: Any, key: str, query: str = "") -> None:
    page.goto(f"/tool/{key}{query}")
    page.wait_for_selector(".table-editor")
    page.wait_for_selector("[data-pointer]")


def field(page: Any, pointer: str) -> Any:
    """The form field (label, control, message) whose value sits at `pointer` in the run request."""
    return page.locator(f'.field[data-pointer="{pointer}"]')


def paste(page: Any, target: Any, text: str) -> None:
    """A paste event carrying `text`, as the browser fires it for Ctrl+V from Excel."""
    target.focus()
    target.evaluate(
        """(el, text) => {
            const data = new DataTransfer();
            data.setData("text/plain", text);
            el.dispatchEvent(new ClipboardEvent("paste", {clipboardData: data, bubbles: true, cancelable: true}));
        }""",
        text,
    )


def choose_column(page: Any, table: str, role: int, column: str) -> None:
    field(page, f"/params/dataArg/{table}/{role}/value").locator("select").select_option(label=column)


def header_names(page: Any) -> list[str]:
    return page.locator(".sheet thead input").evaluate_all("els => els.map(e => e.value)")


def run_and_wait(page: Any, timeout_ms: int = 120_000) -> str:
    """Press Run and wait for the job to end; returns its final state."""
    page.get_by_role("button", name="Run", exact=True).click()
    page.wait_for_selector("#result .badge.state-succeeded, #result .badge.state-failed, "
                           "#result .badge.state-cancelled", timeout=timeout_ms)
    return page.locator("#result .badge").get_attribute("class").split("state-")[-1]


def scroll_to(page: Any, selector: str) -> None:
    """Bring `selector` to the top of the window, just under the sticky header (for screenshots)."""
    page.locator(selector).first.evaluate(
        "el => window.scrollTo(0, el.getBoundingClientRect().top + window.scrollY - 72)")
