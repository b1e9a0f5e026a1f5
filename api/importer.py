"""Import customers, assets and parts from the office's spreadsheets (CSV or XLSX).

Files come from Excel, often on Chinese Windows: CSV in UTF-8 (with or without a BOM) or
GB18030, or an XLSX workbook. Headers may be English or Chinese (``docs/import.md`` lists
them). Rows are upserted by their natural key: customer code, asset (model, serial), part code.
Each row is checked on its own; a bad row is reported with its spreadsheet row number and
skipped while the good rows are written, in batches of their own transactions.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import uuid
import zipfile
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Generic, Literal, Protocol, TypeVar

import openpyxl
from openpyxl.utils.datetime import from_excel
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from api import audit as _audit  # noqa: F401  (imported rows are audited like any other write)
from api.db import Database
from api.domain.customers.services import derive_warranty_end, warranty_end_given
from api.http import DomainError
from api.models import Asset, Base, Contact, Customer, Part, Site
from sync.ids import uuid7

Kind = Literal["customers", "assets", "parts"]
"""What a file holds."""

Progress = Callable[[int, int], None]
"""Called as ``progress(rows_done, rows_total)`` after each batch."""


class ImportFormatError(ValueError):
    """The file as a whole cannot be imported (unreadable, empty, bad columns); nothing written."""


@dataclass(frozen=True)
class RowError:
    """A problem with one row; the row was not written."""

    row: int
    """The row number Excel shows: the header is row 1, the first data row is row 2."""
    column: str
    """The column header as written in the file; empty when the row as a whole failed."""
    message: str


@dataclass(frozen=True)
class ImportReport:
    """What an import did."""

    kind: Kind
    total_rows: int
    """Data rows in the file, blank rows not counted."""
    created: int
    updated: int
    """Existing records that the file changed."""
    errors: list[RowError]
    """Every problem found, by row; a row may have several."""
    unchanged: int = 0
    """Existing records that the file already matched."""

    @property
    def rejected_rows(self) -> int:
        """How many rows were not written because of errors."""
        return len({e.row for e in self.errors})

    def write_errors_csv(self, path: Path) -> None:
        """Write the errors as CSV (row, column, message) for the office to fix and re-import.

        UTF-8 with a BOM, so that Excel on Chinese Windows shows the Chinese headers correctly.
        """
        with path.open("w", encoding="utf-8-sig", newline="") as out:
            writer = csv.writer(out)
            writer.writerow(["row", "column", "message"])
            writer.writerows([e.row, e.column, e.message] for e in self.errors)


# --- Columns ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Column:
    key: str
    names: tuple[str, ...]
    """Accepted headers: the English name first, then the Chinese one, then synonyms."""
    required: bool = False


def _normalise(header: str) -> str:
    """Compare headers loosely: case, spaces, dashes, a ``*`` mark and a note in brackets."""
    # Brackets as typed: ASCII, or full-width as Chinese input methods type them (单价（元）).
    # The * mark first: 单价（元）* has its note at the end once the mark is gone.
    marked = header.strip().strip("*").strip()
    text = re.sub(r"[(\uff08][^)\uff09]*[)\uff09]\s*$", "", marked)
    text = re.sub(r"[\s\-_]+", "_", text.strip().strip("*").strip().lower())
    return text.strip("_")


def _describe(columns: Sequence[_Column]) -> str:
    names = [f"{c.names[0]}/{c.names[1]}{' (required)' if c.required else ''}" for c in columns]
    return ", ".join(names)


# --- Reading the file ----------------------------------------------------------------------

Cell = object
"""A cell value: text from CSV; text, number, date or None from XLSX."""


@dataclass(frozen=True)
class _Table:
    headers: list[str]
    rows: list[tuple[int, list[Cell]]]
    """(spreadsheet row number, cells) of every non-blank data row."""
    from_excel: bool


def _blank(value: Cell) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _split(numbered: Sequence[tuple[int, list[Cell]]], path: Path, excel: bool) -> _Table:
    rows = [(n, cells) for n, cells in numbered if not all(_blank(c) for c in cells)]
    if not rows:
        raise ImportFormatError(f"{path.name} is empty: expected a header row and data rows")
    (_, header), data = rows[0], rows[1:]
    if not data:
        raise ImportFormatError(f"{path.name} has a header row but no data rows below it")
    headers = ["" if h is None else str(h).strip() for h in header]
    return _Table(headers=headers, rows=data, from_excel=excel)


def _read_xlsx(path: Path) -> _Table:
    try:
        # From its bytes, not its name: openpyxl refuses a workbook whose name does not end in
        # .xlsx, and a workbook saved as .csv, or with no extension at all, is still one.
        book = openpyxl.load_workbook(io.BytesIO(path.read_bytes()), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise ImportFormatError(f"{path.name} is not a readable XLSX workbook ({exc})") from None
    try:
        sheet = book.worksheets[0]
        # Some writers store a wrong sheet size; without this, read-only mode trusts it.
        sheet.reset_dimensions()
        numbered = [
            (n, list(values)) for n, values in enumerate(sheet.iter_rows(values_only=True), 1)
        ]
    finally:
        book.close()
    return _split(numbered, path, excel=True)


def _decode(raw: bytes, path: Path) -> str:
    """Text of a CSV file: UTF-8 (BOM or not), UTF-16 with BOM, else GB18030."""
    encodings: tuple[str, ...]
    if raw.startswith(codecs.BOM_UTF8):
        raw, encodings = raw[len(codecs.BOM_UTF8) :], ("utf-8",)
    elif raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encodings = ("utf-16",)  # Excel's "Unicode text" export
    else:
        # GB18030 decodes almost any bytes, so UTF-8 must be tried first.
        encodings = ("utf-8", "gb18030")
    for encoding in encodings:
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    tried = " or ".join(e.upper() for e in encodings)
    raise ImportFormatError(f"{path.name} is not text in {tried}; save it as CSV UTF-8")


def _read_csv(path: Path) -> _Table:
    text = _decode(path.read_bytes(), path)
    first_line = text.lstrip("\r\n").split("\n", 1)[0]
    # Excel writes ";" in some locales and tabs for "Unicode text"; commas otherwise.
    delimiter = max((",", "\t", ";"), key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        numbered = [(n, list[Cell](cells)) for n, cells in enumerate(reader, 1)]
    except csv.Error as exc:
        raise ImportFormatError(f"{path.name} is not valid CSV: {exc}") from None
    return _split(numbered, path, excel=False)


def _read(path: Path) -> _Table:
    """Read a file as CSV or XLSX, judged by its first bytes, then by its extension."""
    with path.open("rb") as f:
        head = f.read(8)
    if head.startswith(b"PK\x03\x04"):
        return _read_xlsx(path)
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise ImportFormatError(
            f"{path.name} is an old Excel 97-2003 (.xls) file; save it as .xlsx or CSV UTF-8"
        )
    if path.suffix.lower() in {".xlsx", ".xlsm"}:
        raise ImportFormatError(f"{path.name} is named like a workbook but is not an XLSX file")
    return _read_csv(path)


# --- Checking cells -----------------------------------------------------------------------

_DATE = re.compile(
    r"(\d{4})\s*(?:[-/.]\s*(\d{1,2})\s*[-/.]\s*(\d{1,2})|年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日?)"
    r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"
)
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_LOCALES = {
    "zh-CN": {"zh-cn", "zh_cn", "zh", "cn", "chinese", "中文", "简体中文", "汉语"},
    "en": {"en", "en-us", "en-gb", "en_us", "english", "英文", "英语"},
}
_MAX_PRICE = Decimal("9999999999.99")  # Numeric(12, 2)


def _limit(table: str, column: str) -> int:
    """The longest text the database column takes, so long cells fail here, not in SQL."""
    length = getattr(Base.metadata.tables[table].c[column].type, "length", None)
    return length if isinstance(length, int) else 1_000_000


def _as_text(value: Cell) -> str:
    if isinstance(value, float) and value.is_integer():
        # Excel stores codes and phone numbers typed as numbers as floats: 10023.0.
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else str(value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


class _Cells:
    """The cells of one row, read by column key; problems go to the shared error list."""

    def __init__(
        self,
        row: int,
        cells: Sequence[Cell],
        columns: dict[str, tuple[int, str]],
        errors: list[RowError],
        *,
        excel: bool,
    ) -> None:
        self.row = row
        self.cells = cells
        self.columns = columns
        self.errors = errors
        self.excel = excel
        self.ok = True

    def header(self, key: str) -> str:
        return self.columns[key][1]

    def error(self, key: str, message: str) -> None:
        self.errors.append(RowError(self.row, self.header(key), message))
        self.ok = False

    def raw(self, key: str) -> Cell:
        """The cell's value, or None if the column is missing or the cell is blank."""
        if key not in self.columns:
            return None
        index = self.columns[key][0]
        value = self.cells[index] if index < len(self.cells) else None
        return None if _blank(value) else value

    def text(self, key: str, *, table: str, column: str, required: bool = False) -> str | None:
        value = self.raw(key)
        if value is None:
            if required:
                self.error(key, "required, but the cell is empty")
            return None
        text = _as_text(value)
        limit = _limit(table, column)
        if len(text) > limit:
            self.error(key, f"too long: {len(text)} characters, at most {limit} allowed")
            return None
        return text

    def date(self, key: str) -> date | None:
        value = self.raw(key)
        if value is None:
            return None
        if isinstance(value, datetime):
            return value.date()
        if isinstance(value, date):
            return value
        # A date cell formatted as a number holds Excel's serial day count.
        if self.excel and isinstance(value, int | float) and 1 <= value < 2_958_466:
            converted = from_excel(value)
            if isinstance(converted, datetime):
                return converted.date()
        text = _as_text(value)
        match = _DATE.fullmatch(text)
        if match:
            year, month, day = (int(g) for g in match.groups() if g is not None)
            try:
                return date(year, month, day)
            except ValueError:
                self.error(key, f"{text!r} is not a real calendar date")
                return None
        self.error(key, f"{text!r} is not a date; write it as 2024-03-15 or 2024/3/15")
        return None

    def whole(self, key: str, *, low: int, high: int, what: str) -> int | None:
        value = self.raw(key)
        if value is None:
            return None
        text = _as_text(value)
        try:
            number = int(text)
        except ValueError:
            self.error(key, f"{text!r} is not a whole number of {what}")
            return None
        if not low <= number <= high:
            self.error(key, f"{number} is out of range: {low} to {high} {what}")
            return None
        return number

    def price(self, key: str) -> Decimal | None:
        value = self.raw(key)
        if value is None:
            return None
        text = _as_text(value)
        cleaned = re.sub(r"[,,\s¥￥]|元$|^RMB|^CNY", "", text, flags=re.IGNORECASE)
        try:
            amount = Decimal(cleaned)
        except InvalidOperation:
            self.error(key, f"{text!r} is not a price; write a number such as 12.50")
            return None
        if not amount.is_finite() or amount < 0 or amount > _MAX_PRICE:
            self.error(key, f"{text!r} is not a price between 0 and {_MAX_PRICE}")
            return None
        return amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)

    def locale(self, key: str) -> str | None:
        value = self.raw(key)
        if value is None:
            return None
        text = _as_text(value)
        for locale, names in _LOCALES.items():
            if text.lower() in names:
                return locale
        self.error(key, f"{text!r} is not a known language; write zh-CN or en")
        return None

    def email(self, key: str, *, table: str) -> str | None:
        text = self.text(key, table=table, column="email")
        if text is not None and not _EMAIL.fullmatch(text):
            self.error(key, f"{text!r} is not an e-mail address")
            return None
        return text


