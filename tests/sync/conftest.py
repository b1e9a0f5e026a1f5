"""Fixtures of the sync tests: an office with jobs assigned, and reference clients."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import httpx
import pytest

from sync.client import SyncClient
from tests.helpers import PASSWORD, World, login

Register = Callable[..., Awaitable[str]]


@pytest.fixture
async def desk(client: httpx.AsyncClient, world: World) -> dict[str, str]:
    """The dispatcher's headers."""
    return await login(client, "desk")


@pytest.fixture
def new_job(client: httpx.AsyncClient, world: World, desk: dict[str, str]) -> Register:
    """Register a fault and assign it; returns the job id."""

    async def make(engineer: str = "engineer", **extra: object) -> str:
        body = {
            "customer_id": str(world.customer.id),
            "asset_id": str(world.asset.id),
            "channel": "phone",
            "fault_description": "冷水机组不制冷",
            **extra,
        }
        created = await client.post("/api/jobs", json=body, headers=desk)
        assert created.status_code == 201, created.text
        job_id: str = created.json()["job"]["id"]
        assigned = await client.post(
            f"/api/jobs/{job_id}/assign",
            json={"engineer_id": str(getattr(world, engineer).id)},
            headers=desk,
        )
        assert assigned.status_code == 200, assigned.text
        return job_id

    return make


@pytest.fixture
def device(client: httpx.AsyncClient) -> Callable[[str], SyncClient]:
    """A reference client for an engineer ("wang" or "li")."""

    def make(username: str = "wang") -> SyncClient:
        return SyncClient(http=client, username=username, password=PASSWORD)

    return make


def signature(seed: int = 0, width: int = 600, height: int = 200) -> dict[str, object]:
    """Strokes that look like a handwritten signature (a few waves of 30 points each)."""
    import math

    strokes = []
    for s in range(3):
        points = []
        for i in range(30):
            x = 40 + s * 170 + i * 5
            y = height / 2 + math.sin((i + seed) / 3) * 40 + s * 5
            points.append({"x": x, "y": round(y, 1), "t": s * 800 + i * 16, "p": 0.5})
        strokes.append(points)
    return {"width": width, "height": height, "strokes": strokes}


def customer_signs(phone: SyncClient, job_id: str, content_sha256: str = "a" * 64) -> None:
    """Queue the end of a visit on ``phone``: on site, work done, the customer's signature."""
    import uuid

    phone.mutate("job.status", job_id=job_id, to="on_site")
    phone.mutate("job.status", job_id=job_id, to="work_done")
    phone.mutate(
        "signature.add",
        id=uuid.uuid4(),
        job_id=job_id,
        signer_role="customer",
        signer_name="赵经理",
        strokes=signature(),
        content_sha256=content_sha256,
    )
