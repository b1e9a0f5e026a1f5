"""Importing the office's spreadsheets: encodings, XLSX, headers, upserts and row errors."""

from __future__ import annotations

import csv
import uuid
from collections.abc import AsyncIterator, Sequence
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import func, select

from api.db import Database
from api.importer import ImportFormatError, ImportReport, RowError, import_file
from api.migrate import upgrade
from api.models import Asset, AuditLog, Contact, Customer, Part, Site


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    url = f"sqlite+aiosqlite:///{tmp_path}/t.db"
    upgrade(url)
    return url


@pytest.fixture
async def db(db_url: str) -> AsyncIterator[Database]:
    database = Database(db_url)
    yield database
    await database.dispose()


def write_csv(path: Path, rows: Sequence[Sequence[object]], *, encoding: str = "utf-8-sig") -> Path:
    with path.open("w", encoding=encoding, newline="") as f:
        csv.writer(f).writerows(rows)
    return path


def write_xlsx(path: Path, rows: Sequence[Sequence[object]]) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(list(row))
    book.save(path)
    return path


def errors_of(report: ImportReport) -> list[tuple[int, str]]:
    return [(e.row, e.column) for e in report.errors]


async def count(db: Database, model: type) -> int:
    async with db.read() as session:
        return (await session.scalar(select(func.count()).select_from(model))) or 0


async def one_customer(db: Database, code: str) -> Customer:
    async with db.read() as session:
        customer = await session.scalar(select(Customer).where(Customer.code == code))
    assert customer is not None, code
    return customer


async def load_customers(db: Database, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "customers.csv",
        [
            ["code", "name", "address"],
            ["C-001", "上海浦东建工集团", "上海市浦东新区世纪大道100号"],
            ["C-002", "Harbourview Logistics", "1 Century Avenue, Shanghai"],
        ],
    )
    report = await import_file(db, "customers", path)
    assert report.created == 2


async def test_customers_csv_with_chinese_headers_and_bom(db: Database, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "客户.csv",
        [
            ["编号", "名称", "地址", "电话", "邮箱", "语言", "联系人", "联系电话"],
            ["C-001", "上海浦东建工集团", "上海市浦东新区世纪大道100号", "021-58880000",
             "fm@pdjg.example.cn", "中文", "张伟", "13800138000"],
            ["C-002", "Harbourview Logistics", "1 Century Avenue", "", "", "英文", "", ""],
        ],
        encoding="utf-8-sig",
    )  # fmt: skip
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    report = await import_file(db, "customers", path)
    assert (report.total_rows, report.created, report.updated, report.errors) == (2, 2, 0, [])
    first = await one_customer(db, "C-001")
    assert first.name == "上海浦东建工集团"
    assert first.address == "上海市浦东新区世纪大道100号"
    assert first.phone == "021-58880000"
    assert first.email == "fm@pdjg.example.cn"
    assert first.locale == "zh-CN"
    second = await one_customer(db, "C-002")
    assert second.locale == "en"
    async with db.read() as session:
        contacts = (await session.scalars(select(Contact))).all()
    assert [(c.customer_id, c.name, c.phone) for c in contacts] == [
        (first.id, "张伟", "13800138000")
    ]


async def test_gb18030_csv_from_chinese_excel(db: Database, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "parts.csv",
        [
            ["编码", "名称", "英文名称", "单位", "单价(元)"],
            ["P-10023", "交流接触器 CJX2-25", "AC contactor CJX2-25", "个", "¥1,045.5"],
            ["P-10031", "紫铜管 Φ12", "Copper tube", "米", "28"],
        ],
        encoding="gb18030",
    )
    # The file really is not UTF-8, so the fallback is what is being tested.
    with pytest.raises(UnicodeDecodeError):
        path.read_bytes().decode("utf-8")
    report = await import_file(db, "parts", path)
    assert (report.created, report.errors) == (2, [])
    async with db.read() as session:
        parts = {p.code: p for p in (await session.scalars(select(Part))).all()}
    assert parts["P-10023"].name == "交流接触器 CJX2-25"
    assert parts["P-10023"].unit == "个"
    assert parts["P-10023"].price == Decimal("1045.50")
    assert parts["P-10031"].name == "紫铜管 Φ12"
    assert parts["P-10031"].price == Decimal("28.00")


