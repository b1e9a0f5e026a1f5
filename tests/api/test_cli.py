"""The `fieldsync` command line: users, imports with an error report, and request ids."""

from __future__ import annotations

import sqlite3
import subprocess
import uuid
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from api.cli import main
from api.settings import CalendarSettings, database_url
from tests.helpers import FIELDSYNC, fieldsync, fresh_pg_database, server_env


def test_user_create_refuses_a_duplicate_and_a_short_password(tmp_path: Path) -> None:
    fieldsync(
        tmp_path,
        "user",
        "create",
        "--role",
        "dispatcher",
        "--username",
        "desk1",
        "--password",
        "long-enough",
    )
    again = subprocess.run(
        [
            FIELDSYNC,
            "user",
            "create",
            "--role",
            "dispatcher",
            "--username",
            "desk1",
            "--password",
            "long-enough",
        ],
        env=server_env(tmp_path),
        capture_output=True,
        text=True,
    )
    assert again.returncode != 0
    assert "already exists" in again.stderr
    short = subprocess.run(
        [FIELDSYNC, "user", "create", "--role", "engineer", "--username", "x", "--password", "1"],
        env=server_env(tmp_path),
        capture_output=True,
        text=True,
    )
    assert short.returncode != 0
    assert "at least 8 characters" in short.stderr


def test_user_create_gives_an_engineer_a_van(tmp_path: Path) -> None:
    def create(role: str, username: str) -> None:
        fieldsync(
            tmp_path,
            "user",
            "create",
            "--role",
            role,
            "--username",
            username,
            "--name",
            "李娜",
            "--password",
            "long-enough",
        )

    create("dispatcher", "desk2")
    # A warehouse already there must not pass for the new engineer's van.
    with sqlite3.connect(tmp_path / "fieldsync.db") as db:
        db.execute(
            "INSERT INTO stock_locations (id, kind, name, engineer_id, created_at, updated_at,"
            " version) VALUES (?, 'warehouse', '中心仓库', NULL, '2026-11-27 08:00:00',"
            " '2026-11-27 08:00:00', 1)",
            (uuid.uuid4().hex,),
        )
    create("engineer", "lina")
    with sqlite3.connect(tmp_path / "fieldsync.db") as db:
        vans = db.execute(
            "SELECT u.username, l.name FROM stock_locations l JOIN users u ON u.id = l.engineer_id"
        ).fetchall()
    assert vans == [("lina", "李娜的车 Van lina")]


