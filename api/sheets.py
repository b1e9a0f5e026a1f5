"""Workbooks the office downloads (statements, the month's figures)."""

from __future__ import annotations

import io
from typing import Any


def as_data(book: Any) -> bytes:
    """The workbook as .xlsx bytes, every cell as data.

    openpyxl writes any text that starts with "=" as a formula, and these sheets carry text
    that outsiders typed (a customer's name from the public fault form) or staff did: such a
    name must open as text, never run as a formula (``=HYPERLINK(...)``). The office's sheets
    have no formulas of their own.
    """
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if cell.data_type == "f":
                    cell.data_type = "s"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