async def test_xlsx_assets_with_date_cells_and_text_dates(db: Database, tmp_path: Path) -> None:
    await load_customers(db, tmp_path)
    path = write_xlsx(
        tmp_path / "设备.xlsx",
        [
            ["客户编号", "站点", "站点地址", "型号", "序列号", "名称", "验收日期", "保修月数",
             "合同号"],
            ["C-001", "一号厂房", "上海市浦东新区金桥路1号", "30XW-1002", "CH2024000001",
             "1号冷水机组", datetime(2024, 3, 15), None, None],
            ["C-001", "一号厂房", None, "3300AP", "EL2024000002", "1号乘客电梯",
             "2024/3/15", 36, "HT-2024-001"],
            ["C-002", None, None, "CR 32-4", 10023, "Pump No. 1", "2024年3月15日", None, None],
            ["C-002", None, None, "CR 32-4", "PU-4", None, "2023-7-1", None, None],
        ],
    )  # fmt: skip
    report = await import_file(db, "assets", path)
    assert (report.total_rows, report.created, report.errors) == (4, 4, [])
    async with db.read() as session:
        assets = {a.serial: a for a in (await session.scalars(select(Asset))).all()}
        sites = {s.name: s for s in (await session.scalars(select(Site))).all()}
    chiller, lift, pump = assets["CH2024000001"], assets["EL2024000002"], assets["10023"]
    assert chiller.acceptance_date == date(2024, 3, 15)
    assert chiller.warranty_end == date(2026, 3, 14)
    assert lift.acceptance_date == date(2024, 3, 15)
    assert (lift.warranty_months, lift.contract_ref) == (36, "HT-2024-001")
    assert lift.warranty_end == date(2027, 3, 14)
    assert pump.acceptance_date == date(2024, 3, 15)
    assert assets["PU-4"].warranty_end == date(2025, 6, 30)
    # Both rows of site 一号厂房 share one site; no site name means the customer's premises.
    assert chiller.site_id == lift.site_id == sites["一号厂房"].id
    assert sites["一号厂房"].address == "上海市浦东新区金桥路1号"
    assert pump.site_id == sites["Harbourview Logistics"].id
    assert sites["Harbourview Logistics"].address == "1 Century Avenue, Shanghai"
    assert len(sites) == 2


async def test_second_import_updates_instead_of_duplicating(db: Database, tmp_path: Path) -> None:
    header = ["code", "name", "name_en", "unit", "price"]
    first = write_csv(
        tmp_path / "a.csv",
        [
            header,
            ["P-1", "轴承 6204", "Bearing 6204", "个", "18"],
            ["P-2", "机械密封", "", "套", "180"],
        ],
    )
    second = write_csv(
        tmp_path / "b.csv",
        [header, ["P-1", "轴承 6204", "Bearing 6204", "个", "19.5"],
         ["P-2", "机械密封", "", "", "180.00"]],
    )  # fmt: skip
    one = await import_file(db, "parts", first)
    two = await import_file(db, "parts", second)
    assert (one.created, one.updated, one.unchanged) == (2, 0, 0)
    assert (two.created, two.updated, two.unchanged) == (0, 1, 1)
    assert await count(db, Part) == 2
    async with db.read() as session:
        parts = {p.code: p for p in (await session.scalars(select(Part))).all()}
    assert parts["P-1"].price == Decimal("19.50")
    # An empty cell leaves the stored value alone.
    assert parts["P-2"].unit == "套"


async def test_parts_take_an_english_unit_under_either_header_language(
    db: Database, tmp_path: Path
) -> None:
    chinese = write_csv(
        tmp_path / "备件.csv",
        [
            ["编码", "名称", "单位", "英文单位"],
            ["P-1", "压缩机 3匹", "台", "set"],
            ["P-2", "紫铜管 Φ12", "米", ""],
            ["P-3", "密封圈", "个", "x" * 21],
        ],
    )
    report = await import_file(db, "parts", chinese)
    assert (report.created, errors_of(report)) == (2, [(4, "英文单位")])
    assert "at most 20" in report.errors[0].message
    english = write_csv(
        tmp_path / "parts.csv",
        [["code", "name", "english_unit"], ["P-1", "压缩机 3匹", ""], ["P-2", "紫铜管 Φ12", "m"]],
    )
    report = await import_file(db, "parts", english)
    assert (report.updated, report.unchanged, report.errors) == (1, 1, [])
    async with db.read() as session:
        parts = {p.code: p for p in (await session.scalars(select(Part))).all()}
    # An empty cell leaves the stored English unit alone, as for every column.
    assert {code: (p.unit, p.unit_en) for code, p in parts.items()} == {
        "P-1": ("台", "set"),
        "P-2": ("米", "m"),
    }


