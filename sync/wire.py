"""The sync protocol's messages (version 1), as msgspec structs. See docs/sync-protocol.md.

Inbound messages ignore unknown fields, so a newer app's push is accepted by an older server;
new fields always get defaults; a field's type never changes. Each mutation's ``args`` are
decoded on their own, so one malformed or unknown mutation is rejected without failing the
batch.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

import msgspec

PROTOCOL = 1
"""The protocol version this server speaks."""
MAX_MUTATIONS = 500
"""Mutations accepted in one push."""
MAX_PULL_LIMIT = 2000
"""Largest page a pull may ask for."""

MAX_TEXT = 10_000
"""Characters in a field of the engineer's record (and in its ``base``)."""
Text = Annotated[str, msgspec.Meta(max_length=MAX_TEXT)]
MAX_SHORT = 200
"""Characters in a short text: a part line's note, a photo's caption."""
Short = Annotated[str, msgspec.Meta(max_length=MAX_SHORT)]
# The length too: msgspec searches the pattern, and "$" also matches before a final "\n".
Sha256 = Annotated[str, msgspec.Meta(pattern=r"^[0-9a-f]{64}$", min_length=64, max_length=64)]
Latitude = Annotated[float, msgspec.Meta(ge=-90, le=90)]
Longitude = Annotated[float, msgspec.Meta(ge=-180, le=180)]
Accuracy = Annotated[float, msgspec.Meta(ge=0, le=100_000)]
Aware = Annotated[datetime, msgspec.Meta(tz=True)]


class Message(msgspec.Struct, kw_only=True, omit_defaults=True):
    """Base of protocol messages: unknown fields ignored, defaults left out on the wire."""


# ---- push -----------------------------------------------------------------------------------


MAX_SEQ = 2**53 - 1
"""The largest sequence number: the largest integer a JavaScript number holds exactly (and far
below what the database's 64-bit column takes)."""


class MutationEnvelope(Message, kw_only=True):
    """One named change made on the device, exactly as queued in its outbox."""

    id: uuid.UUID
    """Made by the device; names the mutation for ever."""
    seq: Annotated[int, msgspec.Meta(le=MAX_SEQ)]
    """The device's own counter: 1, 2, 3 … without gaps, never reused (at least 1)."""
    name: str
    at: datetime
    """The device's clock when the change was made, with its offset (kept as data, never
    used for order)."""
    args: Any = {}
    """The mutation's arguments (see the catalogue); checked one mutation at a time."""


class PushRequest(Message, kw_only=True):
    """A batch of mutations from one device, in the order they were made."""

    protocol: int = PROTOCOL
    app_version: str = ""
    """Kept (first 40 characters) to tell which app versions are in the field."""
    device_id: uuid.UUID
    sent_at: datetime
    """The device's clock when it sent the batch; measures its offset."""
    mutations: Annotated[list[MutationEnvelope], msgspec.Meta(max_length=MAX_MUTATIONS)]


class Status(StrEnum):
    """What became of a mutation."""

    APPLIED = "applied"
    """Applied as sent."""
    MERGED = "merged"
    """Applied, and a concurrent change was merged; overridden values are in the history."""
    CONFLICT = "conflict"
    """Kept, and a conflict record awaits the office; nothing was lost."""
    REJECTED = "rejected"
    """Refused with a reason; the device should show it and drop the mutation."""
    DUPLICATE = "duplicate"
    """This mutation id was already applied under another sequence number; nothing changed."""


class Refusal(StrEnum):
    """The codes of rejections an engineer may meet in normal work (sync protocol 4.2)."""

    REASSIGNED = "reassigned"
    """The job was reassigned to another engineer while this work was offline."""
    NOT_YOURS = "not_yours"
    """The job is unknown, or was never assigned to this engineer."""
    SIGNED_PHOTO = "signed_photo"
    """The customer signed the report with this photo in it: it no longer changes."""
    REMOVED = "removed"
    """The part line or photo the mutation changes was removed."""
    JOB_REVIEWED = "job_reviewed"
    """The office has reviewed the job (or settled or closed it): its record, part lines and
    photos are no longer edited or removed from a phone (the values are kept in its history).
    New rows (parts, photos, receipts, notes, trip-log lines) are still kept."""
    ALREADY_RATED = "already_rated"
    """The customer rated this visit already: one rating on site per visit."""


class MutationResult(Message, kw_only=True):
    """The answer for one mutation. A retried push gets the stored answer again."""

    id: uuid.UUID
    seq: int
    status: Status
    reason: str = ""
    code: str | None = None
    """Of some rejections: what the reason says, for the app to say in its engineer's language
    (a :class:`Refusal`; a code the app does not know is shown by ``reason``)."""
    conflicts: list[uuid.UUID] = []
    replayed: bool = False
    """True when this answer was stored by an earlier delivery of the same push."""


