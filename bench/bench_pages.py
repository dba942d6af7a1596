"""How fast the first page paints, with every bundled plugin loaded.

    .venv/bin/python -m bench.bench_pages [--runs 10]

Starts `plotforge serve` on a free port, opens the catalogue and a tool page in Debian's
Chromium (Playwright) with an empty cache each time, and prints p50/p95 of the browser's
own first-contentful-paint and of "cards drawn" (the catalogue's plugin cards present),
against a baseline measured in the same run: the same browser painting a static HTML file
of the same size, opened from disk (so the ratio is the cost of our page and server, not
of the browser). Target: first paint under a second.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from bench.stats import percentile

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--disable-quic", "--no-first-run"]


def start_server(data_dir: Path) -> tuple[subprocess.Popen, str]:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    plotforge = str(Path(sys.executable).parent / "plotforge")
    server = subprocess.Popen([plotforge, "serve", "--port", str(port), "--data-dir", str(data_dir), "--no-warm"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    for _ in range(240):
        try:
            if httpx.get(f"{url}/api/health", timeout=1).status_code == 200:
                return server, url
        except httpx.TransportError:
            time.sleep(0.25)
    server.kill()
    raise SystemExit("plotforge serve did not start")


def timings(browser, url: str, ready_selector: str) -> tuple[float, float]:
    """(first contentful paint, ready) in seconds for one cold page load."""
    context = browser.new_context()
    page = context.new_page()
    started = time.perf_counter()
    page.goto(url)
    page.wait_for_selector(ready_selector)
    ready = time.perf_counter() - started
    fcp = page.evaluate(
        "() => (performance.getEntriesByName('first-contentful-paint')[0] || {startTime: NaN}).startTime")
    context.close()
    return fcp / 1000, ready


def report(label: str, values: list[float]) -> float:
    p50 = statistics.median(values)
    print(f"  {label:<40} p50 {p50 * 1000:7.0f} ms   p95 {percentile(values, 0.95) * 1000:7.0f} ms")
    return p50


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as data_dir:
        server, url = start_server(Path(data_dir))
        try:
            catalogue_html = httpx.get(url + "/").text
            static = Path(data_dir) / "baseline.html"
            # The baseline: a page of the same byte size with no scripts, opened from disk.
            static.write_text("<!doctype html><title>baseline</title><h1>PlotForge</h1>"
                              + "<p>x</p>" * (len(catalogue_html) // 8), encoding="utf-8")
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                results: dict[str, list[tuple[float, float]]] = {"baseline": [], "catalogue": [], "tool": []}
                for _ in range(args.runs):
                    results["baseline"].append(timings(browser, static.as_uri(), "h1"))
                    results["catalogue"].append(timings(browser, url + "/", ".plugin-card"))
                    results["tool"].append(timings(browser, url + "/tool/basic/volcano", ".field-label"))
                browser.close()
        finally:
            server.terminate()
            server.wait(timeout=30)
    print(f"first paint over {args.runs} cold loads each (Chromium headless, empty cache)")
    base = report("baseline: static page, first paint", [f for f, _ in results["baseline"]])
    fcp = report("catalogue: first contentful paint", [f for f, _ in results["catalogue"]])
    report("catalogue: all plugin cards drawn", [r for _, r in results["catalogue"]])
    report("tool page (volcano): first paint", [f for f, _ in results["tool"]])
    report("tool page (volcano): form drawn", [r for _, r in results["tool"]])
    print(f"\n  catalogue first paint is {fcp / base:.1f}x the static baseline; target: under 1000 ms "
          f"({'met' if fcp < 1.0 else 'NOT met'})")


if __name__ == "__main__":
    main()
