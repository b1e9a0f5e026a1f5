"""Workbooks the office downloads (statements, the month's figures)."""

from __future__ import annotations

import io
import re
from collections.abc import Iterable
from typing import Any

_UNPRINTABLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
"""Control characters a workbook cannot hold (openpyxl refuses the whole cell)."""


def cell_text(text: str) -> str:
    """Text a workbook can hold: each control character (other than tab and line breaks)
    becomes U+FFFD. Phones and forms send text with them now and then, and one such
    character would otherwise make the whole workbook fail, for every period it falls in."""
    return _UNPRINTABLE.sub("\ufffd", text)


def append(sheet: Any, values: Iterable[object]) -> None:
    """Append a row to ``sheet``, its text made fit for a workbook (:func:`cell_text`)."""
    sheet.append([cell_text(v) if isinstance(v, str) else v for v in values])


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
