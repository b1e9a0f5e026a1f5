"""Fixes of a security review: each test shows the hole it closes."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import httpx
import pytest
from litestar import Litestar

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
