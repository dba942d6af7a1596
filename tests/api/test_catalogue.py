"""The catalogue routes: health, the plugin list and search, a plugin's page data, its example
and cover, message bundles, the OpenAPI document and the docs page, and what every answer carries."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from server.api.session import COOKIE_NAME
from server.app import create_app
from server.settings import Settings
from tests.api.conftest import assert_error


def test_health_counts_plugins_and_names_the_backend(client: TestClient) -> None:
    answer = client.get("/api/health")
    assert answer.status_code == 200
    body = answer.json()
    assert body["status"] == "ok" and body["backend"] == "embedded"
    assert body["plugins"] >= 12  # nine bundled plugins and the three test ones
    assert body["broken"] == 0


def test_every_answer_sets_nosniff_and_a_signed_http_only_session_cookie(client: TestClient) -> None:
    answer = client.get("/api/health")
    assert answer.headers["x-content-type-options"] == "nosniff"
    cookie = answer.headers["set-cookie"]
    assert cookie.startswith(f"{COOKIE_NAME}=") and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    # The browser sends it back: no second cookie is set for the same session.
    assert "set-cookie" not in client.get("/api/health").headers
    # Errors carry the header too.
    assert client.get("/api/nowhere").headers["x-content-type-options"] == "nosniff"


def test_a_forged_session_cookie_is_replaced_not_trusted(client: TestClient) -> None:
    client.cookies.set(COOKIE_NAME, "s-forged-owner-id-0123456789")
    answer = client.get("/api/jobs")
    assert answer.status_code == 200 and answer.json() == {"jobs": []}
    assert answer.headers["set-cookie"].startswith(f"{COOKIE_NAME}=")


def test_plugin_list_has_cards_tags_modules_and_no_broken_plugins(client: TestClient) -> None:
    body = client.get("/api/plugins").json()
    keys = [card["key"] for card in body["plugins"]]
    assert {"basic/volcano", "basic/heatmap", "jobs/quick"} <= set(keys)
    volcano = next(card for card in body["plugins"] if card["key"] == "basic/volcano")
    assert volcano["name"] == "Volcano Plot" and volcano["runnable"] is True
    assert volcano["cover_url"] == "/api/plugins/basic/volcano/cover"
    assert {"tag", "count"} == set(body["tags"][0]) and body["tags"][0]["count"] >= 1
    assert {"basic", "jobs"} <= set(body["modules"])
    assert body["broken"] == []


def test_plugin_list_searches_filters_and_speaks_chinese(client: TestClient) -> None:
    found = client.get("/api/plugins", params={"q": "volcano"}).json()["plugins"]
    assert found[0]["key"] == "basic/volcano"
    only_jobs = client.get("/api/plugins", params={"module": "jobs"}).json()["plugins"]
    assert {card["module"] for card in only_jobs} == {"jobs"}
    chinese = client.get("/api/plugins", params={"q": "volcano", "lang": "zh_cn"}).json()["plugins"][0]
    assert chinese["name"] == "火山图"
    assert client.get("/api/plugins", params={"q": "no such plot anywhere"}).json()["plugins"] == []


def test_plugin_page_data_holds_card_form_schema_defaults_and_readme(client: TestClient) -> None:
    body = client.get("/api/plugins/basic/volcano").json()
    assert body["card"]["key"] == "basic/volcano"
    assert body["schema"]["properties"]["params"]["properties"]["extra"]["properties"]["p_cutoff"]["maximum"] == 1
    assert body["defaults"]["extra"]["p_cutoff"] == 0.05
    assert body["examples"] == 1
    assert body["readme"] and body["readme"].lstrip().startswith("#")
    form = body["form"]
    assert form["tables"][0] == {
        "name": "datTable", "label": "Data table", "type": "hiplot-textarea", "required": True,
        "exts": ["tsv", "csv", "txt", "xlsx"], "multiple": False, "is_table": True, "class": None, "attrs": {},
    }
    assert [role["label"] for role in form["dataArg"]["datTable"]] == ["Gene symbol", "P value", "log2 fold change"]
    p_cutoff = next(field for field in form["extra"] if field["key"] == "p_cutoff")
    assert (p_cutoff["type"], p_cutoff["min"], p_cutoff["max"], p_cutoff["default"]) == ("slider", 0, 1, 0.05)
    assert p_cutoff["label"] == "P-value cutoff"


def test_form_conditions_are_expression_trees_never_source_text(client: TestClient) -> None:
    form = client.get("/api/plugins/basic/volcano").json()["form"]
    top_n = next(field for field in form["extra"] if field["key"] == "top_n")
    condition = top_n["conditions"]["if"]
    assert condition == {"t": "member", "name": "show_top", "object": {
        "t": "member", "name": "extra", "object": {"t": "member", "name": "config", "object": {
            "t": "member", "name": "params", "object": {"t": "this"}}}}}
    assert top_n["conditions"]["if_func"] is None and "if" not in top_n["attrs"]


def test_general_panel_lists_only_present_keys_with_palette_swatches(client: TestClient) -> None:
    body = client.get("/api/plugins/basic/scatter").json()
    general = {field["key"]: field for field in body["form"]["general"]}
    assert set(general) == set(body["defaults"]["general"]) - {"cmd"}
    palette = general["palette"]
    assert palette["type"] == "select" and "npg" in palette["items"] and palette["default"] == "npg"
    assert palette["swatches"]["npg"][0] == "#E64B35"
    assert general["imageExportType"]["multiple"] is True
    assert general["legendPos"]["item_labels"]["right"] == "Right"
    assert general["alpha"]["type"] == "slider" and general["alpha"]["max"] == 1


def test_form_labels_follow_the_language(client: TestClient) -> None:
    form = client.get("/api/plugins/basic/volcano", params={"lang": "zh_cn"}).json()["form"]
    assert form["dataArg"]["datTable"][0]["label"] == "基因名"


def test_unknown_plugin_is_a_json_404_on_every_plugin_route(client: TestClient) -> None:
    for path in ("", "/example", "/cover"):
        error = assert_error(client.get(f"/api/plugins/basic/no-such-plot{path}"), 404)
        assert "basic/no-such-plot" in error["message"]
    assert_error(client.post("/api/plugins/basic/no-such-plot/validate", json={}), 404)


def test_example_lays_the_example_over_the_defaults(client: TestClient) -> None:
    body = client.get("/api/plugins/basic/volcano/example").json()
    assert [entry["value"] for entry in body["config"]["dataArg"]["datTable"]] == ["Symbol", "P.Value", "logFC"]
    assert body["config"]["extra"]["p_cutoff"] == 0.05  # a default the example leaves alone
    assert body["tables"]["datTable"].startswith("Symbol\t")
    error = assert_error(client.get("/api/plugins/basic/volcano/example", params={"index": 3}), 404)
    assert "no example 3" in error["message"]
    assert_error(client.get("/api/plugins/basic/volcano/example", params={"index": "first"}), 422)


def test_cover_is_served_inline_with_a_sandboxing_policy(client: TestClient) -> None:
    answer = client.get("/api/plugins/basic/volcano/cover")
    assert answer.status_code == 200 and answer.content.startswith(b"\x89PNG")
    assert answer.headers["content-type"] == "image/png"
    assert answer.headers["content-disposition"].startswith("inline;")
    assert answer.headers["content-security-policy"].startswith("sandbox")
    assert_error(client.get("/api/plugins/jobs/quick/cover"), 404)  # a plugin without a cover


def test_message_bundles_for_both_languages_and_404_for_others(client: TestClient) -> None:
    english = client.get("/api/i18n/en").json()
    chinese = client.get("/api/i18n/zh_cn").json()
    assert english["ui.general.palette"] == "Color palette"
    assert chinese["ui.general.palette"] != english["ui.general.palette"]
    assert client.get("/api/i18n/zh-CN").json() == chinese
    assert_error(client.get("/api/i18n/fr"), 404)


def test_openapi_document_declares_every_route_with_tags(client: TestClient) -> None:
    document = client.get("/api/openapi.json").json()
    paths = document["paths"]
    for path in ("/api/health", "/api/plugins", "/api/plugins/{module}/{tool}", "/api/uploads",
                 "/api/uploads/{upload_id}", "/api/jobs", "/api/jobs/{job_id}", "/api/jobs/{job_id}/events",
                 "/api/jobs/{job_id}/cancel", "/api/jobs/{job_id}/files/{name}", "/api/jobs/{job_id}/bundle",
                 "/api/i18n/{lang}"):
        assert path in paths, path
    submit = paths["/api/jobs"]["post"]
    assert submit["tags"] == ["jobs"]
    assert submit["responses"]["422"]["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorResponse")
    assert "multipart/form-data" in paths["/api/uploads"]["post"]["requestBody"]["content"]


def test_docs_page_loads_swagger_ui_from_local_files_only(settings: Settings, tmp_path: Path) -> None:
    assets = tmp_path / "swagger-ui-dist"
    assets.mkdir()
    (assets / "swagger-ui-bundle.js").write_text("window.SwaggerUIBundle = function () {};")
    (assets / "swagger-ui.css").write_text("body {}")
    client = TestClient(create_app(settings, swagger_ui_dir=assets))
    page = client.get("/api/docs")
    assert page.status_code == 200
    assert "/api/docs/assets/swagger-ui-bundle.js" in page.text and "/api/openapi.json" in page.text
    assert "cdn" not in page.text.lower() and "https://" not in page.text
    assert client.get("/api/docs/assets/swagger-ui-bundle.js").text.startswith("window.SwaggerUIBundle")


def test_without_swagger_ui_files_there_is_no_docs_page_but_openapi_remains(settings: Settings,
                                                                           tmp_path: Path) -> None:
    client = TestClient(create_app(settings, swagger_ui_dir=tmp_path / "absent"))
    assert_error(client.get("/api/docs"), 404)
    assert client.get("/api/openapi.json").status_code == 200


def test_the_vendored_swagger_ui_is_served_by_default_under_a_self_only_policy(client: TestClient) -> None:
    page = client.get("/api/docs")
    assert page.status_code == 200
    policy = page.headers["content-security-policy"]
    assert "default-src 'self'" in policy and "connect-src 'self'" in policy and "https:" not in policy
    assert '"validatorUrl": null' in page.text  # no badge fetched from the online validator
    bundle = client.get("/api/docs/assets/swagger-ui-bundle.js")
    assert bundle.status_code == 200 and "SwaggerUIBundle" in bundle.text
    assert client.get("/api/docs/assets/swagger-ui.css").status_code == 200


def test_every_plugins_page_data_and_example_build(client: TestClient) -> None:
    for card in client.get("/api/plugins").json()["plugins"]:
        base = f"/api/plugins/{card['key']}"
        detail = client.get(base)
        assert detail.status_code == 200, card["key"]
        if detail.json()["examples"]:
            assert client.get(f"{base}/example").status_code == 200, card["key"]
        assert client.post(f"{base}/validate", json={"use_example": bool(detail.json()["examples"])}).status_code \
            in (200, 422), card["key"]

