"""Fixes of a security review: each test shows the hole it closes."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from litestar import Litestar

from api.db import Database
from tests.helpers import World, login


class _Lines(logging.Handler):
    """Every formatted line and structured field the app's loggers emit."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(f"{record.getMessage()} {getattr(record, 'fields', '')}")


@pytest.fixture
def app_log(app: Litestar) -> Iterator[_Lines]:
    """What the ``fieldsync`` loggers write (they do not propagate to pytest's caplog); after
    the app is made, which sets the loggers' handlers."""
    handler = _Lines()
    logger = logging.getLogger("fieldsync")
    logger.addHandler(handler)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)


async def test_a_customer_link_token_never_reaches_the_log(
    client: httpx.AsyncClient, world: World, app_log: _Lines
) -> None:
    desk = await login(client, "desk")
    job = await client.post(
        "/api/jobs",
        json={
            "customer_id": str(world.customer.id),
            "channel": "phone",
            "fault_description": "停机",
        },
        headers=desk,
    )
    assert job.status_code == 201, job.text
    made = await client.post(
        f"/api/jobs/{job.json()['job']['id']}/report-links", json={"days": 7}, headers=desk
    )
    token = made.json()["token"]
    for path in (f"/r/{token}", f"/r/{token}/pdf", f"/r/{token}/images/{'a' * 64}"):
        await client.get(path)
    await client.post(f"/r/{token}/rating", json={"score": 9})
    logged = "\n".join(app_log.lines)
    assert "/r/<token>" in logged
    assert token not in logged
    # The verification page's code is printed on the report for anyone: it stays readable.
    await client.get(f"/r/check/{'0' * 32}")
    assert f"/r/check/{'0' * 32}" in "\n".join(app_log.lines)


class _Stream:
    """A GET answered as a stream, driven straight through ASGI (httpx's in-process transport
    reads a whole answer before returning, and an event stream never ends by itself)."""

    def __init__(self, app: Litestar, path: str, headers: dict[str, str]) -> None:
        self.chunks: asyncio.Queue[bytes | None] = asyncio.Queue()
        self.status = 0
        self._gone = asyncio.Event()
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "GET",
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "query_string": b"",
            "root_path": "",
            "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
            "client": ("127.0.0.1", 5000),
            "server": ("testserver", 80),
        }
        self.task = asyncio.ensure_future(app(scope, self._receive, self._send))  # type: ignore[arg-type]

    async def _receive(self) -> dict[str, object]:
        if not hasattr(self, "_asked"):
            self._asked = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await self._gone.wait()
        return {"type": "http.disconnect"}

    async def _send(self, message: dict[str, object]) -> None:
        if message["type"] == "http.response.start":
            self.status = int(message["status"])  # type: ignore[call-overload]
        elif message["type"] == "http.response.body":
            body = message.get("body", b"")
            if body:
                await self.chunks.put(bytes(body))  # type: ignore[arg-type]
            if not message.get("more_body", False):
                await self.chunks.put(None)

    async def until(self, text: str) -> str:
        """What the stream sent until ``text`` appeared in it (or it ended: then all of it)."""
        seen = ""
        while text not in seen:
            chunk = await asyncio.wait_for(self.chunks.get(), timeout=20)
            if chunk is None:
                return seen + "<end>"
            seen += chunk.decode()
        return seen

    async def close(self) -> None:
        self._gone.set()
        with contextlib.suppress(BaseException):
            await asyncio.wait_for(self.task, timeout=5)


async def _register(client: httpx.AsyncClient, world: World, desk: dict[str, str]) -> str:
    made = await client.post(
        "/api/jobs",
        json={
            "customer_id": str(world.customer.id),
            "channel": "phone",
            "fault_description": "停机",
        },
        headers=desk,
    )
    assert made.status_code == 201, made.text
    return str(made.json()["job"]["id"])


@pytest.mark.parametrize("how", ["logout", "revoked", "disabled"])
async def test_a_board_stream_ends_when_its_session_does(
    app: Litestar,
    client: httpx.AsyncClient,
    world: World,
    monkeypatch: pytest.MonkeyPatch,
    how: str,
) -> None:
    monkeypatch.setenv("FIELDSYNC_LIVE_KEEPALIVE_SECONDS", "0.2")
    async with app.lifespan():
        watcher, other, admin = await login(client, "desk"), await login(client, "boss"), None
        stream = _Stream(app, "/api/board/events", watcher)
        try:
            assert "event: ready" in await stream.until("event: ready")
            assert stream.status == 200
            first = await _register(client, world, other)
            assert first in await stream.until(first)  # the stream works
            if how == "logout":
                ended = await client.post("/api/auth/logout", headers=watcher)
            elif how == "revoked":
                admin = await login(client, "admin")
                (device,) = (
                    await client.get(f"/api/devices?user_id={world.dispatcher.id}", headers=admin)
                ).json()
                ended = await client.post(f"/api/devices/{device['id']}/revoke", headers=admin)
            else:
                admin = await login(client, "admin")
                ended = await client.patch(
                    f"/api/users/{world.dispatcher.id}", json={"active": False}, headers=admin
                )
            assert ended.status_code in (200, 204), ended.text
            assert (await client.get("/api/board", headers=watcher)).status_code == 401
            second = await _register(client, world, other)
            rest = await stream.until(second)
            # Before the fix the signed-out desk kept hearing of every change.
            assert second not in rest
            assert rest.endswith("<end>")
        finally:
            await stream.close()


