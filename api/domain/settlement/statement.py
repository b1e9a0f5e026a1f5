"""The settlement statement (结算单): a plain PDF (no signature) and an Excel workbook.

The PDF reuses the service report's print CSS (A4, one CJK font family for every script) and
its WeasyPrint call with a fetcher that serves nothing: the statement needs no image.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from importlib import resources
from zoneinfo import ZoneInfo

import jinja2
from markupsafe import Markup

from api.domain.settlement.schemas import SettlementOut
from api.models import Billing
from api.settings import CompanySettings
from api.sheets import append, as_data
from pdf.render import ResourceFetcher, css_string, html_to_pdf

BILLING_TEXT = {Billing.WARRANTY: "保修 Warranty", Billing.CHARGEABLE: "收费 Chargeable"}


@dataclass(frozen=True)
class StatementInfo:
    """What the statement prints beside the settlement itself."""

    company: CompanySettings
    currency: str
    site: str
    asset: str
    printed_at: datetime
    tz: ZoneInfo
    report: str = ""
    """The service report the customer signed, as ``RP-2026-000002 版本 Rev. 1`` (its latest issued
    revision), or "" when none is issued yet: ties the bill to the signed document."""


@cache
def _template() -> jinja2.Template:
    env = jinja2.Environment(
        autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True
    )
    source = resources.files("api.domain.settlement").joinpath("statement.html")
    return env.from_string(source.read_text(encoding="utf-8"))


@cache
def _css() -> Markup:
    # The service report's print CSS: page, fonts, tables.
    text = resources.files("pdf").joinpath("templates/report.css").read_text(encoding="utf-8")
    return Markup(text)  # noqa: S704 (our own file, never user text)


def _local(at: datetime | date | None, tz: ZoneInfo) -> str:
    if isinstance(at, datetime):
        return at.astimezone(tz).strftime("%Y-%m-%d %H:%M")
    return "" if at is None else at.isoformat()


def statement_html(s: SettlementOut, info: StatementInfo) -> str:
    """The statement as HTML; every value is escaped."""
    return _template().render(
        s=s,
        info=info,
        css=_css(),
        footer=css_string(f"{info.company.name} · {s.number}"),
        billing=BILLING_TEXT,
        settled=_local(s.settled_at, info.tz),
        printed=_local(info.printed_at, info.tz),
    )


def statement_pdf(s: SettlementOut, info: StatementInfo) -> bytes:
    """The statement as PDF bytes (WeasyPrint; blocking: call it off the event loop)."""
    return html_to_pdf(statement_html(s, info), ResourceFetcher({}))


TOTAL_LABELS = {
    "warranty": "保修（免费） Warranty",
    "chargeable": "收费 Chargeable",
    "total": "合计 Total",
}
"""The totals' rows; the chargeable total is what the customer is billed (the PDF's 应付金额)."""


def statement_xlsx(s: SettlementOut, info: StatementInfo) -> bytes:
    """The statement as a workbook: a heading, one row per line, then the totals."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "结算单"
    bold = Font(bold=True)
    append(sheet, [f"{info.company.name_zh} {info.company.name}"])
    append(sheet, ["结算单 Settlement statement", s.number])
    append(sheet, ["客户 Customer", s.customer_name])
    append(sheet, ["现场 Site", info.site])
    append(sheet, ["设备 Equipment", info.asset])
    append(sheet, ["服务报告 Service report", info.report or "—"])
    append(
        sheet,
        ["保修 Warranty", "保修期内 In warranty" if s.in_warranty else "保修期外 Out of warranty"],
    )
    append(sheet, ["保修截止 Warranty end", _local(s.warranty_end, info.tz) or "—"])
    append(sheet, ["上门日期 Visit date", _local(s.visit_date, info.tz)])
    append(sheet, ["工时 Labour hours", f"{s.labour_hours} h × {s.labour_rate} {info.currency}"])
    append(sheet, ["上门费 Call-out fee", f"{s.callout_fee} {info.currency}"])
    append(sheet, ["结算时间 Settled", _local(s.settled_at, info.tz) or "草稿 Draft"])
    append(sheet, [])
    append(
        sheet,
        [
            "项目 Item",
            "结算方式 Billing",
            "数量 Qty",
            "单位 Unit",
            "单价 Unit price",
            "金额 Amount",
            "改判原因 Reason",
        ],
    )
    for cell in sheet[sheet.max_row]:
        cell.font = bold
    for line in s.lines:
        append(
            sheet,
            [
                line.description,
                BILLING_TEXT[line.billing],
                float(line.quantity),
                line.unit,
                float(line.unit_price),
                float(line.amount),
                line.reason,
            ],
        )
        for column in (5, 6):
            sheet.cell(row=sheet.max_row, column=column).number_format = "0.00"
    append(sheet, [])
    for name, label in TOTAL_LABELS.items():
        append(sheet, [label, None, None, None, None, float(getattr(s.totals, name))])
        sheet.cell(row=sheet.max_row, column=6).number_format = "0.00"
        sheet.cell(row=sheet.max_row, column=1).font = bold
    for letter, width in zip("ABCDEFG", (36, 22, 10, 10, 16, 16, 30), strict=True):
        sheet.column_dimensions[letter].width = width
    return as_data(book)
