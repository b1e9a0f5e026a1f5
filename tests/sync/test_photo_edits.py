"""Photos taken off a job or re-captioned from the phone (``photo.remove``, ``photo.change``):
kept as records, refused once the customer has signed the report that holds them."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx
import msgspec
from sqlalchemy import func, select

from api.db import Database
from api.domain.reports.content import content_input
from api.domain.sync.handlers import SIGNED_PHOTO, Batch, prefetch
from api.models import Change, Job, Photo
from pdf.canonical import content_from_replica, content_sha256
from sync import wire
from sync.client import Pending, SyncClient
from tests.helpers import World, login
from tests.sync.conftest import Register, customer_signs

Device = Callable[[str], SyncClient]
HASH = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"


def add_photo(phone: SyncClient, job_id: str, caption: str = "铭牌") -> str:
    """Queue a photo record on ``phone``; its id."""
    photo_id = str(uuid.uuid4())
    phone.mutate(
        "photo.add",
        id=photo_id,
        job_id=job_id,
        blob_sha256=HASH,
        category="before",
        caption=caption,
    )
    return photo_id


async def on_the_phone(new_job: Register, device: Device) -> tuple[str, SyncClient]:
    """A new job assigned to wang, and wang's phone with it pulled."""
    job_id = await new_job()
    phone = device("wang")
    await phone.pull()
    return job_id, phone


async def stored(db: Database, photo_id: str) -> Photo:
    async with db.read() as session:
        photo = await session.get(Photo, uuid.UUID(photo_id))
        assert photo is not None
        return photo


async def statuses(phone: SyncClient) -> list[str]:
    answer = await phone.push()
    assert answer is not None
    return [r.status.value for r in answer.results]


async def office_photos(client: httpx.AsyncClient, desk: dict[str, str], job_id: str) -> list[str]:
    detail = (await client.get(f"/api/jobs/{job_id}", headers=desk)).json()
    return [p["id"] for p in detail["photos"]]


async def history(client: httpx.AsyncClient, desk: dict[str, str], job_id: str) -> list[dict]:
    answer = await client.get(f"/api/jobs/{job_id}/field-history", headers=desk)
    assert answer.status_code == 200, answer.text
    return list(answer.json())


async def test_a_removed_photo_stays_a_record_and_reaches_the_engineers_other_device(
    client: httpx.AsyncClient,
    db: Database,
    new_job: Register,
    device: Device,
    desk: dict[str, str],
) -> None:
    job_id = await new_job()
    phone, tablet = device("wang"), device("wang")
    phone.app_version = "pwa/0.1.0"  # an app older than the mutation: the protocol is the same
    await phone.pull()
    kept, wrong = add_photo(phone, job_id), add_photo(phone, job_id, "拍错了")
    await phone.sync()
    await tablet.pull()
    assert tablet.get("photos", wrong)["removed_at"] is None

    phone.mutate("photo.remove", id=wrong)
    assert phone.get("photos", wrong)["removed_at"], "removed on the phone at once"
    assert await statuses(phone) == ["applied"]
    photo = await stored(db, wrong)
    assert photo.removed_at is not None
    assert await office_photos(client, desk, job_id) == [kept]
    # The office still sees it, apart, with when it was taken off: nothing is lost.
    detail = (await client.get(f"/api/jobs/{job_id}", headers=desk)).json()
    (gone,) = detail["removed_photos"]
    assert (gone["id"], gone["caption"]) == (wrong, "拍错了")
    assert datetime.fromisoformat(gone["removed_at"]) == photo.removed_at.replace(tzinfo=UTC)
    await tablet.pull()
    pulled = tablet.get("photos", wrong)
    assert pulled is not None, "an upsert, not a tombstone"
    assert pulled["removed_at"] is not None
    assert datetime.fromisoformat(pulled["removed_at"]) == photo.removed_at.replace(tzinfo=UTC)
    assert tablet.get("photos", kept)["removed_at"] is None

    # Removing it again changes nothing.
    tablet.mutate("photo.remove", id=wrong)
    assert await statuses(tablet) == ["applied"]
    assert (await stored(db, wrong)).removed_at == photo.removed_at


async def test_a_photo_added_and_removed_in_one_push_is_kept_removed(
    client: httpx.AsyncClient,
    db: Database,
    new_job: Register,
    device: Device,
    desk: dict[str, str],
) -> None:
    job_id, phone = await on_the_phone(new_job, device)
    note = uuid.uuid4()
    phone.mutate("note.add", id=note, job_id=job_id, body="到场")
    gone, changed = add_photo(phone, job_id), add_photo(phone, job_id)
    phone.mutate("photo.remove", id=gone)
    phone.mutate("photo.change", id=changed, fields={"caption": "压缩机铭牌"})
    assert await statuses(phone) == ["applied"] * 5
    assert (await stored(db, gone)).removed_at is not None
    assert (await stored(db, changed)).caption == "压缩机铭牌"
    assert await office_photos(client, desk, job_id) == [changed]
    again = device("wang")
    await again.pull()
    assert again.get("photos", gone)["removed_at"] is not None
    assert again.get("photos", changed)["caption"] == "压缩机铭牌"
    assert again.get("notes", note) is not None, "the rest of the push is written as before"


