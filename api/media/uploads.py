"""Resumable uploads by hash: ask what is missing, send 1 MiB chunks at offsets, complete.

The bytes of an unfinished upload live in ``<data>/uploads/<id>.part``. Completing checks
the length and the SHA-256 before anything is stored, and a photo's content by the cheap
checks; its original then becomes a blob at once and its copies are made in the background
(:mod:`api.media.pipeline`). A wrong hash or a refused image leaves nothing behind.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import anyio
from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.http import Conflict, DomainError
from api.media.access import hold, holds
from api.media.images import ImageRefused, IngestPool, inspect
from api.media.pipeline import PROCESSING, READY, store_variants
from api.media.store import BlobStore
from api.models import BlobHolder, BlobInfo, Upload
from sync.ids import uuid7

CHUNK = 1024 * 1024
"""The chunk size clients send (the last chunk may be shorter)."""
MAX_PHOTO = 25 * 1024 * 1024
"""The largest photo accepted."""
MAX_OPEN_UPLOADS = 100
"""Unfinished uploads one user may hold."""
MAX_OPEN_BYTES = 1024 * 1024 * 1024
"""Declared bytes of one user's unfinished uploads."""
EXPIRY = timedelta(days=7)
"""Unfinished uploads are removed after this long."""
SWEEP_EVERY = timedelta(hours=1)
"""How often starting an upload sweeps its user's expired ones (in this process)."""
FINISHED = "the upload is finished or expired; start again"


class HashMismatch(DomainError):
    """The bytes received do not have the SHA-256 that was declared."""

    status_code = 422


class Refused(DomainError):
    """The bytes are not an acceptable photo."""

    status_code = 422


class Quota(DomainError):
    """Too many unfinished uploads."""

    status_code = 429


@dataclass(frozen=True)
class Stored:
    """A completed photo."""

    sha256: str
    size: int
    format: str
    width: int | None
    height: int | None
    variants: dict[str, str]
    state: str
    """ready, or processing while a photo's copies are being made."""