# --- Records of each kind -------------------------------------------------------------------


class _Record(Protocol):
    @property
    def row(self) -> int: ...


@dataclass(frozen=True)
class _CustomerRow:
    row: int
    code: str
    name: str
    address: str | None
    phone: str | None
    email: str | None
    locale: str | None
    notes: str | None
    contact_name: str | None
    contact_phone: str | None


@dataclass(frozen=True)
class _AssetRow:
    row: int
    customer_code: str
    model: str
    serial: str
    site_name: str | None
    site_address: str | None
    name: str | None
    acceptance_date: date | None
    warranty_months: int | None
    warranty_end: date | None
    contract_ref: str | None


@dataclass(frozen=True)
class _PartRow:
    row: int
    code: str
    name: str
    name_en: str | None
    unit: str | None
    unit_en: str | None
    price: Decimal | None


@dataclass
class _Outcome:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)

    def add(self, other: _Outcome) -> None:
        self.created += other.created
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.errors += other.errors


def _apply(obj: object, **values: object) -> bool:
    """Set the given non-empty values on ``obj``; whether anything changed.

    An empty cell leaves the stored value alone, so a partial sheet never wipes data.
    """
    changed = False
    for name, value in values.items():
        if value is not None and getattr(obj, name) != value:
            setattr(obj, name, value)
            changed = True
    return changed