async def test_a_retried_photo_removal_changes_nothing(
    client: httpx.AsyncClient,
    db: Database,
    new_job: Register,
    device: Device,
    desk: dict[str, str],
) -> None:
    job_id, phone = await on_the_phone(new_job, device)
    photo_id = add_photo(phone, job_id)
    await phone.sync()
    phone.mutate("photo.remove", id=photo_id)
    (sent,) = phone.outbox

    async def feed_entries() -> int:
        async with db.read() as session:
            count: int = await session.scalar(
                select(func.count()).select_from(Change).where(Change.entity_id == photo_id)
            )
            return count

    first = await phone.push()
    removed_at = (await stored(db, photo_id)).removed_at
    entries = await feed_entries()
    before = await history(client, desk, job_id)
    phone.outbox = [sent]  # the answer was lost: the same push again
    again = await phone.push()
    # The same mutation id under a new sequence number (a confused outbox): a duplicate.
    reused = msgspec.structs.replace(sent.envelope, seq=phone.next_seq)
    phone.next_seq += 1
    phone.outbox = [Pending(reused, sent.args)]
    duplicate = await phone.push()
    assert first is not None
    assert again is not None
    assert duplicate is not None
    assert [(r.status, r.replayed) for r in again.results] == [("applied", True)]
    assert [r.status for r in duplicate.results] == ["duplicate"]
    assert removed_at is not None
    assert (await stored(db, photo_id)).removed_at == removed_at
    assert await feed_entries() == entries
    assert await history(client, desk, job_id) == before


async def test_a_photo_change_is_refused_with_its_reason(
    client: httpx.AsyncClient,
    db: Database,
    new_job: Register,
    device: Device,
    desk: dict[str, str],
) -> None:
    job_id, phone = await on_the_phone(new_job, device)
    photo_id, removed = add_photo(phone, job_id), add_photo(phone, job_id)
    phone.mutate("photo.remove", id=removed)
    await phone.sync()
    phone.mutate("photo.change", id=str(uuid.uuid4()), fields={"caption": "x"})
    phone.mutate("photo.remove", id=str(uuid.uuid4()))
    phone.mutate("photo.change", id=photo_id, fields={"category": "selfie"})
    phone.mutate("photo.change", id=photo_id, fields={"blob_sha256": "0" * 64})
    phone.mutate("photo.change", id=photo_id, fields={})
    phone.mutate("photo.change", id=removed, fields={"caption": "x"})
    phone.mutate("photo.change", id=photo_id, fields={"caption": "长" * 201})
    phone.mutate("photo.change", id=photo_id, fields={"caption": "长" * 200, "category": "after"})
    assert await statuses(phone) == ["rejected"] * 7 + ["applied"]
    reasons = [f.reason for f in phone.failed]
    assert reasons[:6] == [
        "unknown photo",
        "unknown photo",
        "category must be one of before, during, after, defect, nameplate",
        "unknown field 'blob_sha256'; fields are ['caption', 'category']",
        "fields is empty; name at least one of category, caption",
        "the photo was removed",
    ]
    assert reasons[6].startswith("invalid arguments")
    codes = [f.code for f in phone.failed]
    assert codes == [None] * 5 + ["removed", None], "only what an engineer meets has a code"
    photo = await stored(db, photo_id)
    assert (photo.caption, photo.category.value) == ("长" * 200, "after")
    refused = [h for h in await history(client, desk, job_id) if h["outcome"] == "rejected"]
    assert [h["reason"] for h in refused] == reasons[2:6], "under the job of the photo named"


async def test_the_photos_of_a_job_its_customer_signed_stay_until_a_reopening(
    client: httpx.AsyncClient,
    db: Database,
    world: World,
    new_job: Register,
    device: Device,
    desk: dict[str, str],
) -> None:
    job_id, phone = await on_the_phone(new_job, device)
    first, second = add_photo(phone, job_id), add_photo(phone, job_id)
    customer_signs(phone, job_id)
    await phone.sync()
    assert not phone.failed, [f.reason for f in phone.failed]
    phone.mutate("photo.remove", id=first)
    phone.mutate("photo.change", id=second, fields={"caption": "签字后改的"})
    assert await statuses(phone) == ["rejected", "rejected"]
    assert [f.reason for f in phone.failed] == [SIGNED_PHOTO, SIGNED_PHOTO]
    assert [f.code for f in phone.failed] == ["signed_photo", "signed_photo"]
    assert (await stored(db, first)).removed_at is None
    assert (await stored(db, second)).caption == "铭牌"
    refused = [h for h in await history(client, desk, job_id) if h["outcome"] == "rejected"]
    assert [(h["field"], h["reason"]) for h in refused] == [
        ("photo.remove", SIGNED_PHOTO),
        ("photo.change", SIGNED_PHOTO),
    ]
    assert refused[0]["value"] == {"id": first}, "the refused work is kept for the office"

    # The customer was not satisfied: the job is reopened, its signatures set aside, and
    # the new visit may take photos off again.
    boss = await login(client, "boss")
    for action, body in (
        ("review", {"decision": "approve"}),
        ("settle", {}),
        ("follow-up", {"score": 2, "satisfied": False, "remarks": "仍漏水"}),
        ("assign", {"engineer_id": str(world.engineer.id)}),
    ):
        answer = await client.post(f"/api/jobs/{job_id}/{action}", json=body, headers=boss)
        assert answer.status_code == 200, (action, answer.text)
    await phone.pull()
    phone.mutate("photo.remove", id=first)
    phone.mutate("photo.change", id=second, fields={"caption": "复查"})
    assert await statuses(phone) == ["applied", "applied"]
    assert (await stored(db, first)).removed_at is not None
    assert (await stored(db, second)).caption == "复查"