class Uploads:
    """Upload state in the database, bytes in part files, results in the blob store."""

    def __init__(self, folder: Path, store: BlobStore, pool: IngestPool) -> None:
        self.folder = folder
        self.store = store
        self.pool = pool
        self._swept: dict[uuid.UUID, datetime] = {}
        self._open: dict[uuid.UUID, Upload] = {}
        """Uploads this process started or looked up: a chunk needs no database read. Their
        owner and size never change; a finished upload's part file is gone, which
        :meth:`write` notices whichever process finished it."""
        self._digests: dict[uuid.UUID, tuple[int, Any]] = {}
        """Running SHA-256 of the bytes each upload's chunks appended here, and up to where:
        completing then needs no second read of the file. A chunk appended elsewhere (another
        process, or before a restart) breaks the run, and completing hashes the file."""
        folder.mkdir(parents=True, exist_ok=True)

    def known(self, upload_id: uuid.UUID) -> Upload | None:
        """An unfinished upload this process remembers (no database read)."""
        return self._open.get(upload_id)

    async def lookup(self, session: AsyncSession, upload_id: uuid.UUID) -> Upload | None:
        """An unfinished upload, from this process's memory or the database."""
        upload = self._open.get(upload_id)
        if upload is None:
            upload = await session.get(Upload, upload_id)
            if upload is not None:
                self._remember(upload)
        return upload

    def _remember(self, upload: Upload) -> None:
        if len(self._open) >= 10_000:
            self._open.clear()
        self._open[upload.id] = upload

    def part(self, upload_id: uuid.UUID) -> Path:
        """The part file of an upload."""
        return self.folder / f"{upload_id}.part"

    async def missing(
        self, session: AsyncSession, hashes: list[str], *, user_id: uuid.UUID
    ) -> list[str]:
        """Which of ``hashes`` the user has not sent yet: bytes someone else sent are sent
        again (each user proves they hold the bytes they attach; the store keeps one copy)."""
        wanted = list(dict.fromkeys(hashes))
        held = set(
            await session.scalars(
                select(BlobHolder.sha256).where(
                    BlobHolder.user_id == user_id, BlobHolder.sha256.in_(wanted)
                )
            )
        )
        return [h for h in wanted if h not in held]

    async def start(
        self,
        session: AsyncSession,
        *,
        user_id: uuid.UUID,
        sha256: str,
        size: int,
        now: datetime,
    ) -> Upload | None:
        """Begin (or resume) an upload of a photo; None when the user sent these bytes before.

        Bytes that another user sent are uploaded again, to be checked against the hash: that
        is how a user comes to hold them (:mod:`api.media.access`).
        """
        if await holds(session, sha256, user_id):
            return None
        if size > MAX_PHOTO:
            raise DomainError(
                f"a photo may be at most {MAX_PHOTO // (1024 * 1024)} MB", status_code=413
            )
        swept = self._swept.get(user_id)
        if swept is None or now - swept > SWEEP_EVERY:
            # Expiry is measured in days: sweeping a user's uploads hourly is plenty.
            await self.expire(session, now=now, user_id=user_id)
            self._swept[user_id] = now
        existing = await session.scalar(
            select(Upload).where(
                Upload.user_id == user_id, Upload.sha256 == sha256, Upload.size == size
            )
        )
        if existing is not None:
            self._remember(existing)
            return existing
        count, declared = (
            await session.execute(
                select(func.count(), func.coalesce(func.sum(Upload.size), 0)).where(
                    Upload.user_id == user_id
                )
            )
        ).one()
        if count >= MAX_OPEN_UPLOADS or declared + size > MAX_OPEN_BYTES:
            raise Quota(
                "too many unfinished uploads; finish or wait for the old ones "
                f"(at most {MAX_OPEN_UPLOADS} or {MAX_OPEN_BYTES // 2**20} MB)"
            )
        upload = Upload(
            id=uuid7(),
            user_id=user_id,
            sha256=sha256,
            size=size,
            purpose="photo",
            created_at=now,
            updated_at=now,
        )
        # The part file first: the upload exists once its row commits.
        self.part(upload.id).touch()
        session.add(upload)
        await session.flush()
        self._remember(upload)
        return upload

    def received(self, upload_id: uuid.UUID) -> int:
        """Bytes received so far: the part file is the record of progress."""
        try:
            return self.part(upload_id).stat().st_size
        except FileNotFoundError:
            return 0

    async def write(self, upload: Upload, *, offset: int, data: bytes) -> int:
        """Write a chunk at ``offset``; returns the new offset.

        No database write: the part file's length is the offset, so chunks of many uploads
        proceed side by side instead of queueing for the single SQLite writer. A chunk wholly
        below the current offset was received before: a no-op. A chunk past the current offset
        would leave a hole: 409 with the offset to resume from.
        """
        if len(data) > CHUNK:
            raise DomainError(f"a chunk may be at most {CHUNK} bytes", status_code=413)
        path = self.part(upload.id)

        def append() -> int:
            try:
                fh = path.open("r+b")
            except FileNotFoundError:
                raise Conflict(FINISHED) from None
            with fh:
                # One writer per part file, across the app's processes too.
                fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
                received = os.fstat(fh.fileno()).st_size
                if offset > received:
                    raise Conflict(f"resume at offset {received}, not {offset}")
                end = offset + len(data)
                if end > upload.size:
                    raise DomainError(
                        f"the upload is {upload.size} bytes; this chunk ends at {end}",
                        status_code=413,
                    )
                if end <= received:
                    return received
                fresh = data[received - offset :]
                fh.seek(received)
                fh.write(fresh)
                self._follow(upload.id, received, fresh)
                return end

        return await anyio.to_thread.run_sync(append)

    async def process(
        self, upload: Upload, *, stored: bool = False
    ) -> tuple[Stored | None, list[BlobInfo]]:
        """Check the bytes and put them into the blob store (:meth:`_process`), one completion
        of an upload at a time: a complete sent again (a retry, in any app process) waits for
        the first, then finds the part file gone and is told to start again (409).

        With ``stored`` (another user sent the same bytes before), only the hash is checked:
        the answer is None and the part file goes, as the store has the bytes."""
        path = self.part(upload.id)
        try:
            fh = path.open("rb")
        except FileNotFoundError:
            raise Conflict(FINISHED) from None
        with fh:
            await anyio.to_thread.run_sync(fcntl.flock, fh.fileno(), fcntl.LOCK_EX)
            try:
                same = os.path.samestat(os.fstat(fh.fileno()), path.stat())
            except FileNotFoundError:
                same = False
            if not same:  # completed (moved into the store) or discarded meanwhile
                raise Conflict(FINISHED)
            if stored:
                await self._verify(upload)
                path.unlink(missing_ok=True)
                return None, []
            return await self._process(upload)

    async def _verify(self, upload: Upload) -> None:
        """Every byte received, and their SHA-256 the declared one."""
        received = self.received(upload.id)
        if received != upload.size:
            raise Conflict(f"{upload.size - received} bytes are still missing")
        if await self.digest(upload) != upload.sha256:
            raise HashMismatch(
                "the bytes received do not match the declared SHA-256; nothing was stored"
            )

    async def _process(self, upload: Upload) -> tuple[Stored, list[BlobInfo]]:
        """Check the bytes and put them into the blob store.

        Runs outside any database transaction; :meth:`record` then writes the result. A photo
        must pass the cheap checks (:func:`inspect`: format, header, dimensions, frames, a
        whole file); it is then stored ``processing`` and its copies are made afterwards
        (:mod:`api.media.pipeline`). A photo whose end its format cannot vouch for (a
        truncated file, or a trailer a camera appended) goes through the whole pipeline
        first, so damage is refused here. On a refusal the caller discards the upload
        (:meth:`discard`), so nothing of it stays.
        """
        await self._verify(upload)
        path = self.part(upload.id)
        # Every upload is a photo: one of ``purpose`` file (started before 0010) is checked
        # as one too.
        try:
            seen = await anyio.to_thread.run_sync(inspect, str(path))
            result = None if seen.whole else await self.pool.ingest(path, upload.sha256)
        except ImageRefused as exc:
            raise Refused(str(exc)) from None
        rows: list[BlobInfo] = []
        if result is None:
            fmt, width, height, state = seen.format, seen.width, seen.height, PROCESSING
        else:
            fmt, width, height, state = result.format, result.width, result.height, READY
            rows = await store_variants(self.store, upload.sha256, result, upload.user_id)
        await self.store.put_file(upload.sha256, path)
        rows.append(
            BlobInfo(
                sha256=upload.sha256,
                size=upload.size,
                kind="photo",
                format=fmt,
                width=width,
                height=height,
                uploaded_by=upload.user_id,
                state=state,
            )
        )
        variants = {r.variant: r.sha256 for r in rows if r.kind == "variant"}
        stored = Stored(upload.sha256, upload.size, fmt, width, height, variants, state)
        return stored, rows

    async def record(
        self, session: AsyncSession, upload: Upload, rows: list[BlobInfo], *, now: datetime
    ) -> None:
        """Write what :meth:`process` stored, record that the uploader holds the bytes, and
        forget the upload."""
        for row in rows:
            # Another upload of the same bytes may have finished first: the blob is the same.
            if await session.get(BlobInfo, row.sha256) is None:
                session.add(row)
        await session.flush()
        await hold(session, upload.sha256, upload.user_id, now=now)
        await session.execute(delete(Upload).where(Upload.id == upload.id))
        self._open.pop(upload.id, None)

    def _follow(self, upload_id: uuid.UUID, start: int, fresh: bytes) -> None:
        """Extend an upload's running digest by the bytes just appended at ``start``
        (called under the part file's lock)."""
        run = self._digests.get(upload_id)
        if run is None and start == 0:
            run = (0, hashlib.sha256())
        if run is None or run[0] != start:
            self._digests.pop(upload_id, None)  # a gap: completing reads the file instead
            return
        run[1].update(fresh)
        self._digests[upload_id] = (start + len(fresh), run[1])

    async def digest(self, upload: Upload) -> str:
        """The SHA-256 of an upload's received bytes (all of them, checked by the caller)."""
        run = self._digests.pop(upload.id, None)
        if run is not None and run[0] == upload.size:
            return str(run[1].hexdigest())
        return await anyio.to_thread.run_sync(_sha256, self.part(upload.id))

    async def discard(self, session: AsyncSession, upload_id: uuid.UUID) -> None:
        """Forget an upload and its bytes."""
        await session.execute(delete(Upload).where(Upload.id == upload_id))
        self._open.pop(upload_id, None)
        self._digests.pop(upload_id, None)
        self.part(upload_id).unlink(missing_ok=True)

    async def expire(
        self, session: AsyncSession, *, now: datetime, user_id: uuid.UUID | None = None
    ) -> int:
        """Remove unfinished uploads untouched for :data:`EXPIRY` (the part file's last
        write tells, since chunks do not touch the database)."""
        query = select(Upload.id).where(Upload.created_at < now - EXPIRY)
        if user_id is not None:
            query = query.where(Upload.user_id == user_id)
        cutoff = (now - EXPIRY).timestamp()
        stale = []
        for upload_id in await session.scalars(query):
            try:
                touched = self.part(upload_id).stat().st_mtime
            except FileNotFoundError:
                touched = 0.0
            if touched < cutoff:
                stale.append(upload_id)
        if stale:
            await session.execute(delete(Upload).where(Upload.id.in_(stale)))
            for upload_id in stale:
                self._open.pop(upload_id, None)
                self._digests.pop(upload_id, None)
                self.part(upload_id).unlink(missing_ok=True)
        return len(stale)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()