async def test_a_board_stream_ends_when_its_access_token_expires(
    app: Litestar, client: httpx.AsyncClient, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FIELDSYNC_LIVE_KEEPALIVE_SECONDS", "0.2")
    async with app.lifespan():
        watcher, other = await login(client, "desk"), await login(client, "boss")
        stream = _Stream(app, "/api/board/events", watcher)
        try:
            assert "event: ready" in await stream.until("event: ready")
            # The token's lifetime passes (15 minutes by default) while the stream is open.
            real = time.time
            monkeypatch.setattr(time, "time", lambda: real() + 16 * 60)
            job = await _register(client, world, other)
            rest = await stream.until(job)
            assert job not in rest
            assert rest.endswith("<end>")
        finally:
            await stream.close()


@pytest.mark.parametrize(
    ("path", "shell"),
    [
        ("/app/", "index.html"),
        ("/app/jobs/123", "index.html"),
        ("/app/assets/app-1234.js", ""),
        ("/office/", "office/office.html"),
        ("/office/board", "office/office.html"),
    ],
)
async def test_the_app_and_the_console_refuse_to_be_framed(
    client: httpx.AsyncClient,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    path: str,
    shell: str,
) -> None:
    dist = tmp_path / "dist"
    (dist / "assets").mkdir(parents=True)
    (dist / "office").mkdir()
    (dist / "index.html").write_text("<!doctype html><title>app</title>")
    (dist / "office" / "office.html").write_text("<!doctype html><title>office</title>")
    (dist / "assets" / "app-1234.js").write_text("export {}")
    monkeypatch.setattr("api.web.PWA_DIST", dist)
    answer = await client.get(path)
    assert answer.status_code == 200
    if shell:
        assert answer.text == (dist / shell).read_text()
    # Before the fix nothing stopped another site from showing the console in a frame.
    assert answer.headers["content-security-policy"] == "frame-ancestors 'none'"
    assert answer.headers["x-frame-options"] == "DENY"
    assert answer.headers["x-content-type-options"] == "nosniff"


async def test_verifying_an_uploaded_pdf_leaves_the_event_loop_free(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Reading a crafted PDF (a few hundred thousand form fields in 20 MB) takes seconds of
    # pure Python. Stand-in: a reader that works until the test lets it go (at most 10 s).
    started, release, finished = threading.Event(), threading.Event(), threading.Event()

    def slow_reader(*args: object, **kwargs: object) -> object:
        started.set()
        release.wait(timeout=10)
        finished.set()
        raise ValueError("not a PDF")

    monkeypatch.setattr("pdf.sign.PdfFileReader", slow_reader)
    verifying = asyncio.ensure_future(client.post("/api/reports/verify", content=b"%PDF-1.7"))
    assert await asyncio.to_thread(started.wait, 10)
    health = await client.get("/health")
    # Before the fix the reader ran on the event loop: nothing else was answered until it
    # was done, so the health check came back only after it finished.
    answered_while_reading = not finished.is_set()
    release.set()
    verdict = await verifying
    assert health.status_code == 200
    assert answered_while_reading
    assert verdict.json()["status"] == "unreadable"


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/auth/login", b'{"username": ' + b"[" * 5000 + b"]" * 5000 + b"}"),
        ("/api/public/fault-reports", b'{"token": ' + b"[" * 3000),
    ],
)
async def test_deeply_nested_json_is_a_bad_request_not_a_server_error(
    client: httpx.AsyncClient, app_log: _Lines, path: str, body: bytes
) -> None:
    answer = await client.post(path, content=body, headers={"content-type": "application/json"})
    # Before the fix: 500, and a traceback in the log for every such request from anyone.
    assert answer.status_code == 400, answer.text
    assert answer.json()["detail"] == "the JSON is nested too deeply"
    assert not any("unhandled error" in line for line in app_log.lines)


async def test_made_up_customer_link_tokens_cost_no_write_transaction(
    client: httpx.AsyncClient, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    writes = 0
    real_write = db.write

    def counting_write(*args: Any, **kwargs: Any) -> Any:
        nonlocal writes
        writes += 1
        return real_write(*args, **kwargs)

    monkeypatch.setattr(db, "write", counting_write)
    for i in range(5):
        fake = f"made-up-token-{i:06d}-xxxxxxxx"
        assert (await client.get(f"/r/{fake}")).status_code == 404
        assert (await client.get(f"/r/{fake}/pdf")).status_code == 404
    # Before the fix each guess opened a write transaction (SQLite's single writer).
    assert writes == 0