def _parse_customer(c: _Cells) -> _CustomerRow | None:
    t = "customers"
    code = c.text("code", table=t, column="code", required=True)
    name = c.text("name", table=t, column="name", required=True)
    row = _CustomerRow(
        row=c.row,
        code=code or "",
        name=name or "",
        address=c.text("address", table=t, column="address"),
        phone=c.text("phone", table=t, column="phone"),
        email=c.email("email", table=t),
        locale=c.locale("locale"),
        notes=c.text("notes", table=t, column="notes"),
        contact_name=c.text("contact_name", table="contacts", column="name"),
        contact_phone=c.text("contact_phone", table="contacts", column="phone"),
    )
    if row.contact_phone and not row.contact_name:
        c.error("contact_phone", "a contact phone needs a contact name in the same row")
    return row if c.ok else None


async def _write_customers(
    session: AsyncSession, rows: list[_CustomerRow], _headers: dict[str, str]
) -> _Outcome:
    out = _Outcome()
    found = await session.scalars(select(Customer).where(Customer.code.in_([r.code for r in rows])))
    existing = {c.code: c for c in found}
    pairs: list[tuple[_CustomerRow, Customer, bool | None]] = []
    for r in rows:
        customer = existing.get(r.code)
        changed: bool | None = None  # None: created
        if customer is None:
            customer = Customer(
                id=uuid7(),
                code=r.code,
                name=r.name,
                address=r.address or "",
                phone=r.phone or "",
                email=r.email or "",
                locale=r.locale or "zh-CN",
                notes=r.notes or "",
            )
            session.add(customer)
            existing[r.code] = customer
        else:
            changed = _apply(
                customer,
                name=r.name,
                address=r.address,
                phone=r.phone,
                email=r.email,
                locale=r.locale,
                notes=r.notes,
            )
        pairs.append((r, customer, changed))
    # Contacts refer to customers by key only, so the customers must be inserted first.
    await session.flush()
    ids = [customer.id for _, customer, _ in pairs]
    contacts = {
        (ct.customer_id, ct.name): ct
        for ct in await session.scalars(select(Contact).where(Contact.customer_id.in_(ids)))
    }
    for r, customer, changed in pairs:
        contact_changed = False
        if r.contact_name:
            contact = contacts.get((customer.id, r.contact_name))
            if contact is None:
                contact = Contact(
                    id=uuid7(),
                    customer_id=customer.id,
                    name=r.contact_name,
                    phone=r.contact_phone or "",
                )
                session.add(contact)
                contacts[(customer.id, r.contact_name)] = contact
                contact_changed = True
            else:
                contact_changed = _apply(contact, phone=r.contact_phone)
        if changed is None:
            out.created += 1
        elif changed or contact_changed:
            out.updated += 1
        else:
            out.unchanged += 1
    return out


