"""Making a stored photo's copies in the background, after its upload has been answered.

A photo whose bytes passed the cheap checks (:func:`api.media.images.inspect`) is stored at
once in the ``processing`` state; :class:`Pipeline` then makes its screen copy and thumbnail in
the :class:`IngestPool` and records them (``ready``), or records why the pipeline refused the
image (``failed``; the original is kept as evidence and never served). Work is idempotent:
copies are content-addressed and a photo that already has its copies is left alone, so two
app processes, or a restart, may process the same photo again without harm. On start-up every
photo still ``processing`` (its process stopped midway) is queued again.
"""

from __future__ import annotations

import asyncio
import logging
import os
import uuid
from collections.abc import AsyncIterator, Iterable
from concurrent.futures.process import BrokenProcessPool
from contextlib import asynccontextmanager
from pathlib import Path

from sqlalchemy import select, update
from sqlalchemy.exc import DBAPIError, IntegrityError

from api.db import Database
from api.http import DomainError
from api.media.images import ImageRefused, Ingested, IngestPool
from api.media.store import BlobError, BlobStore, LocalBlobStore
from api.models import BlobInfo

log = logging.getLogger(__name__)

PROCESSING = "processing"
READY = "ready"
FAILED = "failed"
WAIT_SECONDS = 10.0
"""How long a request that needs a photo's copies waits for them before answering 503."""
RETRY_AFTER = 5
"""Seconds a 503 for a photo still processing asks the client to wait."""


class StillProcessing(DomainError):
    """The photo's copies are still being made (503 with Retry-After)."""

    status_code = 503

    def __init__(self, detail: str) -> None:
        super().__init__(detail, headers={"Retry-After": str(RETRY_AFTER)})


async def store_variants(
    store: BlobStore, original: str, result: Ingested, uploaded_by: uuid.UUID | None
) -> list[BlobInfo]:
    """Put the pipeline's copies of ``original`` into the blob store; their rows to record."""
    rows = []
    for v in result.variants:
        await store.put_bytes(v.sha256, v.data)
        rows.append(
            BlobInfo(
                sha256=v.sha256,
                size=len(v.data),
                kind="variant",
                format="JPEG",
                width=v.width,
                height=v.height,
                original_sha256=original,
                variant=v.kind,
                uploaded_by=uploaded_by,
            )
        )
    return rows