def test_import_reports_bad_rows_and_writes_the_good_ones(tmp_path: Path) -> None:
    sheet = tmp_path / "parts.csv"
    sheet.write_text(
        "编码,名称,单位,单价\nP-1,阀门,个,12.5\nP-2,,个,3\nP-3,滤网,个,abc\nP-4,皮带,条,8\n",
        encoding="utf-8-sig",
    )
    errors = tmp_path / "errors.csv"
    result = subprocess.run(
        [FIELDSYNC, "import", "parts", str(sheet), "--errors", str(errors)],
        env=server_env(tmp_path),
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1, "a file with bad rows exits non-zero"
    assert "4 rows: 2 created, 0 updated, 0 unchanged, 2 rejected" in result.stdout
    assert "row 3" in result.stderr
    assert "row 4" in result.stderr
    assert errors.exists()
    report = errors.read_text(encoding="utf-8-sig")
    assert "4,单价,'abc' is not a price" in report


def test_import_summary_counts_unchanged_rows_and_rejected_rows(tmp_path: Path) -> None:
    # One bad row with two bad cells is one rejected row; a second import finds the good
    # rows unchanged (docs/import.md: "rows read, created, updated, unchanged and rejected").
    sheet = tmp_path / "parts.csv"
    sheet.write_text("编码,名称,单价\nP-1,阀门,12.5\nP-2,,abc\nP-3,皮带,8\n", encoding="utf-8-sig")
    runner = CliRunner()
    env = {"FIELDSYNC_DATA_DIR": str(tmp_path), "FIELDSYNC_DATABASE_URL": ""}
    first = runner.invoke(main, ["import", "parts", str(sheet)], env=env)
    assert first.exit_code == 1
    assert "3 rows: 2 created, 0 updated, 0 unchanged, 1 rejected" in first.stdout
    again = runner.invoke(main, ["import", "parts", str(sheet)], env=env)
    assert "3 rows: 0 created, 0 updated, 2 unchanged, 1 rejected" in again.stdout


@pytest.mark.parametrize(
    ("variable", "value", "reason"),
    [
        ("FIELDSYNC_HOLIDAYS", "2026-13-01", "'2026-13-01' is not a date"),
        ("FIELDSYNC_TIMEZONE", "Asia/Shanghia", "unknown time zone"),
        ("FIELDSYNC_PORT", "80a", "FIELDSYNC_PORT must be an integer"),
        ("FIELDSYNC_REPORT_AUTO_ISSUE", "ture", "REPORT_AUTO_ISSUE must be true or false"),
        ("FIELDSYNC_SMTP_SECURITY", "tls", "FIELDSYNC_SMTP_SECURITY must be one of starttls"),
        ("FIELDSYNC_BLOB_BACKEND", "ftp", "FIELDSYNC_BLOB_BACKEND must be local or s3, not 'ftp'"),
        ("FIELDSYNC_BLOB_BACKEND", "s3", "FIELDSYNC_S3_BUCKET is required"),
        ("FIELDSYNC_IMAGE_WORKERS", "x", "FIELDSYNC_IMAGE_WORKERS must be an integer"),
        ("FIELDSYNC_PORT", "99999", "FIELDSYNC_PORT must be a port number from 1 to 65535"),
        ("FIELDSYNC_DATABASE_URL", "mysql://u:secret@h/db", "not 'mysql://u:***@h/db'"),
        ("FIELDSYNC_DATABASE_URL", "postgresql+psycopg://h/db", "use postgresql+asyncpg"),
        ("FIELDSYNC_DATABASE_URL", "sqlite+pysqlite:///x.db", "use sqlite+aiosqlite"),
        ("FIELDSYNC_DATABASE_URL", "u:secret@h/db", "is not a database URL"),
        ("FIELDSYNC_DATABASE_URL", "sqlite://", "names no SQLite file"),
    ],
)
def test_a_malformed_setting_stops_the_command_with_its_reason(
    tmp_path: Path, variable: str, value: str, reason: str
) -> None:
    env = {"FIELDSYNC_DATA_DIR": str(tmp_path), variable: value}
    result = CliRunner().invoke(main, ["db", "upgrade"], env=env)
    assert result.exit_code == 1
    assert isinstance(result.exception, SystemExit), "a message, not a traceback"
    assert reason in result.output


def test_database_urls_without_the_async_driver_are_completed() -> None:
    # The forms people copy from psql or other tools; they gave a traceback naming psycopg.
    assert database_url("postgres://u:p%40w@db:5433/fs?ssl=require") == (
        "postgresql+asyncpg://u:p%40w@db:5433/fs?ssl=require"
    )
    assert database_url("postgresql://u@db/fs") == "postgresql+asyncpg://u@db/fs"
    assert database_url("postgres://u@db/fs?sslmode=require") == (
        "postgresql+asyncpg://u@db/fs?ssl=require"
    )
    assert database_url("sqlite:////srv/fs.db") == "sqlite+aiosqlite:////srv/fs.db"
    assert database_url("  ") == ""


@pytest.mark.postgres
def test_a_plain_postgresql_url_migrates(tmp_path: Path) -> None:
    with fresh_pg_database() as url:
        plain = url.replace("postgresql+asyncpg://", "postgresql://")
        env = {"FIELDSYNC_DATA_DIR": str(tmp_path), "FIELDSYNC_DATABASE_URL": plain}
        result = CliRunner().invoke(main, ["db", "upgrade"], env=env)
        assert result.exit_code == 0, result.output


def test_serve_refuses_a_short_secret_key_before_starting(tmp_path: Path) -> None:
    env = {"FIELDSYNC_DATA_DIR": str(tmp_path), "FIELDSYNC_SECRET_KEY": "short"}
    result = CliRunner().invoke(main, ["serve", "--host", "256.0.0.1", "--port", "1"], env=env)
    assert result.exit_code == 1
    assert "at least 32 are needed" in result.output


def test_a_malformed_calendar_is_refused_when_the_settings_are_made() -> None:
    # Parsed lazily, it let the app start and then answered 500 on every job list and board.
    with pytest.raises(ValueError, match=r"FIELDSYNC_HOLIDAYS.*'2026-13-01' is not a date"):
        CalendarSettings(holidays="2026-13-01")


def test_every_response_carries_a_request_id_and_echoes_the_callers(tmp_path: Path) -> None:
    from tests.helpers import served

    with served(tmp_path) as base:
        mine = httpx.get(f"{base}/health", headers={"X-Request-ID": "desk-42"})
        assert mine.headers["x-request-id"] == "desk-42"
        fresh = httpx.get(f"{base}/health")
        assert len(fresh.headers["x-request-id"]) == 32
    log = next(tmp_path.glob("server-*.log")).read_text()
    assert '"request_id": "desk-42"' in log
    assert '"path": "/health"' in log


def test_user_create_refuses_a_username_the_office_could_not_use(tmp_path: Path) -> None:
    for bad in ("", "a b", "x" * 65):
        result = CliRunner().invoke(
            main,
            [
                "user",
                "create",
                "--role",
                "engineer",
                "--username",
                bad,
                "--password",
                "long-enough",
            ],
            env=server_env(tmp_path),
        )
        assert result.exit_code == 2, (bad, result.output)
        assert "1 to 64 letters" in result.output


def test_maintenance_without_a_database_says_so_and_makes_nothing(tmp_path: Path) -> None:
    env = server_env(tmp_path / "empty")
    for command in (["sync", "prune"], ["blobs", "gc"]):
        result = CliRunner().invoke(main, command, env=env)
        assert result.exit_code == 1, (command, result.output)
        assert "no database at" in result.output
        assert "fieldsync db upgrade" in result.output
    assert not (tmp_path / "empty").exists(), "nothing made where no database is"


def test_an_errors_file_is_removed_by_a_run_without_errors(tmp_path: Path) -> None:
    env = server_env(tmp_path)
    listed = tmp_path / "errors.csv"
    bad = tmp_path / "bad.csv"
    bad.write_text("code,name\nC-1,\n", encoding="utf-8")
    good = tmp_path / "good.csv"
    good.write_text("code,name\nC-1,一号客户\n", encoding="utf-8")
    first = CliRunner().invoke(
        main, ["import", "customers", str(bad), "--errors", str(listed)], env=env
    )
    assert first.exit_code == 1, first.output
    assert listed.is_file()
    second = CliRunner().invoke(
        main, ["import", "customers", str(good), "--errors", str(listed)], env=env
    )
    assert second.exit_code == 0, second.output
    assert not listed.exists(), "an earlier run's problems are not left behind"
    # A file that is no error list is never removed, and the file imported is no errors file.
    notes = tmp_path / "notes.csv"
    notes.write_text("my,own,file\n", encoding="utf-8")
    kept = CliRunner().invoke(
        main, ["import", "customers", str(good), "--errors", str(notes)], env=env
    )
    assert kept.exit_code == 0, kept.output
    assert notes.read_text(encoding="utf-8") == "my,own,file\n"
    same = CliRunner().invoke(
        main, ["import", "customers", str(good), "--errors", str(good)], env=env
    )
    assert same.exit_code == 2
    assert "must not be the file imported" in same.output
    assert good.is_file()


def test_a_company_address_set_alone_is_printed_on_chinese_reports_too(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from api.settings import load_settings

    monkeypatch.delenv("FIELDSYNC_COMPANY_ADDRESS", raising=False)
    monkeypatch.delenv("FIELDSYNC_COMPANY_ADDRESS_ZH", raising=False)
    demo = load_settings().company
    assert (demo.address, demo.address_zh) == (
        "88 Keji Road, Pudong, Shanghai",
        "上海市浦东新区科技路88号",
    )
    monkeypatch.setenv("FIELDSYNC_COMPANY_ADDRESS", "杭州市西湖区文三路1号")
    own = load_settings().company
    assert (own.address, own.address_zh) == ("杭州市西湖区文三路1号", ""), "not the demo's"
    monkeypatch.setenv("FIELDSYNC_COMPANY_ADDRESS_ZH", "杭州市西湖区文三路1号 B座")
    assert load_settings().company.address_zh == "杭州市西湖区文三路1号 B座"
    # The Chinese one alone serves the English reports too; an empty value is not set.
    monkeypatch.setenv("FIELDSYNC_COMPANY_ADDRESS", "")
    alone = load_settings().company
    assert (alone.address, alone.address_zh) == (
        "杭州市西湖区文三路1号 B座",
        "杭州市西湖区文三路1号 B座",
    )
    monkeypatch.setenv("FIELDSYNC_COMPANY_ADDRESS_ZH", " ")
    assert load_settings().company == demo
