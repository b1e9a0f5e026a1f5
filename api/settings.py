"""Settings read once from the environment, one small dataclass per concern.

Every variable is prefixed ``FIELDSYNC_``; ``docs/configuration.md`` lists them all.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import tempfile
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import cached_property
from pathlib import Path

from sync.rules.sla import WorkCalendar


def _env(name: str, default: str) -> str:
    return os.environ.get(f"FIELDSYNC_{name}", default)


def _env_int(name: str, default: int) -> int:
    raw = _env(name, str(default))
    try:
        return int(raw)
    except ValueError:
        raise ValueError(f"FIELDSYNC_{name} must be an integer, got {raw!r}") from None


def _port(port: int) -> int:
    if not 1 <= port <= 65535:
        raise ValueError(f"FIELDSYNC_PORT must be a port number from 1 to 65535, got {port}")
    return port


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def _env_bool(name: str, default: bool) -> bool:
    raw = _env(name, "true" if default else "false").strip().lower()
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    # Read as false, a typo would quietly turn a feature off (auto-issued reports, say).
    raise ValueError(f"FIELDSYNC_{name} must be true or false (1/0, yes/no, on/off), got {raw!r}")


def _env_choice(name: str, default: str, choices: tuple[str, ...]) -> str:
    raw = _env(name, default).strip().lower()
    if raw not in choices:
        raise ValueError(f"FIELDSYNC_{name} must be one of {', '.join(choices)}, got {raw!r}")
    return raw


SMTP_SECURITY = ("starttls", "ssl", "none")
"""How the mail server is reached: STARTTLS on a plain port, TLS from the start, or in clear."""


@dataclass(frozen=True)
class CompanySettings:
    """Who issues the service reports."""

    name: str = "Fieldsync Demo Engineering Co., Ltd."
    """Company name printed on reports and e-mails."""
    name_zh: str = "菲尔德工程技术有限公司"
    """Chinese company name printed on zh-CN reports."""
    address: str = "88 Keji Road, Pudong, Shanghai"
    """Company address printed on reports."""
    address_zh: str = "上海市浦东新区科技路88号"
    """Company address printed on zh-CN reports; "" prints ``address`` there too."""
    phone: str = "400-800-0000"
    """The 7x24 service line printed on reports."""
    logo_path: str = ""
    """Optional path of a PNG or SVG logo for reports."""


@dataclass(frozen=True)
class CalendarSettings:
    """The working-day calendar that the SLA clock counts in."""

    timezone: str = "Asia/Shanghai"
    """IANA time zone of the service department."""
    weekdays: str = "mon,tue,wed,thu,fri"
    """Normal working weekdays."""
    holidays: str = ""
    """Comma-separated ISO dates that are not working days."""
    extra_workdays: str = ""
    """Comma-separated ISO dates worked although they fall on a weekend (调休)."""

    def __post_init__(self) -> None:
        # Parsed now, so that a malformed calendar stops the app at start with its reason
        # rather than answering 500 on every route that counts working days.
        _ = self.calendar

    @cached_property
    def calendar(self) -> WorkCalendar:
        """The parsed calendar; ``ValueError`` naming the settings when one is malformed."""
        try:
            return WorkCalendar.from_strings(
                self.timezone, self.weekdays, self.holidays, self.extra_workdays
            )
        except ValueError as exc:
            raise ValueError(
                "the working-day calendar (FIELDSYNC_TIMEZONE, FIELDSYNC_WORKDAYS, "
                f"FIELDSYNC_HOLIDAYS, FIELDSYNC_EXTRA_WORKDAYS) is wrong: {exc}"
            ) from None


@dataclass(frozen=True)
class AuthSettings:
    """Token lifetimes and login throttling."""

    access_minutes: int = 15
    """Lifetime of an access token."""
    refresh_days: int = 60
    """Lifetime of a device's refresh token, renewed at each refresh."""
    login_attempts: int = 10
    """Failed logins allowed per username and address per window."""
    login_window_seconds: int = 300
    """The window for counting failed logins."""


