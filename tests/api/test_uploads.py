"""Uploads: accepted tables, and every way a hostile or broken file is refused cleanly.

The cap in these tests is 1 MB (conftest.make_settings)."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from pathlib import Path

import anyio
import openpyxl
from fastapi import FastAPI
from fastapi.testclient import TestClient

from server.settings import Settings
from tests.api.conftest import assert_error

TSV = b"gene\tp\tlogFC\nTP53\t0.001\t2.5\nMYC\t0.2\t-1.1\n"
BOUNDARY = "plotforge-test-boundary"
SPREADSHEET_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def upload(client: TestClient, name: str, content: bytes) -> object:
    return client.post("/api/uploads", files={"file": (name, content, "application/octet-stream")})


def xlsx_bytes(rows: list[list[object]]) -> bytes:
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def rewrite_zip(original: bytes, replacements: dict[str, bytes]) -> bytes:
    """The same zip with some members' content replaced (or added)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(original)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            if info.filename not in replacements:
                target.writestr(info, source.read(info.filename))
        for name, content in replacements.items():
            target.writestr(name, content, compress_type=zipfile.ZIP_DEFLATED, compresslevel=9)
    return out.getvalue()


def stored_files(settings: Settings) -> list[Path]:
    root = settings.data_dir / "uploads"
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


# -- accepted -----------------------------------------------------------------------------------


def test_a_tsv_upload_answers_its_metadata_and_a_preview(client: TestClient, settings: Settings) -> None:
    answer = upload(client, "expression.tsv", TSV)
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert (body["name"], body["size"], body["kind"]) == ("expression.tsv", len(TSV), "tsv")
    assert body["table"] == {"columns": ["gene", "p", "logFC"], "rows": [["TP53", "0.001", "2.5"],
                                                                        ["MYC", "0.2", "-1.1"]], "n_rows": 2}
    assert client.get(f"/api/uploads/{body['id']}").json() == body
    # Stored under the generated id: the client's name is nowhere on disk.
    names = [p.name for p in stored_files(settings)]
    assert sorted(names) == sorted([f"{body['id']}.tsv", f"{body['id']}.json"])


def test_csv_and_xlsx_uploads_are_read_with_the_shared_table_reader(client: TestClient) -> None:
    csv_body = upload(client, "t.csv", b"a,b\n1,2\n3,4\n").json()
    assert csv_body["kind"] == "csv" and csv_body["table"]["columns"] == ["a", "b"]
    xlsx_body = upload(client, "t.xlsx", xlsx_bytes([["gene", "value"], ["A", 1], ["B", 2.5]])).json()
    assert xlsx_body["kind"] == "xlsx"
    assert xlsx_body["table"] == {"columns": ["gene", "value"], "rows": [["A", "1"], ["B", "2.5"]], "n_rows": 2}


def test_the_preview_holds_fifty_rows_and_counts_them_all(client: TestClient) -> None:
    body = upload(client, "long.txt", b"n\tsquare\n" + b"".join(b"%d\t%d\n" % (i, i * i) for i in range(120))).json()
    assert body["table"]["n_rows"] == 120 and len(body["table"]["rows"]) == 50


def test_a_path_in_the_uploaded_file_name_is_kept_as_metadata_only(client: TestClient, settings: Settings) -> None:
    body = upload(client, "../../etc/passwd.tsv", TSV).json()
    assert body["name"] == "passwd.tsv"
    uploads_root = (settings.data_dir / "uploads").resolve()
    assert all(p.resolve().is_relative_to(uploads_root) for p in stored_files(settings))
    assert not (settings.data_dir / "etc").exists()
    # A name without a table extension at all is refused.
    assert_error(upload(client, "../../etc/passwd", TSV), 415)


# -- refused ----------------------------------------------------------------------------------


