"""Helpers shared by tests: the small office world, logging in, and real server processes."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import NoReturn

import httpx
from argon2 import PasswordHasher

from api.db import Database
from api.models import Asset, Customer, Signature, SignerRole, Site, User
from bench.served import free_port as free_port  # the tests' servers take ports here too
from bench.served import wait_http

PASSWORD = "correct-horse-9"
# The tests' users share one argon2id hash made with the smallest costs: a login verifies with
# the costs written in the hash, so each of the suite's thousands of logins takes half a
# millisecond instead of the production hash's 0.1 s of two cores. Passwords the app hashes
# itself (new users, resets, the demo) keep the production costs.
PASSWORD_HASH = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1).hash(PASSWORD)


@dataclass
class World:
    """A small office: one user of each role, two engineers, a customer with a site and asset."""

    admin: User
    dispatcher: User
    supervisor: User
    quality: User
    engineer: User
    engineer2: User
    customer: Customer
    site: Site
    asset: Asset


async def login(client: httpx.AsyncClient, username: str) -> dict[str, str]:
    """Log in and return the Authorization header."""
    response = await client.post(
        "/api/auth/login",
        json={"username": username, "password": PASSWORD, "device_id": str(uuid.uuid4())},
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


FIELDSYNC = str(Path(sys.executable).with_name("fieldsync"))
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
"""Under CI every part is required: what is missing fails the test instead of skipping it."""


def require(reason: str) -> NoReturn:
    """A required part is missing here (``reason``): skip locally, fail under CI=true."""
    import pytest

    if IN_CI:
        pytest.fail(f"{reason} (required when CI=true)")
    pytest.skip(reason)


def require_tool(command: str, package: str) -> None:
    """The test needs ``command`` (Debian package ``package``, installed by make test)."""
    if shutil.which(command) is None:
        require(f"{command} is not installed ({package})")


def server_env(data: Path, **extra: str) -> dict[str, str]:
    """The environment of a Fieldsync process keeping its data in ``data``."""
    env = {**os.environ, "FIELDSYNC_DATA_DIR": str(data), **extra}
    if "FIELDSYNC_DATABASE_URL" not in extra:
        env.pop("FIELDSYNC_DATABASE_URL", None)
    return env


def fieldsync(data: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """Run the ``fieldsync`` command with its data in ``data``; fails the test on error."""
    result = subprocess.run(
        [FIELDSYNC, *args], env=server_env(data, **env), capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    return result


@contextmanager
def served(data: Path, **env: str) -> Iterator[str]:
    """A ``fieldsync serve`` process on a free port; yields its base URL. On exit, asserts the
    server logged no unhandled error."""
    port = free_port()
    log_path = data / f"server-{port}.log"
    with log_path.open("w") as log:
        proc = subprocess.Popen(
            [FIELDSYNC, "serve", "--no-migrate", "--port", str(port)],
            env=server_env(data, **env),
            stdout=log,
            stderr=log,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            wait_http(f"{base}/health", proc, log_path, timeout=30)
            yield base
        finally:
            proc.terminate()
            proc.wait(timeout=10)
    errors = [line for line in log_path.read_text().splitlines() if '"level": "error"' in line]
    assert errors == [], errors[:3]


@contextmanager
def fresh_pg_database() -> Iterator[str]:
    """A new, empty PostgreSQL database for server processes to share; dropped afterwards.

    Skips where PostgreSQL is unreachable, except with CI=true, where it fails (the rule of
    ``tests/conftest.py``). Use it from a synchronous fixture: it runs its own event loop.
    """
    import asyncio

    from tests.conftest import _pg_available, _pg_exec, _pg_url

    reason = _pg_available()
    if reason:
        require(reason)
    name = f"fs_p_{uuid.uuid4().hex[:12]}"
    asyncio.run(_pg_exec(f'CREATE DATABASE "{name}"'))
    try:
        yield _pg_url(name)
    finally:
        asyncio.run(_pg_exec(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def upload(
    client: httpx.AsyncClient, headers: dict[str, str], data: bytes
) -> dict[str, object]:
    """Upload ``data`` (at most one chunk) as a photo and complete it; the stored blob's answer
    once its copies are made."""
    import hashlib

    digest = hashlib.sha256(data).hexdigest()
    started = await client.post(
        "/api/uploads", json={"sha256": digest, "size": len(data)}, headers=headers
    )
    assert started.status_code == 200, started.text
    state = started.json()
    sent = await client.put(
        f"/api/uploads/{state['id']}", params={"offset": 0}, content=data, headers=headers
    )
    assert sent.status_code == 200, sent.text
    done = await client.post(f"/api/uploads/{state['id']}/complete", headers=headers)
    assert done.status_code == 200, done.text
    return await settled(client, headers, digest)


async def settled(
    client: httpx.AsyncClient, headers: dict[str, str], digest: str
) -> dict[str, object]:
    """The stored blob once a photo's copies are made (or refused), waiting at most 30 s."""
    for _ in range(3):
        info = await client.get(f"/api/blobs/{digest}/info", params={"wait": 10}, headers=headers)
        assert info.status_code == 200, info.text
        if info.json()["state"] != "processing":
            break
    return dict(info.json())


async def set_aside_signature(db: Database, job_id: str, signer: str) -> None:
    """A customer's signature of an earlier visit of the job, set aside when the job was
    reopened for a new one (as ``reopen`` leaves it)."""
    async with db.write() as session:
        session.add(
            Signature(
                job_id=uuid.UUID(job_id),
                signer_role=SignerRole.CUSTOMER,
                signer_name=signer,
                strokes={"strokes": []},
                content_sha256="0" * 64,
                device_time=datetime.now(UTC),
                superseded_at=datetime.now(UTC),
            )
        )
