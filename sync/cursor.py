"""The pull cursor: opaque to clients, a small versioned struct to the server."""

from __future__ import annotations

import base64
import binascii
import uuid
from typing import Literal

import msgspec


class Cursor(msgspec.Struct, frozen=True, omit_defaults=True, array_like=True):
    """Where a device stands in the change feed.

    ``phase`` "prime" walks the snapshot of a new device's scope (jobs, then their customers'
    files, then parts, then van stock) up to ``head``; "feed" follows the change feed after ``seq``.
    """

    v: int = 1
    phase: Literal["prime", "feed"] = "feed"
    seq: int = 0
    """Feed position: everything up to here has been delivered (prime: the snapshot's head)."""
    step: Literal["", "jobs", "customers", "parts", "stock"] = ""
    after: uuid.UUID | None = None
    """Last record delivered in the current priming step."""


class BadCursor(ValueError):
    """A cursor that this server did not make."""


_encoder = msgspec.msgpack.Encoder()
_decoder = msgspec.msgpack.Decoder(Cursor)


def encode_cursor(cursor: Cursor) -> str:
    """The opaque text form of a cursor."""
    return base64.urlsafe_b64encode(_encoder.encode(cursor)).decode().rstrip("=")


def decode_cursor(text: str) -> Cursor:
    """Parse a cursor made by :func:`encode_cursor`; :class:`BadCursor` otherwise."""
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        cursor = _decoder.decode(raw)
    except (binascii.Error, ValueError, msgspec.DecodeError, msgspec.ValidationError):
        raise BadCursor("the cursor is not one this server made; pull without a cursor") from None
    if cursor.v != 1:
        raise BadCursor(f"cursor version {cursor.v} is not supported")
    return cursor
