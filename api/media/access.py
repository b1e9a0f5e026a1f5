"""Who may attach a blob to a record, and who may see one (docs/media.md, "Who may attach").

A blob is named by its SHA-256, and hashes travel: they are in every pull of a job and every
report's content. Knowing one must not be enough to get the bytes, so a user *holds* a blob
(``blob_holders``) once they sent its bytes themselves, the hash checked, and only then; a
photo record has its bytes only when its author holds them. A record naming bytes its author
does not hold is kept, and waits for its author to send them. An engineer sees the photos of
the jobs assigned to them now, which makes them no holder.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import ColumnElement, and_, exists, or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from api.models import Assignment, BlobHolder, Photo, Signature

HELD = "fieldsync.media.held"
"""``session.info`` key: the hashes of the bytes the transaction made someone a holder of."""


def photo_has_bytes() -> ColumnElement[bool]:
    """SQL: the photo record's author holds the bytes its hash names."""
    return exists().where(
        BlobHolder.sha256 == Photo.blob_sha256, BlobHolder.user_id == Photo.created_by
    )


def photo_on_the_way() -> ColumnElement[bool]:
    """SQL: a photo of the job (not taken off it) whose author has not sent its bytes yet."""
    return and_(Photo.removed_at.is_(None), ~photo_has_bytes())


async def photos_with_bytes(session: AsyncSession, photos: Iterable[Photo]) -> set[uuid.UUID]:
    """The ids of those ``photos`` whose author holds their bytes."""
    photos = list(photos)
    if not photos:
        return set()
    held = set(
        await session.execute(
            select(BlobHolder.sha256, BlobHolder.user_id).where(
                BlobHolder.sha256.in_({p.blob_sha256 for p in photos})
            )
        )
    )
    return {p.id for p in photos if (p.blob_sha256, p.created_by) in held}


async def holds(session: AsyncSession, sha: str, user_id: uuid.UUID) -> bool:
    """Whether the user sent the blob's bytes themselves (or did before revision 0010)."""
    return await session.get(BlobHolder, (sha, user_id)) is not None


async def on_current_jobs(
    session: AsyncSession, *, sha: str, original: str, user_id: uuid.UUID
) -> bool:
    """Whether a blob is on a job the engineer is assigned to now: the photo ``original`` (of
    which ``sha`` may be a copy) with its bytes, or the signature image ``sha``."""
    mine = select(Assignment.job_id).where(
        Assignment.engineer_id == user_id, Assignment.ended_at.is_(None)
    )
    found = await session.scalar(
        select(
            or_(
                exists().where(
                    Photo.blob_sha256 == original, Photo.job_id.in_(mine), photo_has_bytes()
                ),
                exists().where(Signature.png_sha256 == sha, Signature.job_id.in_(mine)),
            )
        )
    )
    return bool(found)


async def hold(session: AsyncSession, sha: str, user_id: uuid.UUID, *, now: datetime) -> None:
    """Record that the user holds the blob (once; a concurrent second record is a no-op)."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    values = {"sha256": sha, "user_id": user_id, "at": now}
    await session.execute(insert(BlobHolder).values(values).on_conflict_do_nothing())
    # Once this commits, a report that waited for these bytes is issued (api.domain.reports.auto).
    session.info.setdefault(HELD, set()).add(sha)