async def test_customer_update_keeps_values_of_empty_cells_and_adds_contacts(
    db: Database, tmp_path: Path
) -> None:
    await load_customers(db, tmp_path)
    path = write_csv(
        tmp_path / "update.csv",
        [["code", "name", "address", "phone", "contact_name"],
         ["C-001", "上海浦东建工集团有限公司", "", "021-1", "李娜"]],
    )  # fmt: skip
    report = await import_file(db, "customers", path)
    assert (report.created, report.updated) == (0, 1)
    customer = await one_customer(db, "C-001")
    assert customer.name == "上海浦东建工集团有限公司"
    assert customer.address == "上海市浦东新区世纪大道100号"
    assert customer.phone == "021-1"
    assert await count(db, Customer) == 2
    assert await count(db, Contact) == 1


async def test_bad_customer_rows_are_reported_and_good_rows_land(
    db: Database, tmp_path: Path
) -> None:
    path = write_csv(
        tmp_path / "c.csv",
        [
            ["编号", "名称", "邮箱", "语言"],
            ["C-1", "好客户一", "", ""],
            ["C-2", "", "", ""],
            ["C-3", "坏邮箱客户", "not-an-email", ""],
            ["C-4", "好客户二", "ok@example.com", "klingon"],
            ["C-5", "好客户三", "", "en"],
        ],
    )
    report = await import_file(db, "customers", path)
    assert errors_of(report) == [(3, "名称"), (4, "邮箱"), (5, "语言")]
    assert "empty" in report.errors[0].message
    assert (report.total_rows, report.created, report.rejected_rows) == (5, 2, 3)
    async with db.read() as session:
        codes = set((await session.scalars(select(Customer.code))).all())
    assert codes == {"C-1", "C-5"}


async def test_bad_prices_are_reported_with_their_row(db: Database, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "p.csv",
        [
            ["code", "name", "price"],
            ["P-1", "good", "12.5"],
            ["P-2", "letters", "abc"],
            ["P-3", "negative", "-4"],
            ["P-4", "good too", ""],
        ],
    )
    report = await import_file(db, "parts", path)
    assert errors_of(report) == [(3, "price"), (4, "price")]
    assert "'abc' is not a price" in report.errors[0].message
    async with db.read() as session:
        parts = {p.code: p.price for p in (await session.scalars(select(Part))).all()}
    assert parts == {"P-1": Decimal("12.50"), "P-4": Decimal("0.00")}


async def test_bad_asset_rows_bad_date_and_unknown_customer(db: Database, tmp_path: Path) -> None:
    await load_customers(db, tmp_path)
    path = write_csv(
        tmp_path / "a.csv",
        [
            ["customer_code", "model", "serial", "acceptance_date", "warranty_months"],
            ["C-001", "M1", "S-1", "2024-13-45", ""],
            ["C-999", "M1", "S-2", "2024-01-01", ""],
            ["C-001", "M1", "S-3", "15/03/2024", ""],
            ["C-001", "M1", "S-4", "2024-01-01", "many"],
            ["C-002", "M1", "S-5", "2024-01-01", "24"],
        ],
    )
    report = await import_file(db, "assets", path)
    assert errors_of(report) == [
        (2, "acceptance_date"),
        (3, "customer_code"),
        (4, "acceptance_date"),
        (5, "warranty_months"),
    ]
    assert "not a real calendar date" in report.errors[0].message
    assert "C-999" in report.errors[1].message
    assert report.created == 1
    async with db.read() as session:
        serials = (await session.scalars(select(Asset.serial))).all()
    assert serials == ["S-5"]


