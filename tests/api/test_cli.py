"""The `fieldsync` command line: users, imports with an error report, and request ids."""

from __future__ import annotations

import subprocess
from pathlib import Path

import httpx

from tests.helpers import FIELDSYNC, fieldsync, server_env


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
    assert "4 rows: 2 created, 0 updated, 2 with errors" in result.stdout
    assert "row 3" in result.stderr
    assert "row 4" in result.stderr
    assert errors.exists()
    report = errors.read_text(encoding="utf-8-sig")
    assert "4,单价,'abc' is not a price" in report


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
