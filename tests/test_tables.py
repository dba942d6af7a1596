"""Reading tables the way users give them: pasted, uploaded, from Excel, in odd encodings."""

from __future__ import annotations

import gzip
import zipfile

import openpyxl
import pytest

from plugin_sdk.tables import TableError, TableLimits, decode_text, parse_table_text, read_table_file


@pytest.mark.parametrize(
    ("text", "separator"),
    [("a\tb\n1\t2\n", "\t"), ("a,b\n1,2\n", ","), ("a;b\n1;2\n", ";"), ('"x, y",b\n"1,5",2\n', ",")],
)
def test_separator_is_detected(text, separator):
    table = parse_table_text(text, "t")
    assert len(table.columns) == 2
    assert table.rows[0][1] == "2"


def test_column_names_are_kept_as_written():
    table = parse_table_text("Symbol\tP.Value\tlog 2 FC\nTP53\t0.01\t1.5\n", "t")
    assert table.columns == ["Symbol", "P.Value", "log 2 FC"]


def test_blank_rows_and_columns_are_dropped_and_empty_headers_named_like_fread():
    text = "a\t\tc\t\n1\t\t3\t\n \t \t \t\n\t\t\t\n4\tx\t6\t\n"
    table = parse_table_text(text, "t")
    assert table.columns == ["a", "V2", "c"]
    assert table.rows == [["1", "", "3"], ["4", "x", "6"]]


def test_windows_line_endings_and_bom():
    table = parse_table_text("\ufeffa,b\r\n1,2\r\n", "t")
    assert table.columns == ["a", "b"]


def test_long_row_names_its_row():
    with pytest.raises(TableError) as caught:
        parse_table_text("a\tb\n1\t2\n3\t4\t5\n", "datTable")
    assert caught.value.row == 2
    assert "row 2 has 3 cells but the header has 2 columns" in str(caught.value)


def test_limits_are_enforced():
    with pytest.raises(TableError, match="limit is 2"):
        parse_table_text("a\n1\n2\n3\n", "t", TableLimits(max_rows=2))


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "gb18030", "latin-1"])
def test_encodings_from_spreadsheet_exports(encoding):
    text = "基因\tvalue\nCafé\t1\n" if encoding != "latin-1" else "gene\tvalue\nCafé\t1\n"
    assert decode_text(text.encode(encoding)) == text


def test_dataframe_types_numbers_like_fread():
    frame = parse_table_text("g\tv\tw\nA\t1.5\tx\nB\t\t2\n", "t").to_dataframe()
    assert frame["v"].dtype.kind == "f"
    assert frame["w"].dtype == object


def test_non_numeric_cells_are_reported_with_rows():
    table = parse_table_text("g\tv\nA\t1\nB\tten\nC\t3\n", "t")
    assert table.non_numeric_cells("v") == [(2, "ten")]


def test_files_by_extension(tmp_path):
    csv_file = tmp_path / "t.csv"
    csv_file.write_text("a,b\n1,2\n")
    gz_file = tmp_path / "t.tsv.gz"
    gz_file.write_bytes(gzip.compress(b"a\tb\n1\t2\n"))
    for path in (csv_file, gz_file):
        assert read_table_file(path, "t").columns == ["a", "b"]
    rds = tmp_path / "t.rds"
    rds.write_bytes(b"X\n")
    with pytest.raises(TableError, match="not accepted"):
        read_table_file(rds, "t")


def test_xlsx_first_sheet_with_formula_text(tmp_path):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["gene", "value"])
    sheet.append(["TP53", 1.0])
    sheet.append(["MYC", 2.5])
    path = tmp_path / "t.xlsx"
    book.save(path)
    table = read_table_file(path, "t")
    assert table.columns == ["gene", "value"]
    assert table.rows == [["TP53", "1"], ["MYC", "2.5"]]


def test_xlsx_bomb_is_refused(tmp_path):
    path = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", "<row/>" * 5_000_000)
    with pytest.raises(TableError, match=r"zip bomb|expands"):
        read_table_file(path, "t")


def test_not_a_zip_named_xlsx(tmp_path):
    path = tmp_path / "fake.xlsx"
    path.write_text("gene\tvalue\n")
    with pytest.raises(TableError, match=r"not a valid \.xlsx"):
        read_table_file(path, "t")