def _parse_asset(c: _Cells) -> _AssetRow | None:
    t = "assets"
    customer_code = c.text("customer_code", table="customers", column="code", required=True)
    model = c.text("model", table=t, column="model", required=True)
    serial = c.text("serial", table=t, column="serial", required=True)
    row = _AssetRow(
        row=c.row,
        customer_code=customer_code or "",
        model=model or "",
        serial=serial or "",
        site_name=c.text("site_name", table="sites", column="name"),
        site_address=c.text("site_address", table="sites", column="address"),
        name=c.text("name", table=t, column="name"),
        acceptance_date=c.date("acceptance_date"),
        warranty_months=c.whole("warranty_months", low=0, high=240, what="months"),
        warranty_end=c.date("warranty_end"),
        contract_ref=c.text("contract_ref", table=t, column="contract_ref"),
    )
    if row.acceptance_date is not None and row.warranty_end is None:
        try:
            derive_warranty_end(row.acceptance_date, row.warranty_months, None)
        except DomainError as exc:
            c.error("acceptance_date", exc.detail)
    return row if c.ok else None


def _derived_end(acceptance: date | None, months: int | None) -> date | None:
    try:
        return derive_warranty_end(acceptance, months, None)
    except DomainError:
        return None


def _warranty_end_after(asset: Asset, r: _AssetRow) -> date | None:
    """The warranty end once row ``r`` is imported over ``asset``: an end date in the sheet
    wins; an end date on record that was not derived (a contract's) stays; else it is derived
    again from the acceptance date and months, as updated by the row."""
    if r.warranty_end is not None:
        return r.warranty_end
    stored = asset.warranty_end
    if warranty_end_given(asset):
        return stored
    acceptance = r.acceptance_date or asset.acceptance_date
    months = asset.warranty_months if r.warranty_months is None else r.warranty_months
    return _derived_end(acceptance, months) or stored


