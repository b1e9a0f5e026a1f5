"""The ``fieldsync`` command: serve, migrate, demo data, users, spreadsheet imports and
report verification."""

from __future__ import annotations

import asyncio
import logging
import re
import sys
from pathlib import Path
from typing import Any

import click
from sqlalchemy import select

from api.settings import Settings, load_settings


def _settings(ctx: click.Context) -> Settings:
    settings: Settings = ctx.obj
    return settings


@click.group()
@click.pass_context
def main(ctx: click.Context) -> None:
    """Fieldsync: offline-first field service. Settings come from FIELDSYNC_* variables
    (see docs/configuration.md)."""
    try:
        ctx.obj = load_settings()
    except ValueError as exc:  # a malformed FIELDSYNC_* variable: its reason, not a traceback
        raise click.ClickException(str(exc)) from None


@main.command()
@click.option("--host", default=None, help="Address to bind (default FIELDSYNC_HOST).")
@click.option("--port", type=int, default=None, help="Port (default FIELDSYNC_PORT, 8000).")
@click.option("--workers", type=int, default=1, show_default=True, help="Worker processes.")
@click.option("--migrate/--no-migrate", default=True, show_default=True, help="Migrate first.")
@click.pass_context
def serve(
    ctx: click.Context, host: str | None, port: int | None, workers: int, migrate: bool
) -> None:
    """Serve the API, the engineer app and the office console."""
    import uvicorn

    settings = _settings(ctx)
    try:
        settings.effective_secret_key()  # a short key stops here with its reason
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    if migrate:
        _upgrade(settings)
    uvicorn.run(
        "api.app:create_app",
        factory=True,
        host=host or settings.host,
        port=port or settings.port,
        workers=workers,
        log_level="info",
        access_log=False,
        proxy_headers=True,
    )


def _upgrade(settings: Settings) -> None:
    from api.migrate import upgrade

    settings.make_data_dir()
    upgrade(settings.effective_database_url)


@main.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
@click.option("--revision", default="head", show_default=True)
@click.pass_context
def db_upgrade(ctx: click.Context, revision: str) -> None:
    """Migrate the database to the latest schema (or REVISION)."""
    from api.migrate import upgrade

    settings = _settings(ctx)
    settings.make_data_dir()
    upgrade(settings.effective_database_url, revision)
    click.echo(f"database at {revision}")


@db.command("revision")
@click.option("-m", "--message", required=True, help="What the migration changes.")
@click.pass_context
def db_revision(ctx: click.Context, message: str) -> None:
    """Write a new migration from the difference between the models and the database."""
    from alembic import command

    from api.migrate import alembic_config

    command.revision(
        alembic_config(_settings(ctx).effective_database_url), message=message, autogenerate=True
    )


def _need_database(settings: Settings) -> None:
    """Stop with a reason when there is no migrated database to work on: commands that do not
    migrate first would fail deep in SQL (and SQLite would make an empty file)."""
    from sqlalchemy.engine import make_url

    url = make_url(settings.effective_database_url)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        path = Path(url.database)
        if not path.is_file():
            raise click.ClickException(
                f"no database at {path}: run `fieldsync db upgrade` first, or set "
                "FIELDSYNC_DATA_DIR (or FIELDSYNC_DATABASE_URL) to where it is"
            )


def _run_on_db(settings: Settings, work: Any) -> Any:
    """:func:`_with_db` for a command that needs a migrated database, with its refusal said in
    one line."""
    from sqlalchemy.exc import OperationalError, ProgrammingError

    _need_database(settings)
    try:
        return asyncio.run(_with_db(settings, work))
    except (OperationalError, ProgrammingError) as exc:
        raise click.ClickException(
            f"the database could not be used ({exc.orig}); is it migrated (`fieldsync db "
            "upgrade`) and not locked by another process?"
        ) from None


async def _with_db(settings: Settings, work: Any) -> Any:
    from api.db import Database

    database = Database(settings.effective_database_url)
    try:
        return await work(database)
    finally:
        await database.dispose()


@main.command()
@click.pass_context
def demo(ctx: click.Context) -> None:
    """Load bilingual demo data (once; a second run changes nothing)."""
    from api.demo import DEMO_PASSWORD, load_demo
    from api.media.wiring import blob_store

    settings = _settings(ctx)
    _upgrade(settings)
    blobs = blob_store(settings)
    summary = asyncio.run(
        _with_db(
            settings,
            lambda d: load_demo(
                d, calendar=settings.calendar.calendar, blobs=blobs, rates=settings.settlement
            ),
        )
    )
    if summary.skipped:
        click.echo(
            "demo data already loaded; its logins: admin, dispatcher1, dispatcher2, supervisor1, "
            f"quality1, engineer1 … engineer6, password {DEMO_PASSWORD} (unless changed since)"
        )
    else:
        click.echo("demo data loaded")
    print_logins(summary.logins)