@dataclass(frozen=True)
class ReportSettings:
    """Service reports: signing certificate, rendering workers, links (docs/report.md)."""

    pkcs12_path: str = ""
    """PKCS#12 file of the company's signing certificate; unset: a self-signed demo one is
    made under the data folder on first use (with a warning)."""
    pkcs12_passphrase: str = ""
    """Passphrase of the PKCS#12 file."""
    workers: int = 1
    """Worker processes that render and sign reports (0: render in a thread of the app)."""
    public_url: str = "http://127.0.0.1:8000"
    """Base URL printed in reports (verification QR code) and customer links."""
    link_days: int = 30
    """Default lifetime of a customer link, in days."""
    auto_issue: bool = True
    """Issue the report when a push brings the customer's signature on a completed job."""
    currency: str = "CNY"
    """Currency of the prices printed on reports."""


@dataclass(frozen=True)
class SmtpSettings:
    """Outgoing mail for reports; no host means no mail."""

    host: str = ""
    """SMTP server; empty: reports are not e-mailed."""
    port: int = 587
    """SMTP port."""
    security: str = "starttls"
    """One of :data:`SMTP_SECURITY`."""
    """starttls, ssl (implicit TLS) or none."""
    username: str = ""
    """Login name, if the server wants one."""
    password: str = ""
    """Password for ``username``."""
    sender: str = ""
    """From address of report mails."""
    timeout: int = 30
    """Seconds before a mail attempt gives up."""
    escalate_to: str = ""
    """Addresses (comma-separated) told at once of a critical fault or a serious complaint,
    besides the supervisors and administrators with an e-mail address on file (the director's,
    say)."""


def _env_money(name: str, default: str) -> Decimal:
    raw = _env(name, default)
    try:
        value = Decimal(raw)
    except InvalidOperation:
        value = Decimal("NaN")
    # Range before places: rounding a huge value would exceed Decimal's precision.
    if (
        not value.is_finite()
        or not 0 <= value <= Decimal("99999999.99")
        or value != round(value, 2)
    ):
        raise ValueError(f"FIELDSYNC_{name} must be an amount like 180.00, got {raw!r}")
    return value


@dataclass(frozen=True)
class SettlementSettings:
    """Rates of the settlement (结算, docs/settlement.md)."""

    labour_rate: Decimal = Decimal("180.00")
    """Price of one hour of labour."""
    callout_fee: Decimal = Decimal("150.00")
    """Fee of one visit (上门费)."""


@dataclass(frozen=True)
class Settings:
    """All settings of one Fieldsync process."""

    data_dir: Path = field(default_factory=lambda: Path("var"))
    """Folder for the SQLite database, blobs, keys and generated files."""
    database_url: str = ""
    """SQLAlchemy async URL; default: SQLite file ``fieldsync.db`` in the data folder."""
    secret_key: str = ""
    """Signing key for tokens; generated and kept in the data folder on first run if unset."""
    host: str = "127.0.0.1"
    """Address that ``fieldsync serve`` binds to."""
    port: int = 8000
    """Port that ``fieldsync serve`` binds to."""
    max_body_bytes: int = 2 * 1024 * 1024
    """Largest JSON request body accepted."""
    redis_url: str = ""
    """Optional Redis URL for live updates shared between app processes."""
    debug: bool = False
    """Litestar debug mode (tracebacks in responses); never in production."""
    company: CompanySettings = field(default_factory=CompanySettings)
    calendar: CalendarSettings = field(default_factory=CalendarSettings)
    auth: AuthSettings = field(default_factory=AuthSettings)
    report: ReportSettings = field(default_factory=ReportSettings)
    smtp: SmtpSettings = field(default_factory=SmtpSettings)
    settlement: SettlementSettings = field(default_factory=SettlementSettings)

    @property
    def effective_database_url(self) -> str:
        """The database URL, defaulting to SQLite in the data folder."""
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'fieldsync.db').resolve()}"

    def make_data_dir(self) -> Path:
        """The data folder, made if missing, readable by its owner only: it holds the
        database (customers' personal data, password hashes), photos and the signing key."""
        self.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        return self.data_dir

    def effective_secret_key(self) -> str:
        """The token signing key; made once and kept in the data folder when not configured.

        Raises ``ValueError`` for a key shorter than :data:`MIN_SECRET_KEY_LENGTH` characters.
        """
        if self.secret_key:
            return _checked_key(self.secret_key, "FIELDSYNC_SECRET_KEY")
        path = self.data_dir / "secret_key"
        if not path.exists():
            _create_key_file(path)
        return _checked_key(path.read_text().strip(), str(path))