async def test_blank_rows_are_skipped_but_keep_row_numbers(db: Database, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "p.csv",
        [["code", "name", "price"], ["P-1", "a", "1"], ["", "", ""], ["P-2", "b", "x"], [], []],
    )
    report = await import_file(db, "parts", path)
    assert report.total_rows == 2
    assert errors_of(report) == [(4, "price")]


async def test_a_key_twice_in_one_file_is_an_error_on_the_second_row(
    db: Database, tmp_path: Path
) -> None:
    path = write_csv(
        tmp_path / "p.csv", [["code", "name"], ["P-1", "first"], ["P-2", "x"], ["P-1", "again"]]
    )
    report = await import_file(db, "parts", path, batch_size=1)
    assert errors_of(report) == [(4, "code")]
    assert "row 2" in report.errors[0].message
    async with db.read() as session:
        name = await session.scalar(select(Part.name).where(Part.code == "P-1"))
    assert name == "first"


async def test_a_key_repeated_after_a_refused_row_is_not_written_either(
    db: Database, tmp_path: Path
) -> None:
    # Written, the later row would be overwritten by the earlier one once that is corrected.
    path = write_csv(tmp_path / "c.csv", [["code", "name"], ["C-9501", ""], ["C-9501", "second"]])
    report = await import_file(db, "customers", path)
    assert errors_of(report) == [(2, "name"), (3, "code")]
    assert "row 2, which was refused" in report.errors[1].message
    assert report.created == 0
    assert await count(db, Customer) == 0


async def test_a_workbook_named_csv_or_without_extension_is_read_as_a_workbook(
    db: Database, tmp_path: Path
) -> None:
    book = write_xlsx(tmp_path / "c.xlsx", [["编号", "名称"], ["C-1", "上海浦东建工集团"]])
    for name in ("misnamed.csv", "noext"):
        copy = tmp_path / name
        copy.write_bytes(book.read_bytes())
        report = await import_file(db, "customers", copy)
        assert report.errors == [], name
    assert (await one_customer(db, "C-1")).name == "上海浦东建工集团"


async def test_a_note_in_full_width_brackets_is_a_note_on_the_header(
    db: Database, tmp_path: Path
) -> None:
    # What a Chinese input method types: 单价（元）.
    path = write_csv(
        tmp_path / "p.csv", [["编码*", "名称", "单价（元）*"], ["P-7", "滤网", "12.50"]]
    )
    report = await import_file(db, "parts", path)
    assert report.errors == []
    async with db.read() as session:
        price = await session.scalar(select(Part.price).where(Part.code == "P-7"))
    assert price == Decimal("12.50")


async def test_unknown_headers_are_refused_naming_the_expected_ones(
    db: Database, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "c.csv", [["编号", "名称", "传真"], ["C-1", "x", "1"]])
    with pytest.raises(ImportFormatError) as caught:
        await import_file(db, "customers", path)
    message = str(caught.value)
    assert "'传真'" in message
    assert "code/编号 (required)" in message
    assert "contact_phone/联系电话" in message
    assert await count(db, Customer) == 0


async def test_missing_required_columns_are_refused(db: Database, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "a.csv", [["customer_code", "model"], ["C-1", "M"]])
    with pytest.raises(ImportFormatError, match=r"missing required column\(s\) serial/序列号"):
        await import_file(db, "assets", path)


async def test_a_parts_file_imported_as_customers_is_refused(db: Database, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "p.csv", [["编码", "名称", "单价"], ["P-1", "x", "1"]])
    with pytest.raises(ImportFormatError, match="unknown column"):
        await import_file(db, "customers", path)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "is empty"),
        (b"\xef\xbb\xbf\r\n\r\n", "is empty"),
        (b"code,name\r\n", "no data rows"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "Excel 97-2003"),
    ],
)
async def test_unusable_files_get_a_clear_error(
    db: Database, tmp_path: Path, content: bytes, message: str
) -> None:
    path = tmp_path / "parts.csv"
    path.write_bytes(content)
    with pytest.raises(ImportFormatError, match=message):
        await import_file(db, "parts", path)


