"""Routes of uploads and blobs: what is missing, chunks, completion, and serving."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Annotated, Any, Literal

import msgspec
from litestar import Controller, Request, Response, get, post, put
from litestar.datastructures import State
from litestar.exceptions import NotFoundException
from litestar.params import Parameter
from litestar.response import Stream
from sqlalchemy import select

from api.db import Database
from api.guards import EVERYONE, allow
from api.http import DomainError, Out, Schema, not_found
from api.media.access import holds, on_current_jobs
from api.media.pipeline import (
    FAILED,
    PROCESSING,
    READY,
    WAIT_SECONDS,
    Pipeline,
    StillProcessing,
)
from api.media.store import BlobError, BlobStore
from api.media.uploads import CHUNK, Stored, Uploads
from api.models import BlobInfo, Role, Upload
from api.security import Principal

# The length too: msgspec searches the pattern, and "$" also matches before a final "\n".
Sha = Annotated[str, msgspec.Meta(pattern=r"^[0-9a-f]{64}$", min_length=64, max_length=64)]
AnyRequest = Request[Any, Any, Any]
IMMUTABLE = "private, max-age=31536000, immutable"


class MissingIn(Schema):
    """Hashes the device holds bytes for."""

    hashes: Annotated[list[Sha], msgspec.Meta(max_length=1000)]


class MissingOut(Out):
    """The hashes the server lacks: upload these."""

    missing: list[str]


PURPOSES = ("photo",)
"""What may be uploaded: photos only (``file`` was accepted before 0010, used by nothing and
bounded by nothing; files stored then stay readable)."""


class UploadIn(Schema):
    """Start (or resume) an upload of ``size`` bytes whose SHA-256 is ``sha256``."""

    sha256: Sha
    size: Annotated[int, msgspec.Meta(ge=1, le=1024 * 1024 * 1024)]
    purpose: Annotated[str, msgspec.Meta(description="photo, the only purpose")] = "photo"

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.purpose not in PURPOSES:
            raise ValueError(
                f"`purpose` {self.purpose[:40]!r} is not accepted; the purposes are: "
                + ", ".join(PURPOSES)
            )


class UploadOut(Out):
    """Where an upload stands: send the bytes from ``offset`` in chunks of ``chunk_size``."""

    id: uuid.UUID | None
    sha256: str
    size: int
    offset: int
    chunk_size: int
    complete: bool


class StoredOut(Out):
    """A stored blob and its copies.

    ``state`` is ``processing`` while a photo's copies are being made (``variants`` empty),
    ``ready`` once they are, ``failed`` when the pipeline refused the photo (``error`` says
    why; the original is kept, no copies are served).
    """

    sha256: str
    size: int
    format: str
    width: int | None
    height: int | None
    variants: dict[str, str]
    state: str = "ready"
    error: str = ""

    @classmethod
    def of(cls, blob: Stored | BlobInfo, variants: dict[str, str], error: str = "") -> StoredOut:
        """The answer for a blob (a stored file or its ``blobs`` row) and its copies."""
        return cls(
            sha256=blob.sha256,
            size=blob.size,
            format=blob.format,
            width=blob.width,
            height=blob.height,
            variants=variants,
            state=blob.state,
            error=error,
        )


def _uploads(state: State) -> Uploads:
    uploads: Uploads = state.uploads
    return uploads


def _pipeline(state: State) -> Pipeline:
    pipeline: Pipeline = state.pipeline
    return pipeline


def _out(upload: Upload, uploads: Uploads) -> UploadOut:
    return UploadOut(
        id=upload.id,
        sha256=upload.sha256,
        size=upload.size,
        offset=uploads.received(upload.id),
        chunk_size=CHUNK,
        complete=False,
    )


class UploadController(Controller):
    """Resumable uploads of photos (docs/media.md)."""

    path = "/api/uploads"
    tags = ["media"]

    @post(
        "/missing",
        opt=allow(*EVERYONE),
        operation_id="missingBlobs",
        summary="Which of these hashes the server lacks",
        status_code=200,
    )
    async def missing(
        self, data: MissingIn, db: Database, me: Principal, request: AnyRequest
    ) -> MissingOut:
        async with db.read() as session:
            return MissingOut(
                missing=await _uploads(request.app.state).missing(
                    session, data.hashes, user_id=me.user_id
                )
            )

    @post(
        "/",
        opt=allow(*EVERYONE),
        operation_id="startUpload",
        summary="Start or resume an upload; answers the offset to send from",
        status_code=200,
    )
    async def start(
        self,
        data: UploadIn,
        db: Database,
        me: Principal,
        now: datetime,
        request: AnyRequest,
    ) -> UploadOut:
        uploads = _uploads(request.app.state)
        async with db.write(actor_id=me.user_id) as session:
            upload = await uploads.start(
                session,
                user_id=me.user_id,
                sha256=data.sha256,
                size=data.size,
                now=now,
            )
            if upload is None:
                return UploadOut(
                    id=None,
                    sha256=data.sha256,
                    size=data.size,
                    offset=data.size,
                    chunk_size=CHUNK,
                    complete=True,
                )
            return _out(upload, uploads)

    @get(
        "/{upload_id:uuid}",
        opt=allow(*EVERYONE),
        operation_id="getUpload",
        summary="Where an upload stands (the offset to resume from)",
    )
    async def status(
        self, upload_id: uuid.UUID, db: Database, me: Principal, request: AnyRequest
    ) -> UploadOut:
        async with db.read() as session:
            upload = await session.get(Upload, upload_id)
            if upload is None or upload.user_id != me.user_id:
                raise not_found("upload")
            return _out(upload, _uploads(request.app.state))

    @put(
        "/{upload_id:uuid}",
        opt=allow(*EVERYONE),
        operation_id="uploadChunk",
        summary="Send the bytes at `offset` (at most 1 MiB); 409 tells where to resume",
        request_max_body_size=CHUNK + 1024,
    )
    async def chunk(
        self,
        upload_id: uuid.UUID,
        request: AnyRequest,
        db: Database,
        me: Principal,
        offset: Annotated[int, Parameter(ge=0, le=1024 * 1024 * 1024)],
    ) -> UploadOut:
        uploads = _uploads(request.app.state)
        upload = uploads.known(upload_id)
        if upload is None:
            async with db.read() as session:
                upload = await uploads.lookup(session, upload_id)
        if upload is None or upload.user_id != me.user_id:
            raise not_found("upload")
        data = await request.body()
        end = await uploads.write(upload, offset=offset, data=data)
        return UploadOut(
            id=upload.id,
            sha256=upload.sha256,
            size=upload.size,
            offset=end,
            chunk_size=CHUNK,
            complete=False,
        )

    @post(
        "/{upload_id:uuid}/complete",
        opt=allow(*EVERYONE),
        operation_id="completeUpload",
        summary="Check the bytes against the SHA-256 and store them; a photo's copies follow",
        status_code=200,
    )
    async def complete(
        self,
        upload_id: uuid.UUID,
        db: Database,
        me: Principal,
        now: datetime,
        request: AnyRequest,
    ) -> StoredOut:
        uploads = _uploads(request.app.state)
        upload = uploads.known(upload_id)
        if upload is None:
            async with db.read() as session:
                upload = await uploads.lookup(session, upload_id)
        if upload is None or upload.user_id != me.user_id:
            raise not_found("upload")
        async with db.read() as session:
            before = await session.get(BlobInfo, upload.sha256)
        try:
            stored, rows = await uploads.process(upload, stored=before is not None)
        except DomainError as exc:
            if exc.status_code == 422:
                # A wrong hash or a refused image: nothing of the upload may stay.
                async with db.write(actor_id=me.user_id) as session:
                    await uploads.discard(session, upload_id)
            raise
        async with db.write(actor_id=me.user_id) as session:
            await uploads.record(session, upload, rows, now=now)
        if stored is None:
            # Another user sent the same bytes first: this one now holds them too.
            assert before is not None
            return await _answer(db, before)
        if stored.state == PROCESSING:
            _pipeline(request.app.state).queue(stored.sha256)
        return StoredOut.of(stored, stored.variants)


_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


def parse_range(header: str, size: int) -> tuple[int, int] | None:
    """(start, end exclusive) of a single ``bytes=`` range; None when unsatisfiable."""
    match = _RANGE.match(header.strip())
    if match is None:
        return None
    first, last = match.groups()
    if first == "" and last == "":
        return None
    if first == "":
        length = int(last)
        if length == 0:
            return None
        return max(0, size - length), size
    start = int(first)
    end = size if last == "" else min(int(last) + 1, size)
    if start >= size or end <= start:
        return None
    return start, end


async def _may_see(db: Database, sha: str, info: BlobInfo, me: Principal) -> bool:
    if me.role != Role.ENGINEER:
        return True
    async with db.read() as session:
        return await on_current_jobs(
            session, sha=sha, original=info.original_sha256 or sha, user_id=me.user_id
        )


async def _holds(db: Database, sha: str, me: Principal) -> bool:
    async with db.read() as session:
        return await holds(session, sha, me.user_id)


async def _answer(db: Database, info: BlobInfo) -> StoredOut:
    """The answer for a stored blob as it stands: its state, and its copies once ready."""
    async with db.read() as session:
        copies = await session.scalars(
            select(BlobInfo).where(BlobInfo.original_sha256 == info.sha256)
        )
        variants = {c.variant: c.sha256 for c in copies} if info.state == READY else {}
    return StoredOut.of(info, variants, info.error)


async def _settled(
    db: Database,
    request: AnyRequest,
    info: BlobInfo,
    *,
    wait: float = WAIT_SECONDS,
    refuse: bool = True,
) -> BlobInfo:
    """The photo once its copies are made or refused, waiting at most ``wait`` seconds;
    with ``refuse``, 503 with Retry-After if it is still processing then."""
    if info.state != PROCESSING:
        return info
    await _pipeline(request.app.state).settle([info.sha256], wait=wait)
    async with db.read() as session:
        now = await session.get(BlobInfo, info.sha256)
    if now is None:
        raise not_found("blob")
    if refuse and now.state == PROCESSING:
        raise StillProcessing("the photo's copies are still being made; try again shortly")
    return now


class BlobController(Controller):
    """Stored photos' copies and signature images, immutable and cacheable."""

    path = "/api/blobs"
    tags = ["media"]

    @get(
        "/{sha:str}/info",
        opt=allow(*EVERYONE),
        operation_id="getBlobInfo",
        summary="A stored photo or file and the state of a photo's copies",
        raises=[NotFoundException],
    )
    async def info(
        self,
        sha: str,
        request: AnyRequest,
        db: Database,
        me: Principal,
        wait: Annotated[float, Parameter(ge=0, le=WAIT_SECONDS)] = 0,
    ) -> StoredOut:
        """``wait`` seconds (at most 10) for a processing photo's copies before answering."""
        if not re.fullmatch(r"[0-9a-f]{64}", sha):
            raise not_found("blob")
        async with db.read() as session:
            info = await session.get(BlobInfo, sha)
        if (
            info is None
            or info.kind not in ("photo", "file")
            or (not await _holds(db, sha, me) and not await _may_see(db, sha, info, me))
        ):
            raise not_found("blob")
        if wait and info.state == PROCESSING:
            info = await _settled(db, request, info, wait=wait, refuse=False)
        return await _answer(db, info)

    @get(
        "/{sha:str}",
        opt=allow(*EVERYONE),
        operation_id="getBlob",
        summary="A photo's screen or thumbnail copy, or a signature image (Range supported)",
        raises=[NotFoundException],
    )
    async def blob(
        self,
        sha: str,
        request: AnyRequest,
        db: Database,
        me: Principal,
        variant: Literal["screen", "thumb", "image"] = "image",
    ) -> Response[bytes] | Stream:
        if not re.fullmatch(r"[0-9a-f]{64}", sha):
            raise not_found("blob")
        async with db.read() as session:
            info = await session.get(BlobInfo, sha)
        if info is None or info.kind == "file" or not await _may_see(db, sha, info, me):
            raise not_found("blob")
        served: BlobInfo | None = info
        if info.kind == "photo":
            if variant == "image":
                # Originals keep their metadata (position, camera): never served.
                raise DomainError("ask for variant=screen or variant=thumb of a photo")
            info = await _settled(db, request, info)
            if info.state == FAILED:
                raise NotFoundException(f"the photo has no copies: {info.error}")
            async with db.read() as session:
                served = await session.scalar(
                    select(BlobInfo).where(
                        BlobInfo.original_sha256 == sha, BlobInfo.variant == variant
                    )
                )
        if served is None:
            raise not_found("blob")
        etag = f'"{served.sha256}"'
        headers = {"ETag": etag, "Cache-Control": IMMUTABLE, "Accept-Ranges": "bytes"}
        if request.headers.get("if-none-match") == etag:
            return Response(b"", status_code=304, headers=headers)
        store: BlobStore = request.app.state.blobs
        # A file missing from the store is answered 404 (blob_error_handler), not with a 200
        # whose body stops short.
        await store.size(served.sha256)
        media_type = "image/png" if served.kind == "signature" else "image/jpeg"
        size = served.size
        wanted = request.headers.get("range")
        start, end = 0, size
        status = 200
        if wanted:
            span = parse_range(wanted, size)
            if span is None:
                return Response(
                    b"", status_code=416, headers={**headers, "Content-Range": f"bytes */{size}"}
                )
            start, end = span
            status = 206
            headers["Content-Range"] = f"bytes {start}-{end - 1}/{size}"
        headers["Content-Length"] = str(end - start)

        async def body() -> AsyncIterator[bytes]:
            try:
                async for chunk in store.read(served.sha256, start, end):
                    yield chunk
            except BlobError:
                return

        return Stream(body(), status_code=status, media_type=media_type, headers=headers)