MIN_SECRET_KEY_LENGTH = 32
"""Shortest signing key accepted: HS256 wants at least 256 bits of secret."""


def _checked_key(key: str, source: str) -> str:
    if len(key) < MIN_SECRET_KEY_LENGTH:
        raise ValueError(
            f"the secret key from {source} has {len(key)} characters; at least "
            f"{MIN_SECRET_KEY_LENGTH} are needed (e.g. `python -c 'import secrets; "
            f"print(secrets.token_urlsafe(48))'`)"
        )
    return key


def _create_key_file(path: Path) -> None:
    """Write a new key to ``path`` unless another process got there first.

    The key is written whole to a temporary file, then linked to its final name: the link
    fails if the name exists, and nobody can ever read a half-written key.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".secret_key.", dir=path.parent)
    try:
        with os.fdopen(fd, "w") as fh:  # mkstemp makes it readable by its owner only (600)
            fh.write(secrets.token_urlsafe(48))
            fh.flush()
            os.fsync(fh.fileno())
        with contextlib.suppress(FileExistsError):
            os.link(tmp, path)  # the winner's key is the one everybody reads back
    finally:
        os.unlink(tmp)


def _addresses() -> dict[str, str]:
    """The company's addresses: each language's as set; one set alone serves both (never the
    demo's other one); neither set, the demo's. An empty value counts as not set."""
    address = _env("COMPANY_ADDRESS", "").strip()
    address_zh = _env("COMPANY_ADDRESS_ZH", "").strip()
    if not address and not address_zh:
        return {"address": CompanySettings.address, "address_zh": CompanySettings.address_zh}
    return {"address": address or address_zh, "address_zh": address_zh}


DRIVERS = {"sqlite": "aiosqlite", "postgresql": "asyncpg"}
"""The databases Fieldsync runs on, each with the one async driver it is tested with."""


def database_url(raw: str) -> str:
    """``FIELDSYNC_DATABASE_URL`` as SQLAlchemy will open it ("" for the default SQLite file).

    The plain forms people copy from elsewhere (``postgresql://``, ``postgres://``,
    ``sqlite:///``) get the async driver; any other database or driver is refused with the
    forms that work, instead of a traceback when the first command opens it.
    """
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    raw = raw.strip()
    if not raw:
        return ""
    if raw.startswith("postgres://"):  # libpq's short form, which SQLAlchemy does not know
        raw = "postgresql://" + raw.removeprefix("postgres://")
    try:
        url = make_url(raw)
    except ArgumentError:
        url = None
    usable = "sqlite+aiosqlite:///path/to/fieldsync.db or postgresql+asyncpg://user:pw@host/db"
    if url is None:  # not echoed: it may hold a password
        raise ValueError(f"FIELDSYNC_DATABASE_URL is not a database URL; use {usable}")
    if url.get_backend_name() not in DRIVERS:
        shown = url.render_as_string(hide_password=True)
        raise ValueError(f"FIELDSYNC_DATABASE_URL must be {usable}, not {shown!r}")
    backend, driver = url.get_backend_name(), url.get_driver_name()
    wanted = DRIVERS[backend]
    if url.drivername not in (backend, f"{backend}+{wanted}"):
        raise ValueError(
            f"FIELDSYNC_DATABASE_URL: the {backend} driver {driver!r} is not one Fieldsync "
            f"runs with; use {backend}+{wanted} ({usable})"
        )
    if backend == "sqlite" and not url.database:
        raise ValueError(
            "FIELDSYNC_DATABASE_URL names no SQLite file (sqlite+aiosqlite:///path/to/file.db); "
            "leave it unset for fieldsync.db in FIELDSYNC_DATA_DIR"
        )
    url = url.set(drivername=f"{backend}+{wanted}")
    if backend == "postgresql" and "sslmode" in url.query:
        # libpq's sslmode, as hosting providers write it; asyncpg calls it ssl.
        query = dict(url.query)
        query["ssl"] = query.pop("sslmode")
        url = url.set(query=query)
    return url.render_as_string(hide_password=False)


def _check_media_env() -> None:
    """The media variables read where the stores are made (api/media/wiring.py), checked with
    the rest, so that a bad one stops every command with its name, not a traceback later."""
    backend = _env("BLOB_BACKEND", "local")
    if backend not in ("local", "s3"):
        raise ValueError(f"FIELDSYNC_BLOB_BACKEND must be local or s3, not {backend!r}")
    if backend == "s3" and not _env("S3_BUCKET", ""):
        raise ValueError("FIELDSYNC_S3_BUCKET is required with FIELDSYNC_BLOB_BACKEND=s3")
    if _env_int("IMAGE_WORKERS", 2) < 1:
        raise ValueError("FIELDSYNC_IMAGE_WORKERS must be at least 1")


def load_settings() -> Settings:
    """Read the settings from ``FIELDSYNC_*`` environment variables."""
    _check_media_env()
    return Settings(
        data_dir=Path(_env("DATA_DIR", "var")),
        database_url=database_url(_env("DATABASE_URL", "")),
        secret_key=_env("SECRET_KEY", ""),
        host=_env("HOST", "127.0.0.1"),
        port=_port(_env_int("PORT", 8000)),
        max_body_bytes=_env_int("MAX_BODY_BYTES", 2 * 1024 * 1024),
        redis_url=_env("REDIS_URL", ""),
        debug=_env_bool("DEBUG", False),
        company=CompanySettings(
            name=_env("COMPANY_NAME", CompanySettings.name),
            name_zh=_env("COMPANY_NAME_ZH", CompanySettings.name_zh),
            **_addresses(),
            phone=_env("COMPANY_PHONE", CompanySettings.phone),
            logo_path=_env("COMPANY_LOGO", ""),
        ),
        calendar=CalendarSettings(
            timezone=_env("TIMEZONE", CalendarSettings.timezone),
            weekdays=_env("WORKDAYS", CalendarSettings.weekdays),
            holidays=_env("HOLIDAYS", ""),
            extra_workdays=_env("EXTRA_WORKDAYS", ""),
        ),
        auth=AuthSettings(
            access_minutes=_env_int("ACCESS_MINUTES", AuthSettings.access_minutes),
            refresh_days=_env_int("REFRESH_DAYS", AuthSettings.refresh_days),
            login_attempts=_env_int("LOGIN_ATTEMPTS", AuthSettings.login_attempts),
            login_window_seconds=_env_int(
                "LOGIN_WINDOW_SECONDS", AuthSettings.login_window_seconds
            ),
        ),
        report=ReportSettings(
            pkcs12_path=_env("REPORT_PKCS12", ""),
            pkcs12_passphrase=_env("REPORT_PKCS12_PASSPHRASE", ""),
            workers=_env_int("REPORT_WORKERS", ReportSettings.workers),
            public_url=_env("PUBLIC_URL", ReportSettings.public_url).rstrip("/"),
            link_days=_env_int("REPORT_LINK_DAYS", ReportSettings.link_days),
            auto_issue=_env_bool("REPORT_AUTO_ISSUE", True),
            currency=_env("REPORT_CURRENCY", ReportSettings.currency),
        ),
        smtp=SmtpSettings(
            host=_env("SMTP_HOST", ""),
            port=_env_int("SMTP_PORT", SmtpSettings.port),
            security=_env_choice("SMTP_SECURITY", SmtpSettings.security, SMTP_SECURITY),
            username=_env("SMTP_USERNAME", ""),
            password=_env("SMTP_PASSWORD", ""),
            sender=_env("SMTP_FROM", ""),
            timeout=_env_int("SMTP_TIMEOUT", SmtpSettings.timeout),
            escalate_to=_env("ESCALATE_TO", ""),
        ),
        settlement=SettlementSettings(
            labour_rate=_env_money("LABOUR_RATE", "180.00"),
            callout_fee=_env_money("CALLOUT_FEE", "150.00"),
        ),
    )
