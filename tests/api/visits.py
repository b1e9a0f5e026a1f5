"""Jobs taken through a visit the way the office and the engineer's phone do it, for the tests
of what happens after the visit (review, settlement, call-backs, figures)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import timedelta

import httpx

from sync.client import SyncClient
from tests.helpers import PASSWORD, World
from tests.sync.conftest import signature

Headers = dict[str, str]


def phone_of(client: httpx.AsyncClient) -> SyncClient:
    """A phone of the engineer wang."""
    return SyncClient(http=client, username="wang", password=PASSWORD)


async def dispatched_job(
    client: httpx.AsyncClient, world: World, desk: Headers, asset_id: uuid.UUID | None = None
) -> str:
    """A fault on the world's customer (its asset unless another is named), assigned to wang."""
    body = {
        "customer_id": str(world.customer.id),
        "asset_id": str(asset_id or world.asset.id),
        "channel": "phone",
        "fault_description": "冷水机组不制冷",
        "contact_name": "赵经理",
        "contact_phone": "139",
    }
    created = await client.post("/api/jobs", json=body, headers=desk)
    assert created.status_code == 201, created.text
    job_id: str = created.json()["job"]["id"]
    assigned = await client.post(
        f"/api/jobs/{job_id}/assign", json={"engineer_id": str(world.engineer.id)}, headers=desk
    )
    assert assigned.status_code == 200, assigned.text
    return job_id


async def visit(
    phone: SyncClient,
    job_id: str,
    *,
    parts: Sequence[tuple[str, str, str]] = (),
    on_site: timedelta = timedelta(0),
    sign: bool = True,
    after_photo: bool = False,
) -> list[str]:
    """The engineer's visit, synced: on site ``on_site`` before the work is done, parts (part
    id, quantity, billing) from the van, optionally an "after" photo and the customer's
    signature. Returns the part lines' ids."""
    await phone.pull()
    phone.mutate("job.status", job_id=job_id, to="en_route")
    phone.clock_skew = -on_site
    phone.mutate("job.status", job_id=job_id, to="on_site")
    phone.clock_skew = timedelta(0)
    line_ids = []
    for part_id, quantity, billing in parts:
        line_id = uuid.uuid4()
        line_ids.append(str(line_id))
        phone.mutate(
            "part_line.add",
            id=line_id,
            job_id=job_id,
            part_id=part_id,
            quantity=quantity,
            billing=billing,
        )
    phone.mutate("job.record", job_id=job_id, fields={"work_done": "更换压缩机"})
    if after_photo:
        phone.mutate(
            "photo.add", id=uuid.uuid4(), job_id=job_id, blob_sha256="a" * 64, category="after"
        )
    phone.mutate("job.status", job_id=job_id, to="work_done")
    if sign:
        phone.mutate(
            "signature.add",
            id=uuid.uuid4(),
            job_id=job_id,
            signer_role="customer",
            signer_name="赵经理",
            strokes=signature(),
            content_sha256="c" * 64,
        )
    await phone.sync()
    assert phone.failed == [], [f.reason for f in phone.failed]
    return line_ids