def print_logins(logins: list[tuple[str, str, str]]) -> None:
    """Print the demo logins as a small table."""
    if not logins:
        return
    click.echo("demo logins (username / password / role):")
    for username, password, role in logins:
        click.echo(f"  {username:<14} {password:<10} {role}")


@main.group()
def user() -> None:
    """User accounts."""


@user.command("create")
@click.option(
    "--role",
    required=True,
    type=click.Choice(["admin", "dispatcher", "supervisor", "engineer", "quality"]),
)
@click.option("--username", required=True)
@click.option("--password", required=True, help="At least 8 characters.")
@click.option("--name", "display_name", default=None, help="Display name (default: username).")
@click.pass_context
def user_create(
    ctx: click.Context, role: str, username: str, password: str, display_name: str | None
) -> None:
    """Create a user."""
    from api.domain.catalogue.vans import ensure_van
    from api.models import Role, User
    from api.security import hash_password

    if not re.fullmatch(r"[\w.@-]{1,64}", username):
        # The rule of the office's user API: an account it would refuse could never be used.
        raise click.BadParameter(
            "1 to 64 letters, digits, '.', '@', '-' or '_'", param_hint="--username"
        )
    if len(password) < 8:
        raise click.BadParameter("at least 8 characters", param_hint="--password")
    settings = _settings(ctx)
    _upgrade(settings)

    async def work(database: Any) -> None:
        async with database.write() as session:
            exists = await session.scalar(select(User.id).where(User.username == username))
            if exists is not None:
                raise click.ClickException(f"user {username!r} already exists")
            user = User(
                username=username,
                display_name=display_name or username,
                password_hash=hash_password(password),
                role=Role(role),
            )
            session.add(user)
            await ensure_van(session, user)

    asyncio.run(_with_db(settings, work))
    click.echo(f"created {role} {username}")


@main.group("sync")
def sync_group() -> None:
    """The sync feed."""


@sync_group.command("prune")
@click.option("--days", type=int, default=90, show_default=True, help="Keep this many days.")
@click.pass_context
def sync_prune(ctx: click.Context, days: int) -> None:
    """Delete feed entries older than DAYS; devices further behind resync on their next pull."""
    from datetime import timedelta

    from api.domain.sync.maintenance import prune_feed
    from api.models import utcnow

    if days < 1:
        raise click.BadParameter("at least 1", param_hint="--days")
    settings = _settings(ctx)

    async def work(database: Any) -> int:
        async with database.write() as session:
            return await prune_feed(session, now=utcnow(), keep=timedelta(days=days))

    removed = _run_on_db(settings, work)
    click.echo(f"removed {removed} feed entries older than {days} day{'s' if days != 1 else ''}")


@main.group("blobs")
def blobs_group() -> None:
    """Photos and other blobs."""


@blobs_group.command("gc")
@click.pass_context
def blobs_gc(ctx: click.Context) -> None:
    """Remove unfinished uploads untouched for 7 days."""
    from api.media.wiring import make_media
    from api.models import utcnow

    settings = _settings(ctx)
    _need_database(settings)  # before the media folders are made
    media = make_media(settings)

    async def work(database: Any) -> int:
        async with database.write() as session:
            return await media.uploads.expire(session, now=utcnow())

    removed = _run_on_db(settings, work)
    click.echo(f"removed {removed} unfinished uploads")


@main.group("report")
def report_group() -> None:
    """Signed service reports."""


@report_group.command("verify")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--certificate",
    "certificate",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="PKCS#12 file to trust (default: the configured one, else the demo's).",
)
@click.option("--passphrase", default=None, help="Passphrase of --certificate.")
@click.pass_context
def report_verify(
    ctx: click.Context, file: Path, certificate: Path | None, passphrase: str | None
) -> None:
    """Say whether FILE.pdf is a valid, unchanged report signed with our certificate, and
    which report it is. Exit status 0 when valid, 1 otherwise."""
    from pdf.sign import Certificate, signing_certificate, verify_pdf_sync

    settings = _settings(ctx)
    if certificate is not None:
        cert = Certificate(certificate, passphrase or "")
    elif settings.report.pkcs12_path:
        cert = Certificate(Path(settings.report.pkcs12_path), settings.report.pkcs12_passphrase)
    else:
        demo = settings.data_dir / "keys" / "report-signing.p12"
        pass_file = demo.with_name(demo.name + ".pass")
        if not demo.exists() or not pass_file.exists():
            raise click.ClickException(
                f"no signing certificate: set FIELDSYNC_REPORT_PKCS12 or pass --certificate "
                f"(the demo's would be {demo})"
            )
        cert = Certificate(demo, pass_file.read_text().strip())
    from pyhanko.sign.general import SigningError

    # pyHanko logs a certificate it cannot read, and each failed path to a trust root, with a
    # traceback: both are answers of this command, said in one line, not errors to print.
    logging.getLogger("pyhanko").setLevel(logging.CRITICAL)
    logging.getLogger("pyhanko_certvalidator").setLevel(logging.CRITICAL)
    try:
        ours = signing_certificate(cert)
    except (SigningError, OSError, ValueError) as exc:
        raise click.ClickException(f"the signing certificate could not be read: {exc}") from None
    result = verify_pdf_sync(file.read_bytes(), ours)
    click.echo(f"{result.status.upper()}: {result.detail}")
    if result.report_number:
        click.echo(f"report:  {result.report_number} revision {result.revision}")
        click.echo(f"content: sha256 {result.content_sha256}")
    if result.signer:
        click.echo(f"signer:  {result.signer}  at {result.signed_at}")
    sys.exit(0 if result.valid else 1)


