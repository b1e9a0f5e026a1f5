"""Workbooks the office downloads keep typed text as text."""

from __future__ import annotations

import io

from openpyxl import Workbook, load_workbook

from api.sheets import as_data


def test_text_that_looks_like_a_formula_opens_as_text_on_every_sheet() -> None:
    book = Workbook()
    first = book.active
    assert first is not None
    first.append(['=HYPERLINK("http://evil.example","看")', 2.5])
    book.create_sheet("more").append(["=1+1"])
    opened = load_workbook(io.BytesIO(as_data(book)))
    cells = [opened.worksheets[0]["A1"], opened.worksheets[1]["A1"]]
    assert [(c.data_type, c.value) for c in cells] == [
        ("s", '=HYPERLINK("http://evil.example","看")'),
        ("s", "=1+1"),
    ]
    assert opened.worksheets[0]["B1"].value == 2.5
