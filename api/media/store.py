"""The blob store: bytes addressed by their SHA-256, on a local folder or S3-compatible storage.

A blob exists only once its bytes are complete and verified: writers hand over a finished file
whose hash they checked, and the store moves it into place atomically.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, Protocol

import anyio

SHA256 = re.compile(r"^[0-9a-f]{64}$")
READ_CHUNK = 256 * 1024


class BlobError(ValueError):
    """A malformed hash or a missing blob."""


def check_sha(sha: str) -> str:
    """``sha`` if it is a lowercase hex SHA-256; :class:`BlobError` otherwise."""
    if not SHA256.fullmatch(sha):  # match() would let a final "\n" through "$"
        raise BlobError("not a SHA-256 (64 lowercase hex digits)")
    return sha


def sha256_file(path: Path) -> str:
    """The SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()


class BlobStore(Protocol):
    """What every backend offers."""

    async def exists(self, sha: str) -> bool:
        """Whether the blob is stored."""

    async def size(self, sha: str) -> int:
        """The blob's length in bytes; :class:`BlobError` when missing."""

    async def put_file(self, sha: str, path: Path) -> None:
        """Store a finished file whose SHA-256 the caller verified; the file is consumed."""

    async def put_bytes(self, sha: str, data: bytes) -> None:
        """Store bytes whose SHA-256 the caller computed."""

    def read(self, sha: str, start: int = 0, end: int | None = None) -> AsyncIterator[bytes]:
        """The bytes ``start`` to ``end`` (exclusive), in chunks."""

    async def read_all(self, sha: str) -> bytes:
        """All the bytes of a (small) blob."""

    async def delete(self, sha: str) -> None:
        """Remove a blob (no error when missing)."""


class LocalBlobStore:
    """Blobs as files under ``root/ab/cd/<sha>``: two levels of shards keep folders small."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.root.mkdir(parents=True, exist_ok=True)

    def path(self, sha: str) -> Path:
        """Where a blob lives."""
        check_sha(sha)
        return self.root / sha[:2] / sha[2:4] / sha

    async def exists(self, sha: str) -> bool:
        return self.path(sha).is_file()

    async def size(self, sha: str) -> int:
        try:
            return self.path(sha).stat().st_size
        except FileNotFoundError:
            raise BlobError("blob not found") from None

    async def put_file(self, sha: str, path: Path) -> None:
        target = self.path(sha)
        await anyio.to_thread.run_sync(self._install, path, target)

    @staticmethod
    def _install(source: Path, target: Path) -> None:
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.exists():
            source.unlink(missing_ok=True)
            return
        tmp = _tmp_beside(target)
        try:
            os.replace(source, tmp)
        except OSError:
            shutil.copyfile(source, tmp)  # another file system: copy, then drop the source
            source.unlink(missing_ok=True)
        with tmp.open("rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, target)

    async def put_bytes(self, sha: str, data: bytes) -> None:
        target = self.path(sha)
        if target.exists():
            return

        def write() -> None:
            target.parent.mkdir(parents=True, exist_ok=True)
            tmp = _tmp_beside(target)
            with tmp.open("wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, target)

        await anyio.to_thread.run_sync(write)

    async def read(self, sha: str, start: int = 0, end: int | None = None) -> AsyncIterator[bytes]:
        path = self.path(sha)
        try:
            fh = await anyio.open_file(path, "rb")
        except FileNotFoundError:
            raise BlobError("blob not found") from None
        async with fh:
            await fh.seek(start)
            remaining = None if end is None else end - start
            while remaining is None or remaining > 0:
                want = READ_CHUNK if remaining is None else min(READ_CHUNK, remaining)
                chunk = await fh.read(want)
                if not chunk:
                    return
                if remaining is not None:
                    remaining -= len(chunk)
                yield chunk

    async def read_all(self, sha: str) -> bytes:
        try:
            return await anyio.Path(self.path(sha)).read_bytes()
        except FileNotFoundError:
            raise BlobError("blob not found") from None

    async def delete(self, sha: str) -> None:
        self.path(sha).unlink(missing_ok=True)


class S3BlobStore:
    """Blobs as objects ``<prefix><sha>`` in an S3-compatible bucket (boto3, in threads)."""

    def __init__(self, client: Any, bucket: str, prefix: str = "blobs/") -> None:
        self.client = client
        self.bucket = bucket
        self.prefix = prefix

    def key(self, sha: str) -> str:
        """The object key of a blob."""
        return f"{self.prefix}{check_sha(sha)}"

    async def _head(self, sha: str) -> dict[str, Any] | None:
        def head() -> dict[str, Any] | None:
            try:
                result: dict[str, Any] = self.client.head_object(
                    Bucket=self.bucket, Key=self.key(sha)
                )
            except self.client.exceptions.ClientError as exc:
                if exc.response.get("Error", {}).get("Code") in {"404", "NoSuchKey", "NotFound"}:
                    return None
                raise
            return result

        return await anyio.to_thread.run_sync(head)

    async def exists(self, sha: str) -> bool:
        return await self._head(sha) is not None

    async def size(self, sha: str) -> int:
        head = await self._head(sha)
        if head is None:
            raise BlobError("blob not found")
        return int(head["ContentLength"])

    async def put_file(self, sha: str, path: Path) -> None:
        def upload() -> None:
            self.client.upload_file(str(path), self.bucket, self.key(sha))
            path.unlink(missing_ok=True)

        await anyio.to_thread.run_sync(upload)

    async def put_bytes(self, sha: str, data: bytes) -> None:
        await anyio.to_thread.run_sync(
            lambda: self.client.put_object(Bucket=self.bucket, Key=self.key(sha), Body=data)
        )

    async def read(self, sha: str, start: int = 0, end: int | None = None) -> AsyncIterator[bytes]:
        byte_range = f"bytes={start}-" + ("" if end is None else str(end - 1))

        def get() -> Any:
            try:
                return self.client.get_object(
                    Bucket=self.bucket, Key=self.key(sha), Range=byte_range
                )
            except self.client.exceptions.NoSuchKey:
                raise BlobError("blob not found") from None

        body = (await anyio.to_thread.run_sync(get))["Body"]
        try:
            while chunk := await anyio.to_thread.run_sync(body.read, READ_CHUNK):
                yield chunk
        finally:
            body.close()

    async def read_all(self, sha: str) -> bytes:
        return b"".join([chunk async for chunk in self.read(sha)])

    async def delete(self, sha: str) -> None:
        await anyio.to_thread.run_sync(
            lambda: self.client.delete_object(Bucket=self.bucket, Key=self.key(sha))
        )


def _tmp_beside(target: Path) -> Path:
    """A name of its own, next to ``target``, for a file being written until it is moved
    there (unique per write: two writes of one blob in one process must not share it)."""
    return target.with_name(f".{target.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