def _is_error_list(path: Path) -> bool:
    """Whether ``path`` is an error list an import wrote (its header), and nothing else."""
    try:
        with path.open(encoding="utf-8-sig") as f:
            return f.readline().strip() == "row,column,message"
    except (OSError, UnicodeDecodeError):
        return False


@main.command("import")
@click.argument("kind", type=click.Choice(["customers", "assets", "parts"]))
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--errors",
    "errors_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write every problem found (row, column, message) to this CSV; removed when none.",
)
@click.pass_context
def import_(ctx: click.Context, kind: str, file: Path, errors_path: Path | None) -> None:
    """Import customers, assets or parts from a CSV or XLSX FILE (see docs/import.md)."""
    if errors_path is not None and errors_path.resolve() == file.resolve():
        raise click.BadParameter(
            "the errors file must not be the file imported", param_hint="--errors"
        )
    from api.importer import ImportFormatError, import_file

    settings = _settings(ctx)
    _upgrade(settings)
    bar: Any = None

    def progress(done: int, total: int) -> None:
        nonlocal bar
        if bar is None:
            bar = click.progressbar(length=total, label=f"importing {kind}", file=sys.stderr)
            bar.__enter__()
        bar.update(done - bar.pos)

    try:
        report = asyncio.run(
            _with_db(settings, lambda d: import_file(d, kind, file, progress=progress))  # type: ignore[arg-type]
        )
    except ImportFormatError as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        if bar is not None:
            bar.__exit__(None, None, None)
    click.echo(
        f"{report.total_rows} row{'' if report.total_rows == 1 else 's'}: "
        f"{report.created} created, {report.updated} updated, "
        f"{report.unchanged} unchanged, {report.rejected_rows} rejected"
    )
    for err in report.errors[:20]:
        click.echo(f"  row {err.row}, {err.column}: {err.message}", err=True)
    if len(report.errors) > 20:
        more = "" if errors_path else " (--errors FILE lists them all)"
        click.echo(f"  … and {len(report.errors) - 20} more{more}", err=True)
    if errors_path is not None and report.errors:
        report.write_errors_csv(errors_path)
        click.echo(f"errors written to {errors_path}")
    elif errors_path is not None and _is_error_list(errors_path):
        # A run without problems leaves no list of an earlier run's behind.
        errors_path.unlink()
    if report.errors:
        sys.exit(1)


@main.command()
@click.option(
    "--url", required=True, help="Base URL of a running server, e.g. http://127.0.0.1:8000"
)
@click.option("--engineers", type=click.IntRange(min=1), default=6, show_default=True)
@click.option("--seconds", type=click.FloatRange(min=0), default=60, show_default=True)
@click.option("--password", default="demo1234", show_default=True, help="Every engineer's.")
@click.option(
    "--prefix",
    default="engineer",
    show_default=True,
    help="Usernames are PREFIX1..PREFIXN (`fieldsync demo` makes engineer1..6).",
)
@click.option("--first", type=click.IntRange(min=0), default=1, show_default=True)
@click.option(
    "--think",
    type=click.FloatRange(min=0),
    default=1.0,
    show_default=True,
    help="Seconds each engineer waits between syncs (on average).",
)
@click.option("--seed", type=int, default=None, help="Seed of the simulated choices.")
@click.option(
    "--json",
    "json_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Also write the report as JSON to this file.",
)
def simulate(
    url: str,
    engineers: int,
    seconds: float,
    password: str,
    prefix: str,
    first: int,
    think: float,
    seed: int | None,
    json_path: Path | None,
) -> None:
    """Simulate engineers' phones syncing with a running server: each makes changes on its
    jobs (job.record, note.add, part_line.add), pushes and pulls, for SECONDS. Prints latency
    percentiles and errors; exits 1 if any request failed or any mutation was refused."""
    import msgspec

    from sync.simulate import format_report
    from sync.simulate import simulate as run_simulation

    report = asyncio.run(
        run_simulation(
            url,
            engineers=engineers,
            seconds=seconds,
            password=password,
            prefix=prefix,
            first=first,
            think=think,
            seed=seed,
        )
    )
    click.echo(format_report(report))
    if json_path is not None:
        json_path.write_bytes(msgspec.json.format(msgspec.json.encode(report)))
    if report.errors or report.rejected or report.engineers == 0:
        sys.exit(1)


if __name__ == "__main__":
    main()