async def test_a_broken_xlsx_is_refused(db: Database, tmp_path: Path) -> None:
    path = tmp_path / "parts.xlsx"
    path.write_text("code,name\nP-1,x\n")
    with pytest.raises(ImportFormatError, match="not an XLSX"):
        await import_file(db, "parts", path)


async def test_progress_reports_each_batch_up_to_the_total(db: Database, tmp_path: Path) -> None:
    rows = [["code", "name", "price"]] + [[f"P-{i:05d}", f"零件{i}", "1"] for i in range(1201)]
    path = write_xlsx(tmp_path / "parts.xlsx", rows)
    calls: list[tuple[int, int]] = []
    report = await import_file(
        db, "parts", path, batch_size=500, progress=lambda d, t: calls.append((d, t))
    )
    assert calls == [(500, 1201), (1000, 1201), (1201, 1201)]
    assert report.created == 1201
    assert await count(db, Part) == 1201


async def test_imports_are_audited_under_the_actor(db: Database, tmp_path: Path) -> None:
    actor = uuid.uuid4()
    path = write_csv(tmp_path / "p.csv", [["code", "name"], ["P-1", "x"]])
    await import_file(db, "parts", path, actor_id=actor)
    async with db.read() as session:
        entries = (await session.scalars(select(AuditLog).where(AuditLog.entity == "parts"))).all()
    assert [(e.actor_id, e.action) for e in entries] == [(actor, "insert")]


def test_errors_csv_opens_in_excel_with_chinese_headers(tmp_path: Path) -> None:
    report = ImportReport(
        kind="assets",
        total_rows=3,
        created=1,
        updated=0,
        errors=[RowError(2, "验收日期", "'2024-13-45' is not a real calendar date")],
    )
    out = tmp_path / "errors.csv"
    report.write_errors_csv(out)
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")
    with out.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    assert rows == [
        ["row", "column", "message"],
        ["2", "验收日期", "'2024-13-45' is not a real calendar date"],
    ]


async def _assets(db: Database) -> dict[str, Asset]:
    async with db.read() as session:
        return {a.serial: a for a in (await session.scalars(select(Asset))).all()}


async def test_a_contract_end_date_in_the_sheet_wins_and_survives_a_reimport(
    db: Database, tmp_path: Path
) -> None:
    await load_customers(db, tmp_path)
    header = ["customer_code", "model", "serial", "acceptance_date", "warranty_months"]
    first = write_csv(
        tmp_path / "a.csv",
        [
            [*header, "保修截止日"],
            ["C-001", "M1", "S-1", "2024-03-15", "", "2027-12-31"],
            ["C-001", "M1", "S-2", "2024-03-15", "", ""],
        ],
    )
    report = await import_file(db, "assets", first)
    assert (report.created, report.errors) == (2, [])
    assets = await _assets(db)
    assert assets["S-1"].warranty_end == date(2027, 12, 31), "the contract's date wins"
    assert assets["S-2"].warranty_end == date(2026, 3, 14), "derived: 24 months"

    # The next sheet has no end date column: the contract date on record stays, while the
    # derived one follows the new acceptance date.
    second = write_csv(
        tmp_path / "b.csv",
        [
            header,
            ["C-001", "M1", "S-1", "2024-06-01", "36"],
            ["C-001", "M1", "S-2", "2024-06-01", "36"],
        ],
    )
    report = await import_file(db, "assets", second)
    assert (report.updated, report.errors) == (2, [])
    assets = await _assets(db)
    assert assets["S-1"].warranty_end == date(2027, 12, 31)
    assert assets["S-2"].warranty_end == date(2027, 5, 31)


async def test_an_acceptance_date_whose_warranty_runs_off_the_calendar_is_a_row_error(
    db: Database, tmp_path: Path
) -> None:
    await load_customers(db, tmp_path)
    path = write_csv(
        tmp_path / "a.csv",
        [
            ["customer_code", "model", "serial", "acceptance_date"],
            ["C-001", "M1", "S-1", "9999-06-01"],
            ["C-001", "M1", "S-2", "2024-06-01"],
        ],
    )
    report = await import_file(db, "assets", path)
    assert errors_of(report) == [(2, "acceptance_date")]
    assert "outside the calendar" in report.errors[0].message
    assert report.created == 1
