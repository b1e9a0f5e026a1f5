"""Build the media services of an app from its settings and the environment."""

from __future__ import annotations

import os
from dataclasses import dataclass

from api.media.images import IngestPool
from api.media.store import BlobStore, LocalBlobStore, S3BlobStore
from api.media.uploads import Uploads
from api.settings import Settings


@dataclass
class Media:
    """The blob store, the upload service and the image workers of one process."""

    blobs: BlobStore
    uploads: Uploads
    pool: IngestPool


def blob_store(settings: Settings) -> BlobStore:
    """The configured blob store: ``FIELDSYNC_BLOB_BACKEND`` local (default) or s3."""
    backend = os.environ.get("FIELDSYNC_BLOB_BACKEND", "local")
    if backend == "local":
        return LocalBlobStore(settings.data_dir / "blobs")
    if backend == "s3":
        import boto3

        env = os.environ
        client = boto3.client(
            "s3",
            endpoint_url=env.get("FIELDSYNC_S3_ENDPOINT") or None,
            aws_access_key_id=env.get("FIELDSYNC_S3_ACCESS_KEY") or None,
            aws_secret_access_key=env.get("FIELDSYNC_S3_SECRET_KEY") or None,
            region_name=env.get("FIELDSYNC_S3_REGION") or None,
        )
        bucket = env.get("FIELDSYNC_S3_BUCKET", "")
        if not bucket:
            raise ValueError("FIELDSYNC_S3_BUCKET is required with FIELDSYNC_BLOB_BACKEND=s3")
        return S3BlobStore(client, bucket)
    raise ValueError(f"FIELDSYNC_BLOB_BACKEND must be local or s3, not {backend!r}")


def make_media(settings: Settings) -> Media:
    """The media services for an app."""
    store = blob_store(settings)
    pool = IngestPool(workers=int(os.environ.get("FIELDSYNC_IMAGE_WORKERS", "2")))
    return Media(
        blobs=store, uploads=Uploads(settings.data_dir / "uploads", store, pool), pool=pool
    )
