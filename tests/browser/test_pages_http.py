"""The pages as HTTP answers: routes, security headers, and assets that all resolve locally."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from plugin_sdk import labels
from server.app import create_app
from server.db import init_database
from server.db.engine import dispose_engines
from server.pages import STATIC_DIR
from server.settings import load_settings

JS_DIR = STATIC_DIR / "js"
BUNDLES = Path(labels.__file__).parent / "i18n"
IMPORT = re.compile(r"""(?:^|\s)(?:import|export)\s[^;]*?from\s+["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)""")
ASSET = re.compile(r"""(?:src|href)="([^"]+)\"""")


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    settings = load_settings(data_dir=tmp_path / "var", workers=1, warm=False)
    init_database(settings)
    yield TestClient(create_app(settings))  # no lifespan: no workers needed to serve pages
    dispose_engines(settings.database_url)


@pytest.mark.parametrize("path", ["/", "/tool/basic/volcano", "/jobs"])
def test_pages_are_html_with_a_strict_content_security_policy(client: TestClient, path: str) -> None:
    answer = client.get(path)
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/html")
    policy = answer.headers["content-security-policy"]
    assert "script-src 'self';" in policy and "unsafe" not in policy
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert client.head(path).status_code == 200


def test_an_unknown_tool_page_is_a_404_that_still_explains_itself(client: TestClient) -> None:
    answer = client.get("/tool/basic/no-such-plot")
    assert answer.status_code == 404
    assert '<script type="module" src="/static/js/tool.js">' in answer.text


def test_every_asset_and_module_the_pages_load_is_served_from_this_server(client: TestClient) -> None:
    seen: set[str] = set()
    pending = []
    for page in ("/", "/tool/basic/volcano", "/jobs"):
        for url in ASSET.findall(client.get(page).text):
            if url.startswith("#"):
                continue  # the skip link
            assert url.startswith("/") and not url.startswith("//"), f"{page} loads {url} from elsewhere"
            pending.append(url)
    while pending:
        url = pending.pop()
        if url in seen or url.startswith("#"):
            continue
        seen.add(url)
        answer = client.get(url)
        assert answer.status_code == 200, url
        if url.endswith(".js"):
            assert answer.headers["content-type"].startswith("text/javascript"), url
            for relative, dynamic in IMPORT.findall(answer.text):
                target = relative or dynamic
                assert target.startswith(("./", "../", "/static/")), f"{url} imports {target}"
                pending.append(target if target.startswith("/") else _join(url, target))
    assert "/static/vendor/cfworker-json-schema/index.js" in seen
    assert len([u for u in seen if u.endswith(".js")]) >= 20


def _join(base: str, relative: str) -> str:
    parts = base.split("/")[:-1]
    for piece in relative.split("/"):
        if piece == "..":
            parts.pop()
        elif piece != ".":
            parts.append(piece)
    return "/".join(parts)


def test_no_script_of_ours_evaluates_text_as_code() -> None:
    for path in [*JS_DIR.rglob("*.js"), *(STATIC_DIR / "vendor" / "cfworker-json-schema").rglob("*.js")]:
        source = path.read_text(encoding="utf-8")
        assert not re.search(r"\beval\s*\(|new\s+Function\b|\bFunction\s*\(|\.innerHTML\s*=|insertAdjacentHTML|"
                             r"document\.write", source), path


def test_the_vendored_validator_comes_with_its_licence() -> None:
    vendor = STATIC_DIR / "vendor" / "cfworker-json-schema"
    assert "MIT" in (vendor / "LICENSE").read_text(encoding="utf-8")
    assert (vendor / "VENDORED.md").is_file()


def test_every_page_label_exists_in_both_languages() -> None:
    """Each ui.* key the pages name (t("ui.x") in scripts, data-i18n="ui.x" in pages) is in both bundles."""
    used: set[str] = set()
    for path in [*JS_DIR.rglob("*.js"), *(STATIC_DIR / "pages").glob("*.html")]:
        text = path.read_text(encoding="utf-8")
        used |= set(re.findall(r"""\bt\(\s*["'](ui\.[\w.]+)["']""", text))
        used |= set(re.findall(r"""data-i18n[\w-]*=["'](ui\.[\w.]+)["']""", text))
    assert len(used) > 50
    for lang in ("en", "zh_cn"):
        bundle = json.loads((BUNDLES / f"messages.{lang}.json").read_text(encoding="utf-8"))
        missing = sorted(key for key in used if not bundle.get(key))
        assert not missing, f"labels missing from messages.{lang}.json: {missing}"