async def _write_assets(
    session: AsyncSession, rows: list[_AssetRow], headers: dict[str, str]
) -> _Outcome:
    out = _Outcome()
    codes = {r.customer_code for r in rows}
    customers = {
        c.code: c for c in await session.scalars(select(Customer).where(Customer.code.in_(codes)))
    }
    known = [r for r in rows if r.customer_code in customers]
    for r in rows:
        if r.customer_code not in customers:
            out.errors.append(
                RowError(
                    r.row,
                    headers["customer_code"],
                    f"no customer with code {r.customer_code!r}; import the customers first",
                )
            )
    ids = [c.id for c in customers.values()]
    sites = {
        (s.customer_id, s.name): s
        for s in await session.scalars(select(Site).where(Site.customer_id.in_(ids)))
    }
    sites_by_id = {s.id: s for s in sites.values()}
    serials = {r.serial for r in known}
    existing = {
        (a.model, a.serial): a
        for a in await session.scalars(select(Asset).where(Asset.serial.in_(serials)))
    }
    placed: list[tuple[_AssetRow, Customer, Site, bool]] = []
    for r in known:
        customer = customers[r.customer_code]
        asset = existing.get((r.model, r.serial))
        found: Site | None
        if r.site_name is None and asset is not None and asset.customer_id == customer.id:
            # No site named: the asset stays where it is.
            found = sites_by_id.get(asset.site_id) or await session.get(Site, asset.site_id)
        else:
            # Without a site name a new asset stands at the customer's own premises.
            found = sites.get((customer.id, r.site_name or customer.name))
        if found is None:
            name = r.site_name or customer.name
            default_address = customer.address if r.site_name is None else ""
            site = Site(
                id=uuid7(),
                customer_id=customer.id,
                name=name,
                address=r.site_address or default_address,
            )
            session.add(site)
            sites[(customer.id, name)] = site
            sites_by_id[site.id] = site
            placed.append((r, customer, site, False))
        else:
            placed.append((r, customer, found, _apply(found, address=r.site_address)))
    # Assets refer to sites by key only, so new sites must be inserted first.
    await session.flush()
    for r, customer, site, site_changed in placed:
        asset = existing.get((r.model, r.serial))
        if asset is None:
            asset = Asset(
                id=uuid7(),
                customer_id=customer.id,
                site_id=site.id,
                model=r.model,
                serial=r.serial,
                name=r.name or "",
                acceptance_date=r.acceptance_date,
                warranty_months=r.warranty_months,
                warranty_end=derive_warranty_end(
                    r.acceptance_date, r.warranty_months, r.warranty_end
                ),
                contract_ref=r.contract_ref or "",
            )
            session.add(asset)
            # A second row with the same key in this batch is caught earlier as a duplicate.
            existing[(r.model, r.serial)] = asset
            out.created += 1
            continue
        end = _warranty_end_after(asset, r)
        changed = _apply(
            asset,
            customer_id=customer.id,
            site_id=site.id,
            name=r.name,
            acceptance_date=r.acceptance_date,
            warranty_months=r.warranty_months,
            warranty_end=end,
            contract_ref=r.contract_ref,
        )
        if changed or site_changed:
            out.updated += 1
        else:
            out.unchanged += 1
    return out


def _parse_part(c: _Cells) -> _PartRow | None:
    t = "parts"
    code = c.text("code", table=t, column="code", required=True)
    name = c.text("name", table=t, column="name", required=True)
    row = _PartRow(
        row=c.row,
        code=code or "",
        name=name or "",
        name_en=c.text("name_en", table=t, column="name_en"),
        unit=c.text("unit", table=t, column="unit"),
        unit_en=c.text("unit_en", table=t, column="unit_en"),
        price=c.price("price"),
    )
    return row if c.ok else None


async def _write_parts(
    session: AsyncSession, rows: list[_PartRow], _headers: dict[str, str]
) -> _Outcome:
    out = _Outcome()
    found = await session.scalars(select(Part).where(Part.code.in_([r.code for r in rows])))
    existing = {p.code: p for p in found}
    for r in rows:
        part = existing.get(r.code)
        if part is None:
            session.add(
                Part(
                    id=uuid7(),
                    code=r.code,
                    name=r.name,
                    name_en=r.name_en or "",
                    unit=r.unit or "个",
                    unit_en=r.unit_en or "",
                    price=r.price if r.price is not None else Decimal("0.00"),
                )
            )
            out.created += 1
        elif _apply(
            part, name=r.name, name_en=r.name_en, unit=r.unit, unit_en=r.unit_en, price=r.price
        ):
            out.updated += 1
        else:
            out.unchanged += 1
    return out