class Answer(msgspec.Struct, kw_only=True):
    """Base of server answers: every field is sent, so clients always see ``protocol``."""


class PushResponse(Answer, kw_only=True):
    """The answer to a push."""

    protocol: int = PROTOCOL
    server_time: datetime
    last_seq: int
    """The highest sequence applied from this device. Drop outbox entries by their results'
    ids, not by this number: a late push may still fill a gap below it."""
    clock_offset_ms: int
    """Device clock minus server clock, measured at this push."""
    clock_skewed: bool
    results: list[MutationResult]


# ---- mutation arguments -----------------------------------------------------------------------


class Args(msgspec.Struct, kw_only=True, forbid_unknown_fields=False):
    """Base of mutation arguments."""


class JobAccept(Args, kw_only=True):
    """The engineer acknowledges an assigned job (接单)."""

    job_id: uuid.UUID


FieldStatus = Literal["en_route", "on_site", "waiting_parts", "work_done"]


class JobStatusMove(Args, kw_only=True):
    """A status tap on the phone; departures and arrivals also log the trip."""

    job_id: uuid.UUID
    to: FieldStatus
    base_status: str
    """The status the device showed when the engineer tapped."""
    latitude: Latitude | None = None
    longitude: Longitude | None = None
    accuracy_m: Accuracy | None = None


class JobRecord(Args, kw_only=True):
    """Edits to the engineer's record of a job: diagnosis, cause, work done, advice."""

    job_id: uuid.UUID
    fields: dict[str, Text]
    base: dict[str, Text | None] = {}
    """Each edited field's value on the device just before this edit, its own unsynced edits
    included (the three-way merge's common ancestor). A field missing here is merged as if
    the device had not seen the server's value."""


class TripLog(Args, kw_only=True):
    """A line of the site trip log (外出工地登记)."""

    id: uuid.UUID
    job_id: uuid.UUID
    kind: Literal["departed", "arrived", "left"]
    latitude: Latitude | None = None
    longitude: Longitude | None = None
    accuracy_m: Accuracy | None = None


class PartLineAdd(Args, kw_only=True):
    """A part used, from the van, the warehouse or the customer."""

    id: uuid.UUID
    job_id: uuid.UUID
    part_id: uuid.UUID
    quantity: str
    """A decimal number as text, e.g. "2" or "1.5"."""
    billing: Literal["warranty", "chargeable"]
    source: Literal["van", "warehouse", "customer"] = "van"
    note: Short = ""


class PartLineChange(Args, kw_only=True):
    """Changes to a part line; each field merges against ``base``."""

    id: uuid.UUID
    fields: dict[str, Annotated[str, msgspec.Meta(max_length=200)]]
    base: dict[str, str | None] = {}


class PartLineRemove(Args, kw_only=True):
    """A part line taken off the job."""

    id: uuid.UUID


class PhotoAdd(Args, kw_only=True):
    """A photo record; its bytes upload separately by hash."""

    id: uuid.UUID
    job_id: uuid.UUID
    blob_sha256: Sha256
    category: Literal["before", "during", "after", "defect", "nameplate"]
    caption: Short = ""
    taken_at: Aware | None = None
    latitude: Latitude | None = None
    longitude: Longitude | None = None


class PhotoChange(Args, kw_only=True):
    """A photo's category or caption changed; each field merges against ``base``."""

    id: uuid.UUID
    fields: dict[str, Short]
    """Values as text; the handler checks a category (its reason names the categories)."""
    base: dict[str, str | None] = {}


class PhotoRemove(Args, kw_only=True):
    """A photo taken off the job (kept, with ``removed_at``)."""

    id: uuid.UUID


class NoteAdd(Args, kw_only=True):
    """A note on the job."""

    id: uuid.UUID
    job_id: uuid.UUID
    body: Annotated[str, msgspec.Meta(min_length=1, max_length=10_000)]


class SignatureAdd(Args, kw_only=True):
    """A signature drawn on the phone, bound to the report content it confirms."""

    id: uuid.UUID
    job_id: uuid.UUID
    signer_role: Literal["customer", "engineer"]
    signer_name: Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
    strokes: dict[str, Any]
    content_sha256: Sha256
    latitude: Latitude | None = None
    longitude: Longitude | None = None


class SatisfactionAdd(Args, kw_only=True):
    """The customer's rating on site."""

    id: uuid.UUID
    job_id: uuid.UUID
    score: Annotated[int, msgspec.Meta(ge=1, le=5)]
    remarks: Annotated[str, msgspec.Meta(max_length=2000)] = ""


