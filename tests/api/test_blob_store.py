"""One contract for every blob store backend: the local folder and S3-compatible storage
(a real S3 API server on 127.0.0.1, moto's server mode)."""

from __future__ import annotations

import hashlib
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from api.media.store import BlobError, BlobStore, LocalBlobStore, S3BlobStore
from tests.helpers import free_port


@pytest.fixture(scope="module")
def s3_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """An S3 API server on loopback for the duration of the module."""
    port = free_port()
    server = Path(sys.executable).with_name("moto_server")
    log = (tmp_path_factory.mktemp("s3") / "moto.log").open("w")
    proc = subprocess.Popen(
        [str(server), "-H", "127.0.0.1", "-p", str(port)], stdout=log, stderr=log
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                httpx.get(url, timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        else:
            raise RuntimeError("the S3 test server did not start")
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        log.close()


@pytest.fixture(params=["local", "s3"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[BlobStore]:
    if request.param == "local":
        yield LocalBlobStore(tmp_path / "blobs")
        return
    import boto3

    endpoint = request.getfixturevalue("s3_endpoint")
    client = boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id="test",
        aws_secret_access_key="test",
        region_name="us-east-1",
    )
    bucket = f"fieldsync-{tmp_path.name.lower().replace('_', '-')[-40:]}"
    client.create_bucket(Bucket=bucket)
    yield S3BlobStore(client, bucket)


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


async def test_bytes_go_in_and_come_out_whole(store: BlobStore) -> None:
    data = bytes(range(256)) * 4000
    key = sha(data)
    assert not await store.exists(key)
    await store.put_bytes(key, data)
    assert await store.exists(key)
    assert await store.size(key) == len(data)
    assert await store.read_all(key) == data


async def test_ranges_read_exactly_the_asked_bytes(store: BlobStore) -> None:
    data = b"0123456789" * 100_000
    key = sha(data)
    await store.put_bytes(key, data)
    got = b"".join([c async for c in store.read(key, 5, 300_005)])
    assert got == data[5:300_005]
    tail = b"".join([c async for c in store.read(key, len(data) - 3)])
    assert tail == data[-3:]


async def test_a_file_is_consumed_and_storing_twice_is_harmless(
    store: BlobStore, tmp_path: Path
) -> None:
    data = b"photo bytes" * 1000
    key = sha(data)
    for _ in range(2):
        path = tmp_path / "incoming.part"
        path.write_bytes(data)
        await store.put_file(key, path)
        assert not path.exists()
    assert await store.read_all(key) == data


async def test_missing_blobs_and_bad_names_are_errors(store: BlobStore) -> None:
    with pytest.raises(BlobError):
        await store.size("0" * 64)
    with pytest.raises(BlobError):
        await store.read_all("0" * 64)
    with pytest.raises(BlobError):
        await store.exists("../../etc/passwd")
    with pytest.raises(BlobError):
        await store.exists("0" * 64 + "\n")


async def test_delete_removes_and_tolerates_missing(store: BlobStore) -> None:
    data = b"short-lived"
    key = sha(data)
    await store.put_bytes(key, data)
    await store.delete(key)
    assert not await store.exists(key)
    await store.delete(key)