class Pipeline:
    """The background copy-making of one app process."""

    def __init__(self, db: Database, store: BlobStore, pool: IngestPool, scratch: Path) -> None:
        self.db = db
        self.store = store
        self.pool = pool
        self.scratch = scratch
        self.tasks: dict[str, asyncio.Task[None]] = {}
        # Bounds the originals fetched from a remote store at once; the pool queues the rest.
        self._slots = asyncio.Semaphore(max(1, pool.workers) * 2)

    def queue(self, sha: str) -> asyncio.Task[None]:
        """Make the copies of photo ``sha`` unless this process is at it already."""
        task = self.tasks.get(sha)
        if task is None:
            task = asyncio.get_running_loop().create_task(self._run(sha))
            self.tasks[sha] = task
            task.add_done_callback(lambda _: self.tasks.pop(sha, None))
        return task

    async def settle(self, hashes: Iterable[str], wait: float = WAIT_SECONDS) -> None:
        """Wait (at most ``wait`` seconds) until these photos are no longer processing,
        starting their work here when no task of this process has it (another process may
        have stopped midway)."""
        tasks = {self.queue(sha) for sha in hashes}
        if tasks:
            await asyncio.wait(tasks, timeout=wait)

    async def requeue(self) -> int:
        """Queue every photo left processing (start-up); answers how many.

        A database the app cannot read yet (not migrated) must not stop the app from starting:
        that is said in the log, and the photos are queued at the next start.
        """
        try:
            async with self.db.read() as session:
                hashes = list(
                    await session.scalars(
                        select(BlobInfo.sha256).where(
                            BlobInfo.kind == "photo", BlobInfo.state == PROCESSING
                        )
                    )
                )
        except DBAPIError as exc:
            log.warning("photos left processing were not looked for: %s", exc.orig)
            return 0
        for sha in hashes:
            self.queue(sha)
        if hashes:
            log.info("%d photos left processing were queued again", len(hashes))
        return len(hashes)

    async def close(self) -> None:
        """Stop the work in hand; the photos stay processing and are queued at the next start."""
        tasks = list(self.tasks.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _run(self, sha: str) -> None:
        async with self._slots:
            async with self.db.read() as session:
                info = await session.get(BlobInfo, sha)
                if info is None or info.kind != "photo" or info.state != PROCESSING:
                    return
                uploaded_by = info.uploaded_by
            try:
                result = await self._ingest(sha)
            except ImageRefused as exc:
                log.info("photo %s refused by the pipeline: %s", sha, exc)
                await self._fail(sha, str(exc))
                return
            except BlobError:
                await self._fail(sha, "the original's bytes are missing from the blob store")
                return
            except Exception as exc:
                log.exception("photo %s could not be processed", sha)
                await self._fail(sha, f"the image could not be processed ({type(exc).__name__})")
                return
            rows = await store_variants(self.store, sha, result, uploaded_by)
            await self._record(sha, rows)

    async def _ingest(self, sha: str) -> Ingested:
        async with self._original(sha) as path:
            try:
                return await self.pool.ingest(path, sha)
            except BrokenProcessPool:
                # A worker died (perhaps for another photo): once more in a fresh pool.
                return await self.pool.ingest(path, sha)

    @asynccontextmanager
    async def _original(self, sha: str) -> AsyncIterator[Path]:
        """A local file holding the original: the blob itself, or a scratch copy."""
        if isinstance(self.store, LocalBlobStore):
            path = self.store.path(sha)
            if not path.is_file():
                raise BlobError("blob not found")
            yield path
            return
        self.scratch.mkdir(parents=True, exist_ok=True)
        path = self.scratch / f".{sha}.{uuid.uuid4().hex}.orig"
        try:
            fd = await asyncio.to_thread(os.open, path, os.O_WRONLY | os.O_CREAT, 0o600)
            try:
                async for chunk in self.store.read(sha):
                    await asyncio.to_thread(os.write, fd, chunk)
            finally:
                os.close(fd)
            yield path
        finally:
            path.unlink(missing_ok=True)

    async def _record(self, sha: str, rows: list[BlobInfo]) -> None:
        for attempt in range(2):
            try:
                async with self.db.write() as session:
                    have = set(
                        await session.scalars(
                            select(BlobInfo.variant).where(BlobInfo.original_sha256 == sha)
                        )
                    )
                    for row in rows:
                        known = await session.get(BlobInfo, row.sha256)
                        if row.variant not in have and known is None:
                            session.add(row)
                    await session.execute(
                        update(BlobInfo)
                        .where(BlobInfo.sha256 == sha, BlobInfo.state == PROCESSING)
                        .values(state=READY, error="")
                    )
                return
            except IntegrityError:
                # Another process recorded the same copies between our read and write.
                if attempt:
                    raise
                rows = [_fresh(row) for row in rows]

    async def _fail(self, sha: str, reason: str) -> None:
        async with self.db.write() as session:
            await session.execute(
                update(BlobInfo)
                .where(BlobInfo.sha256 == sha, BlobInfo.state == PROCESSING)
                .values(state=FAILED, error=reason[:2000])
            )


def _fresh(row: BlobInfo) -> BlobInfo:
    """A new, unattached row with the same values (after a rolled-back session)."""
    return BlobInfo(
        sha256=row.sha256,
        size=row.size,
        kind=row.kind,
        format=row.format,
        width=row.width,
        height=row.height,
        original_sha256=row.original_sha256,
        variant=row.variant,
        uploaded_by=row.uploaded_by,
    )