# --- The kinds, and the import ----------------------------------------------------------------

R = TypeVar("R", bound=_Record)


@dataclass(frozen=True)
class _Spec(Generic[R]):
    columns: tuple[_Column, ...]
    parse: Callable[[_Cells], R | None]
    key: Callable[[R], tuple[str, ...]]
    key_column: str
    """The column named in a duplicate-row error."""
    key_columns: tuple[str, ...]
    """The columns the key is made of, as read from a row refused before it had a key."""
    write: Callable[[AsyncSession, list[R], dict[str, str]], Awaitable[_Outcome]]


_COLUMNS: dict[str, tuple[_Column, ...]] = {
    "customers": (
        _Column("code", ("code", "编号", "客户编号", "customer_code", "客户代码"), required=True),
        _Column("name", ("name", "名称", "客户名称", "customer_name"), required=True),
        _Column("address", ("address", "地址")),
        _Column("phone", ("phone", "电话", "telephone")),
        _Column("email", ("email", "邮箱", "e_mail", "电子邮箱", "电子邮件")),
        _Column("locale", ("locale", "语言", "language")),
        _Column("contact_name", ("contact_name", "联系人", "contact")),
        _Column("contact_phone", ("contact_phone", "联系电话", "联系人电话")),
        _Column("notes", ("notes", "备注")),
    ),
    "assets": (
        _Column("customer_code", ("customer_code", "客户编号", "客户代码"), required=True),
        _Column("site_name", ("site_name", "站点", "站点名称", "site")),
        _Column("site_address", ("site_address", "站点地址")),
        _Column("model", ("model", "型号"), required=True),
        _Column(
            "serial", ("serial", "序列号", "出厂编号", "serial_number", "serial_no"), required=True
        ),
        _Column("name", ("name", "名称", "设备名称")),
        _Column("acceptance_date", ("acceptance_date", "验收日期")),
        _Column("warranty_months", ("warranty_months", "保修月数")),
        _Column("warranty_end", ("warranty_end", "保修截止日", "保修截止日期", "保修到期日")),
        _Column("contract_ref", ("contract_ref", "合同号", "contract", "合同编号")),
    ),
    "parts": (
        _Column("code", ("code", "编码", "备件编码", "part_code", "编号"), required=True),
        _Column("name", ("name", "名称", "备件名称"), required=True),
        _Column("name_en", ("name_en", "英文名称", "english_name")),
        _Column("unit", ("unit", "单位")),
        _Column("unit_en", ("unit_en", "英文单位", "english_unit")),
        _Column("price", ("price", "单价", "unit_price", "价格")),
    ),
}
"""Accepted columns of each kind; ``docs/import.md`` shows the same table to office staff."""

_SPECS: dict[str, _Spec[Any]] = {
    "customers": _Spec[_CustomerRow](
        _COLUMNS["customers"],
        _parse_customer,
        lambda r: (r.code,),
        "code",
        ("code",),
        _write_customers,
    ),
    "assets": _Spec[_AssetRow](
        _COLUMNS["assets"],
        _parse_asset,
        lambda r: (r.model, r.serial),
        "serial",
        ("model", "serial"),
        _write_assets,
    ),
    "parts": _Spec[_PartRow](
        _COLUMNS["parts"],
        _parse_part,
        lambda r: (r.code,),
        "code",
        ("code",),
        _write_parts,
    ),
}