def test_saved_r_objects_are_refused_because_reading_them_runs_code(client: TestClient,
                                                                   settings: Settings) -> None:
    for name in ("model.rds", "session.RData", "old.rda"):
        error = assert_error(upload(client, name, b"X\n\x00\x00\x00\x03"), 415)
        assert "R object" in error["message"]
    assert stored_files(settings) == []


def test_an_image_is_refused_as_not_a_table(client: TestClient) -> None:
    error = assert_error(upload(client, "figure.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64), 415)
    assert "TSV, CSV, TXT or XLSX" in error["message"]


def test_binary_junk_named_tsv_is_refused(client: TestClient, settings: Settings) -> None:
    junk = bytes(range(256)) * 16
    error = assert_error(upload(client, "data.tsv", junk), 415)
    assert "binary" in error["message"]
    assert stored_files(settings) == []


def test_a_text_file_that_is_no_table_is_a_422_pointing_at_the_file(client: TestClient) -> None:
    error = assert_error(upload(client, "empty.tsv", b"\n\n"), 422)
    assert error["field_errors"][0]["field"] == "/file" and "empty" in error["field_errors"][0]["message"]


def test_a_non_zip_named_xlsx_is_refused(client: TestClient) -> None:
    assert_error(upload(client, "sheet.xlsx", TSV), 415)


def test_an_xlsx_zip_bomb_is_refused_before_it_is_opened(client: TestClient, settings: Settings) -> None:
    # 40 MB of a repeated row compresses to about 40 KB: a thousandfold expansion.
    row = b'<row><c t="inlineStr"><is><t>x</t></is></c></row>'
    sheet = b'<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">' \
            b"<sheetData>" + row * (40 * 1024 * 1024 // len(row)) + b"</sheetData></worksheet>"
    bomb = rewrite_zip(xlsx_bytes([["a"], ["1"]]), {"xl/worksheets/sheet1.xml": sheet})
    assert len(bomb) < 1024 * 1024  # under the upload cap: only the expansion check can stop it
    error = assert_error(upload(client, "bomb.xlsx", bomb), 422)
    assert "zip bomb" in error["message"]
    assert stored_files(settings) == []


def shared_strings_xlsx(shared_strings_xml: str) -> bytes:
    """A one-column workbook whose cells are shared strings 0 and 1 of ``shared_strings_xml``."""
    base = xlsx_bytes([["placeholder"]])
    with zipfile.ZipFile(io.BytesIO(base)) as source:
        types = source.read("[Content_Types].xml").decode()
    types = types.replace("</Types>", '<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
                                      'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>')
    sheet = (f'<worksheet xmlns="{SPREADSHEET_NS}"><sheetData><row r="1"><c r="A1" t="s"><v>0</v></c></row>'
             '<row r="2"><c r="A2" t="s"><v>1</v></c></row></sheetData></worksheet>')
    return rewrite_zip(base, {"[Content_Types].xml": types.encode(), "xl/worksheets/sheet1.xml": sheet.encode(),
                              "xl/sharedStrings.xml": shared_strings_xml.encode()})


def test_an_xlsx_with_an_xml_entity_bomb_in_shared_strings_is_refused(client: TestClient,
                                                                       settings: Settings) -> None:
    def strings(doctype: str, second: str) -> str:
        return (f'<?xml version="1.0"?>{doctype}<sst xmlns="{SPREADSHEET_NS}" count="2" uniqueCount="2">'
                f"<si><t>gene</t></si><si><t>{second}</t></si></sst>")

    # The same construction without the entities is a good workbook...
    plain = upload(client, "plain.xlsx", shared_strings_xlsx(strings("", "TP53")))
    assert plain.status_code == 201 and plain.json()["table"]["rows"] == [["TP53"]]
    # ...and with a billion laughs it is refused at once, not expanded.
    laughs = ['<!ENTITY lol0 "lol">'] + [f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10)]
    doctype = "<!DOCTYPE sst [" + "".join(laughs) + "]>"
    error = assert_error(upload(client, "laughs.xlsx", shared_strings_xlsx(strings(doctype, "&lol9;"))), 422)
    assert "not a readable .xlsx" in error["message"]
    assert len(stored_files(settings)) == 2  # the plain workbook and its metadata only


def test_an_oversized_upload_without_content_length_is_stopped_by_counting_bytes(client: TestClient,
                                                                                 settings: Settings) -> None:
    sent = 0

    def body() -> Iterator[bytes]:
        nonlocal sent
        yield (f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.tsv\"\r\n"
               f"Content-Type: text/tab-separated-values\r\n\r\n").encode()
        yield b"a\tb\n"
        for _ in range(64):  # 64 x 64 KiB = 4 MiB, four times the cap
            sent += 65536
            yield b"1\t2\n" * 16384
        yield f"\r\n--{BOUNDARY}--\r\n".encode()

    answer = client.post("/api/uploads", content=body(),
                         headers={"content-type": f"multipart/form-data; boundary={BOUNDARY}"})
    assert answer.request.headers.get("transfer-encoding") == "chunked"
    assert "content-length" not in answer.request.headers
    error = assert_error(answer, 413)
    assert "1 MB" in error["message"]
    assert stored_files(settings) == []


def test_the_upload_route_stops_reading_once_the_cap_is_passed(app: FastAPI, settings: Settings) -> None:
    """Drive the app as a server does, one 64 KiB message at a time, and count what it read."""
    chunks = [(f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.tsv\"\r\n\r\n"
               "a\tb\n").encode()] + [b"1\t2\n" * 16384] * 64 + [f"\r\n--{BOUNDARY}--\r\n".encode()]
    read = 0
    answer: dict[str, object] = {}

    async def receive() -> dict[str, object]:
        nonlocal read
        read += 1
        return {"type": "http.request", "body": chunks[read - 1], "more_body": read < len(chunks)}

    async def send(message: dict[str, object]) -> None:
        if message["type"] == "http.response.start":
            answer["status"] = message["status"]

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
             "scheme": "http", "path": "/api/uploads", "raw_path": b"/api/uploads", "root_path": "",
             "query_string": b"", "client": ("127.0.0.1", 1), "server": ("testserver", 80),
             "headers": [(b"host", b"testserver"),
                         (b"content-type", f"multipart/form-data; boundary={BOUNDARY}".encode())]}
    anyio.run(app, scope, receive, send)
    assert answer["status"] == 413
    assert read <= 18 < len(chunks)  # 1 MB of file is 16 messages; the other 48 were never read
    assert stored_files(settings) == []


def test_an_upload_just_under_the_cap_is_accepted(client: TestClient) -> None:
    content = b"a\tb\n" + b"1\t2\n" * (1024 * 1024 // 4 - 2)
    assert len(content) < 1024 * 1024
    assert upload(client, "fits.tsv", content).status_code == 201


def test_a_body_that_is_not_multipart_or_lacks_the_file_field(client: TestClient) -> None:
    assert_error(client.post("/api/uploads", json={"file": "gene\tp"}), 415)
    error = assert_error(client.post("/api/uploads", files={"other": ("t.tsv", TSV)}), 422)
    assert error["field_errors"][0]["field"] == "/file"
    broken = f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"t.tsv\"\r\n" \
             f"no blank line then garbage\x00\x01--{BOUNDARY}"
    answer = client.post("/api/uploads", content=broken.encode(),
                         headers={"content-type": f"multipart/form-data; boundary={BOUNDARY}"})
    assert answer.status_code in (400, 422) and answer.json()["error"]["status"] == answer.status_code


def test_another_sessions_upload_does_not_exist(client: TestClient, stranger: TestClient) -> None:
    upload_id = upload(client, "mine.tsv", TSV).json()["id"]
    assert_error(stranger.get(f"/api/uploads/{upload_id}"), 404)
    assert_error(client.get("/api/uploads/..%2F..%2Fetc%2Fpasswd"), 404)
    assert_error(client.get("/api/uploads/not-an-id"), 404)
