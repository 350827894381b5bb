"""Reading and writing register files: CSV (UTF-8, UTF-16 or Shift_JIS/CP932, detected) and Excel workbooks (.xlsx).

Only shapes here: a table of headers and rows of raw cell values. What the cells mean is certificates/register.py.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.core.exceptions import ValidationError

from staff.shortcuts import SafeCsvWriter

Cell = str | int | float | date | datetime | None

XLSX_MAGIC = b"PK\x03\x04"
XLS_MAGIC = b"\xd0\xcf\x11\xe0"


@dataclass
class Table:
    headers: list[str]
    # (the row's number as the office sees it in its spreadsheet, the cells of that row)
    rows: list[tuple[int, list[Cell]]] = field(default_factory=list)
    encoding: str = ""
    sheets: list[str] = field(default_factory=list)


def decode_text(content: bytes) -> tuple[str, str]:
    """The text of a CSV file and the encoding it was written in: UTF-8 (with or without BOM), UTF-16, CP932."""
    if content.startswith(codecs.BOM_UTF8):
        return content[len(codecs.BOM_UTF8) :].decode("utf-8", errors="strict"), "UTF-8"
    if content.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return content.decode("utf-16"), "UTF-16"
    try:
        return content.decode("utf-8"), "UTF-8"
    except UnicodeDecodeError:
        pass
    try:
        # CP932 is Shift_JIS as Windows writes it (with NEC and IBM extensions such as ①, ㈱ and 髙).
        return content.decode("cp932"), "Shift_JIS"
    except UnicodeDecodeError as exc:
        raise ValidationError(
            "ファイルの文字コードを判別できませんでした。UTF-8 または Shift_JIS の CSV で保存してください。"
        ) from exc


def _is_blank(cells: Sequence[Cell]) -> bool:
    return all(cell is None or (isinstance(cell, str) and not cell.strip()) for cell in cells)


def _table(rows: Iterable[Sequence[Cell]], encoding: str, sheets: list[str] | None = None) -> Table:
    table: Table | None = None
    for number, cells in enumerate(rows, start=1):
        if _is_blank(cells):
            continue
        if table is None:
            headers = ["" if cell is None else str(cell).strip() for cell in cells]
            while headers and not headers[-1]:
                headers.pop()
            table = Table(headers=headers, encoding=encoding, sheets=sheets or [])
            continue
        padded = list(cells[: len(table.headers)]) + [None] * (len(table.headers) - len(cells))
        table.rows.append((number, padded))
    if table is None or not table.headers:
        raise ValidationError("ファイルに見出しの行がありません。1行目に列の見出しを入れてください。")
    return table


def read_csv(content: bytes) -> Table:
    text, encoding = decode_text(content)
    first_line = text.split("\n", 1)[0]
    delimiter = "\t" if "\t" in first_line and "," not in first_line else ","
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as exc:
        raise ValidationError(f"CSV の形が正しくありません（{exc}）。") from exc
    return _table(rows, encoding)


def read_xlsx(content: bytes, sheet: str = "") -> Table:
    import openpyxl

    try:
        workbook = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged or foreign file
        raise ValidationError("Excel ファイルを開けませんでした。ファイルが壊れていないか確かめてください。") from exc
    try:
        names = list(workbook.sheetnames)
        if sheet:
            if sheet not in names:
                raise ValidationError(f"シート「{sheet}」がありません。このファイルのシート：{'、'.join(names)}")
            worksheet = workbook[sheet]
        else:
            worksheet = workbook.worksheets[0]
        return _table(worksheet.iter_rows(values_only=True), "Excel", names)
    finally:
        workbook.close()


def read_table(content: bytes, filename: str, sheet: str = "") -> Table:
    """The header and rows of an uploaded register, whatever its format; ValidationError in Japanese otherwise."""
    if not content:
        raise ValidationError("ファイルが空です。")
    if content.startswith(XLS_MAGIC):
        raise ValidationError(
            "Excel 97-2003 形式（.xls）は読み込めません。Excel で「.xlsx」か「CSV」として保存し直してください。"
        )
    if content.startswith(XLSX_MAGIC) or filename.lower().endswith(".xlsx"):
        return read_xlsx(content, sheet)
    if sheet:
        raise ValidationError("シートを指定できるのは Excel ファイル（.xlsx）だけです。")
    return read_csv(content)


# Unicode characters that Windows writes with a different code point in Shift_JIS (CP932): 〜 is ～ there.
_CP932_SUBSTITUTES = str.maketrans(
    {
        "\u301c": "\uff5e",
        "\u2016": "\u2225",
        "\u2212": "\uff0d",
        "\u00a2": "\uffe0",
        "\u00a3": "\uffe1",
        "\u00ac": "\uffe2",
        "\u2014": "\u2015",
    }
)


def write_csv(headers: Sequence[str], rows: Iterable[Sequence[Any]], *, encoding: str = "utf-8-sig") -> bytes:
    """A CSV file; UTF-8 with a BOM by default, so that Excel opens it with the Japanese intact."""
    out = io.StringIO(newline="")
    writer = SafeCsvWriter(out, lineterminator="\r\n")
    writer.writerow(headers)
    writer.writerows(rows)
    text = out.getvalue()
    if encoding.replace("_", "").lower() in ("cp932", "shiftjis", "sjis", "mskanji"):
        text = text.translate(_CP932_SUBSTITUTES)
    try:
        return text.encode(encoding)
    except UnicodeEncodeError as exc:
        raise ValidationError(
            f"Shift_JIS で書けない文字（{exc.object[exc.start : exc.end]}）があります。"
            "UTF-8 か Excel で出力してください。"
        ) from exc


def write_xlsx(headers: Sequence[str], rows: Iterable[Sequence[Any]], *, title: str = "台帳") -> bytes:
    import openpyxl

    workbook = openpyxl.Workbook(write_only=True)
    worksheet = workbook.create_sheet(title)
    worksheet.append(list(headers))
    for row in rows:
        worksheet.append(list(row))
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