def _map_headers(
    kind: str, columns: Sequence[_Column], headers: list[str]
) -> dict[str, tuple[int, str]]:
    """Column key -> (index, header as written); refuses unknown, doubled or missing columns."""
    by_name = {_normalise(name): col for col in columns for name in col.names}
    mapping: dict[str, tuple[int, str]] = {}
    unknown: list[str] = []
    for index, header in enumerate(headers):
        if not header:
            continue  # Excel's empty columns to the right of the data
        column = by_name.get(_normalise(header))
        if column is None:
            unknown.append(header)
        elif column.key in mapping:
            first = mapping[column.key][1]
            raise ImportFormatError(
                f"columns {first!r} and {header!r} both mean {column.names[0]}; keep one of them"
            )
        else:
            mapping[column.key] = (index, header)
    expected = f"{kind} files take these columns: {_describe(columns)}"
    if unknown:
        names = ", ".join(repr(u) for u in unknown)
        raise ImportFormatError(f"unknown column(s) {names}; {expected}")
    missing = [c for c in columns if c.required and c.key not in mapping]
    if missing:
        names = ", ".join(f"{c.names[0]}/{c.names[1]}" for c in missing)
        raise ImportFormatError(f"missing required column(s) {names}; {expected}")
    return mapping


async def _write(
    db: Database,
    spec: _Spec[R],
    records: list[R],
    headers: dict[str, str],
    actor_id: uuid.UUID | None,
) -> _Outcome:
    """Write one batch in its own transaction; if it clashes, retry row by row."""
    try:
        async with db.write(actor_id=actor_id) as session:
            return await spec.write(session, records, headers)
    except IntegrityError as exc:
        # Someone saved the same key meanwhile, or the database refused a row: find which.
        if len(records) == 1:
            reason = str(exc.orig).splitlines()[0] if exc.orig else "a database constraint"
            return _Outcome(errors=[RowError(records[0].row, "", f"not saved: {reason}")])
        total = _Outcome()
        for record in records:
            total.add(await _write(db, spec, [record], headers, actor_id))
        return total


async def _run(
    db: Database,
    kind: Kind,
    spec: _Spec[R],
    table: _Table,
    *,
    actor_id: uuid.UUID | None,
    progress: Progress | None,
    batch_size: int,
) -> ImportReport:
    columns = _map_headers(kind, spec.columns, table.headers)
    headers = {key: header for key, (_, header) in columns.items()}
    total = len(table.rows)
    errors: list[RowError] = []
    outcome = _Outcome()
    first_row: dict[tuple[str, ...], int] = {}
    refused: dict[tuple[str, ...], int] = {}
    """Keys of rows refused for another reason: a later row with the same key is not written
    either (fixed and imported again, the earlier row would overwrite it)."""
    for start in range(0, total, batch_size):
        records: list[R] = []
        for number, cells in table.rows[start : start + batch_size]:
            read = _Cells(number, cells, columns, errors, excel=table.from_excel)
            record = spec.parse(read)
            if record is None:
                raw = tuple(
                    _as_text(read.raw(k)) if read.raw(k) is not None else ""
                    for k in spec.key_columns
                )
                if all(raw):
                    refused.setdefault(raw, number)
                continue
            key = spec.key(record)
            if key in first_row or key in refused:
                shown = " / ".join(key)
                message = (
                    f"{shown} is already on row {first_row[key]}; each appears once"
                    if key in first_row
                    else f"{shown} is also on row {refused[key]}, which was refused: correct "
                    "that row and keep one of the two; each appears once"
                )
                errors.append(RowError(number, headers[spec.key_column], message))
                continue
            first_row[key] = number
            records.append(record)
        if records:
            outcome.add(await _write(db, spec, records, headers, actor_id))
        if progress is not None:
            progress(min(start + batch_size, total), total)
    errors += outcome.errors
    errors.sort(key=lambda e: e.row)
    return ImportReport(
        kind=kind,
        total_rows=total,
        created=outcome.created,
        updated=outcome.updated,
        unchanged=outcome.unchanged,
        errors=errors,
    )


async def import_file(
    db: Database,
    kind: Kind,
    path: Path,
    *,
    actor_id: uuid.UUID | None = None,
    progress: Progress | None = None,
    batch_size: int = 500,
) -> ImportReport:
    """Import a CSV or XLSX file of ``kind``, creating new records and updating existing ones.

    Rows with errors are skipped and listed in the report; the others are written, each
    batch of ``batch_size`` rows in its own transaction, after which ``progress(done, total)``
    is called. Raises :class:`ImportFormatError` when the file as a whole cannot be imported
    (unreadable, empty, unknown or missing columns); then nothing is written.
    """
    if kind not in _SPECS:
        raise ValueError(f"unknown import kind {kind!r}; expected customers, assets or parts")
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, got {batch_size}")
    table = _read(path)
    return await _run(
        db,
        kind,
        _SPECS[kind],
        table,
        actor_id=actor_id,
        progress=progress,
        batch_size=batch_size,
    )
