"""Schemathesis over the app's own OpenAPI document, against a real server process.

No generated request may get a 5xx, and every response must match the documented schema.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.helpers import fieldsync, served


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real Fieldsync server on SQLite, with an admin account."""
    data = tmp_path_factory.mktemp("fuzz")
    fieldsync(
        data,
        "user",
        "create",
        "--role",
        "admin",
        "--username",
        "fuzz",
        "--password",
        "fuzz-password",
    )
    with served(data) as base:
        yield base


@pytest.fixture(scope="module")
def token(server: str) -> str:
    response = httpx.post(
        f"{server}/api/auth/login",
        json={
            "username": "fuzz",
            "password": "fuzz-password",
            "device_id": "0190a0a0-0000-7000-8000-00000000f022",
        },
    )
    response.raise_for_status()
    return str(response.json()["access_token"])


CHECKS = [
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
    content_type_conformance,
]
# Logging out would sign the fuzzing device out half-way through the run. The board's event
# stream never ends, so each generated call would wait out a timeout; test_board.py reads it.
SKIP = {("POST", "/api/auth/logout"), ("GET", "/api/board/events")}


def test_no_server_error_and_no_off_schema_response(server: str, token: str) -> None:
    """Every operation, with generated inputs, as an admin: no 5xx, nothing off the schema."""
    schema = schemathesis.openapi.from_url(f"{server}/schema/openapi.json")
    examples = int(os.environ.get("FIELDSYNC_FUZZ_EXAMPLES", "25"))
    headers = {"Authorization": f"Bearer {token}"}
    tested = []
    for result in schema.get_all_operations():
        operation = result.ok()
        key = (operation.method.upper(), operation.path)
        if key in SKIP or operation.path.startswith("/schema"):
            continue  # /schema/* are Litestar's own document and viewer routes

        @given(case=operation.as_strategy())
        @settings(
            max_examples=examples,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            database=None,
        )
        def check(case: schemathesis.Case) -> None:
            case.call_and_validate(headers=headers, checks=CHECKS)

        check()
        tested.append(key)
    assert len(tested) > 25, tested