async def test_a_former_assignees_photo_edits_wait_for_the_office(
    client: httpx.AsyncClient,
    db: Database,
    world: World,
    new_job: Register,
    device: Device,
    desk: dict[str, str],
) -> None:
    job_id, phone = await on_the_phone(new_job, device)
    first, second = add_photo(phone, job_id), add_photo(phone, job_id)
    await phone.sync()
    moved = await client.post(
        f"/api/jobs/{job_id}/assign", json={"engineer_id": str(world.engineer2.id)}, headers=desk
    )
    assert moved.status_code == 200, moved.text
    phone.mutate("photo.remove", id=first)
    phone.mutate("photo.change", id=second, fields={"caption": "离线时改的", "category": "before"})
    assert await statuses(phone) == ["conflict", "conflict"]
    assert (await stored(db, first)).removed_at is None
    assert (await stored(db, second)).caption == "铭牌"
    listed = await client.get("/api/conflicts", params={"job_id": job_id}, headers=desk)
    clashes = {(c["entity"], c["field"]): c for c in listed.json()["items"]}
    assert set(clashes) == {("jobs", "assigned_engineer_id"), ("photos", "caption")}
    assert "photo removed" in clashes[("jobs", "assigned_engineer_id")]["reason"]
    caption = clashes[("photos", "caption")]
    assert (caption["entity_id"], caption["server_value"], caption["client_value"]) == (
        second,
        "铭牌",
        "离线时改的",
    )
    assert "reassigned" in caption["reason"]


async def test_someone_who_never_held_the_job_learns_nothing_of_its_photos(
    db: Database, new_job: Register, device: Device
) -> None:
    job_id, phone = await on_the_phone(new_job, device)
    photo_id = add_photo(phone, job_id)
    await phone.sync()
    stranger = device("li")
    stranger.mutate("photo.remove", id=photo_id)
    stranger.mutate("photo.change", id=photo_id, fields={"caption": "x"})
    assert await statuses(stranger) == ["rejected", "rejected"]
    assert [f.reason for f in stranger.failed] == ["unknown job, or not assigned to you"] * 2
    assert [f.code for f in stranger.failed] == ["not_yours"] * 2
    photo = await stored(db, photo_id)
    assert (photo.removed_at, photo.caption) == (None, "铭牌")


async def test_the_report_content_leaves_out_a_photo_removed_before_signing(
    db: Database, new_job: Register, device: Device
) -> None:
    # The phone hashes what the customer signs from its replica, its removal still queued;
    # the server's content of the same job must give the same hash once the push is in.
    job_id, phone = await on_the_phone(new_job, device)
    kept, wrong = add_photo(phone, job_id), add_photo(phone, job_id)
    await phone.sync()
    phone.mutate("photo.remove", id=wrong)
    phone.mutate("photo.change", id=kept, fields={"category": "defect"})
    signed = content_sha256(content_from_replica(phone.replica, job_id))
    await phone.sync()
    assert not phone.failed, [f.reason for f in phone.failed]
    async with db.read() as session:
        job = await session.get(Job, uuid.UUID(job_id))
        assert job is not None
        content = await content_input(session, job)
    assert [(p.id, p.category) for p in content.photos] == [(kept, "defect")]
    assert content_sha256(content) == signed


async def test_a_push_locks_the_job_of_each_photo_it_changes(
    db: Database, world: World, new_job: Register, device: Device
) -> None:
    # A photo names its job only through its row: the push must lock that job up front,
    # in id order with the others, as it does for part lines.
    job_id, phone = await on_the_phone(new_job, device)
    photo_id = add_photo(phone, job_id)
    await phone.sync()

    def envelope(seq: int, name: str, **args: Any) -> wire.MutationEnvelope:
        return wire.MutationEnvelope(
            id=uuid.uuid4(), seq=seq, name=name, at=datetime.now(UTC), args=args
        )

    async with db.write() as session:
        batch = Batch()
        await prefetch(
            session,
            batch,
            [
                envelope(1, "photo.change", id=photo_id, fields={"caption": "x"}),
                envelope(2, "photo.remove", id=photo_id),
            ],
        )
    job = uuid.UUID(job_id)
    assert batch.holders == {job: world.engineer.id}
    assert set(batch.jobs) == {job}
    assert (Photo, uuid.UUID(photo_id)) in batch.named