class ReceiptAdd(Args, kw_only=True):
    """An item taken back for repair, with its receipt (客户产品返修收据)."""

    id: uuid.UUID
    job_id: uuid.UUID
    item_description: Annotated[str, msgspec.Meta(min_length=1, max_length=2000)]
    serial: Annotated[str, msgspec.Meta(max_length=100)] = ""
    fault: Annotated[str, msgspec.Meta(max_length=2000)] = ""
    accessories: Annotated[str, msgspec.Meta(max_length=2000)] = ""
    promised_at: Aware | None = None


MUTATIONS: dict[str, type[Args]] = {
    "job.accept": JobAccept,
    "job.status": JobStatusMove,
    "job.record": JobRecord,
    "trip.log": TripLog,
    "part_line.add": PartLineAdd,
    "part_line.change": PartLineChange,
    "part_line.remove": PartLineRemove,
    "photo.add": PhotoAdd,
    "photo.change": PhotoChange,
    "photo.remove": PhotoRemove,
    "note.add": NoteAdd,
    "signature.add": SignatureAdd,
    "satisfaction.add": SatisfactionAdd,
    "receipt.add": ReceiptAdd,
}
"""The mutation catalogue: name to argument struct."""


class BadMutation(ValueError):
    """A mutation whose name is unknown or whose arguments do not decode."""


_NUL_JSON = b"\\u0000"


def has_nul(value: Any) -> bool:
    """Whether any text in ``value`` (JSON-like) holds a NUL character."""
    try:
        # One pass in C: JSON spells NUL as \u0000, so without that sequence there is none.
        if _NUL_JSON not in encoder.encode(value):
            return False
    except (TypeError, msgspec.EncodeError):
        pass
    return _has_nul(value)


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


def scrub(value: Any) -> Any:
    """``value`` with NUL characters replaced, so it can be stored (PostgreSQL refuses them)."""
    if isinstance(value, str):
        return value.replace("\x00", "\ufffd")
    if isinstance(value, dict):
        return {scrub(k): scrub(v) for k, v in value.items()}
    if isinstance(value, list):
        return [scrub(v) for v in value]
    return value


def decode_args(envelope: MutationEnvelope) -> Args:
    """The typed arguments of a mutation, or :class:`BadMutation` with the reason."""
    if envelope.seq < 1:
        raise BadMutation("seq must be at least 1")
    cls = MUTATIONS.get(envelope.name)
    if cls is None:
        known = ", ".join(sorted(MUTATIONS))
        raise BadMutation(f"unknown mutation {envelope.name!r}; this server knows {known}")
    if not isinstance(envelope.args, dict):
        raise BadMutation("args must be an object")
    if has_nul(envelope.args):
        raise BadMutation("text may not contain NUL characters")
    try:
        args = msgspec.convert(envelope.args, cls, strict=False)
    except msgspec.ValidationError as exc:
        raise BadMutation(f"invalid arguments: {exc}") from None
    for name in cls.__struct_fields__:
        value = getattr(args, name)
        if isinstance(value, datetime) and not storable(value):
            raise BadMutation(f"invalid arguments: {name} is out of range")
    return args


def storable(moment: datetime) -> bool:
    """Whether a time can be stored: it exists in UTC (year 1 at +14:00 does not)."""
    try:
        moment.astimezone(UTC)
    except OverflowError:
        return False
    return True


def device_time(envelope: MutationEnvelope) -> tuple[datetime | None, str]:
    """The envelope's ``at`` as the server keeps it, or None and why it cannot be kept."""
    if envelope.at.tzinfo is None:
        return None, "`at` needs a time zone"
    if not storable(envelope.at):
        return None, "`at` is out of range"
    return envelope.at, ""


# ---- pull -----------------------------------------------------------------------------------


class Item(Message, kw_only=True):
    """One record in a pull: its current state, or a tombstone."""

    entity: str
    id: str
    op: Literal["upsert", "delete"]
    data: dict[str, Any] | None = None
    seq: int = 0
    """The feed position that carried it (0 for records sent with a job entering scope)."""


class PullResponse(Answer, kw_only=True):
    """A page of the change feed, scoped to the caller."""

    protocol: int = PROTOCOL
    server_time: datetime
    cursor: str
    """Opaque: send it back unchanged to get the next page."""
    has_more: bool
    items: list[Item] = []
    evictions: list[uuid.UUID] = []
    """Jobs that left the caller's scope: drop them and what hangs off them (not the outbox)."""
    resync: bool = False
    """The cursor is older than the kept history: drop the replica (keep the outbox) and pull
    again without a cursor."""


encoder = msgspec.json.Encoder()
"""One shared encoder for protocol messages."""
