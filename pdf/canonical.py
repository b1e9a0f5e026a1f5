"""The canonical report content: what the customer signs, as bytes, and its SHA-256.

The phone computes the same hash from its local replica (see ``docs/report-content.md``), so
this module holds only data the pull gives a device, and every rule here is one a TypeScript
client can follow with ``JSON.stringify`` and string operations: no floats, ASCII keys,
no clock-dependent values. Pure: no imports from ``api``.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections.abc import Iterable, Mapping
from typing import Any

import msgspec

CONTENT_VERSION = 1
"""The ``version`` field of the canonical document; a new rule means a new version."""

_DECIMAL = re.compile(r"([0-9]+)(?:\.([0-9]+))?")
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


class JobContent(msgspec.Struct):
    """The job's own fields, as the device holds them."""

    number: str
    fault_description: str = ""
    diagnosis: str = ""
    cause: str = ""
    work_done: str = ""
    advice: str = ""


class CustomerContent(msgspec.Struct):
    """The customer's file."""

    name: str


class SiteContent(msgspec.Struct):
    """The site the job is at."""

    name: str = ""
    address: str = ""


class AssetContent(msgspec.Struct):
    """The equipment the job is on."""

    model: str = ""
    serial: str = ""


class PartLineContent(msgspec.Struct):
    """A part line joined with its catalogue part."""

    id: str
    part_code: str
    part_name: str
    unit: str
    quantity: str
    """A decimal as text, as the device holds it ("2", "2.000", "1.5")."""
    billing: str
    note: str = ""
    removed_at: str | None = None
    """Set when the line was taken off the job; such lines are left out."""


class PhotoContent(msgspec.Struct):
    """A photo record."""

    id: str
    blob_sha256: str
    category: str
    caption: str = ""
    removed_at: str | None = None


class ReceiptContent(msgspec.Struct):
    """A return-for-repair receipt (its number is server-made and left out)."""

    id: str
    item_description: str
    serial: str = ""
    fault: str = ""
    accessories: str = ""


class ContentInput(msgspec.Struct):
    """Every field the canonical content is built from, as a device's replica holds it."""

    job: JobContent
    customer: CustomerContent
    site: SiteContent | None = None
    asset: AssetContent | None = None
    part_lines: list[PartLineContent] = msgspec.field(default_factory=list)
    photos: list[PhotoContent] = msgspec.field(default_factory=list)
    receipts: list[ReceiptContent] = msgspec.field(default_factory=list)


def text(value: str) -> str:
    """A text field in canonical form: lone surrogates become U+FFFD, CR LF and CR become
    LF, then Unicode NFC."""
    value = _LONE_SURROGATE.sub("\ufffd", value)
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    return unicodedata.normalize("NFC", value)


def decimal_text(value: str) -> str:
    """A non-negative decimal in canonical form: digits, no exponent, no sign, no leading
    zeros in the integer part (but at least one digit), no trailing zeros in the fraction,
    and no point when the fraction is empty: "2.000" -> "2", "0.250" -> "0.25"."""
    match = _DECIMAL.fullmatch(value)
    if match is None:
        raise ValueError(f"quantity {value!r} is not a decimal number like 2 or 1.5")
    whole = match.group(1).lstrip("0") or "0"
    fraction = (match.group(2) or "").rstrip("0")
    return f"{whole}.{fraction}" if fraction else whole


def canonical_document(content: ContentInput) -> dict[str, Any]:
    """The canonical content as a JSON-ready dict (before key sorting and encoding)."""
    job = content.job
    site = content.site or SiteContent()
    asset = content.asset or AssetContent()
    parts = sorted((p for p in content.part_lines if not p.removed_at), key=lambda p: p.id.lower())
    photos = sorted((p for p in content.photos if not p.removed_at), key=lambda p: p.id.lower())
    receipts = sorted(content.receipts, key=lambda r: r.id.lower())
    return {
        "version": CONTENT_VERSION,
        "job": {
            "number": text(job.number),
            "fault_description": text(job.fault_description),
            "diagnosis": text(job.diagnosis),
            "cause": text(job.cause),
            "work_done": text(job.work_done),
            "advice": text(job.advice),
        },
        "customer": {"name": text(content.customer.name)},
        "site": {"name": text(site.name), "address": text(site.address)},
        "asset": {"model": text(asset.model), "serial": text(asset.serial)},
        "parts": [
            {
                "id": p.id.lower(),
                "code": text(p.part_code),
                "name": text(p.part_name),
                "unit": text(p.unit),
                "quantity": decimal_text(p.quantity),
                "billing": text(p.billing),
                "note": text(p.note),
            }
            for p in parts
        ],
        "photos": [
            {
                "id": p.id.lower(),
                "sha256": p.blob_sha256.lower(),
                "category": text(p.category),
                "caption": text(p.caption),
            }
            for p in photos
        ],
        "receipts": [
            {
                "id": r.id.lower(),
                "item": text(r.item_description),
                "serial": text(r.serial),
                "fault": text(r.fault),
                "accessories": text(r.accessories),
            }
            for r in receipts
        ],
    }


def canonical_text(content: ContentInput) -> str:
    """The canonical content as text: JSON, keys sorted by code point at every level, no
    insignificant whitespace, non-ASCII characters as themselves (not ``\\u`` escapes)."""
    return json.dumps(
        canonical_document(content), ensure_ascii=False, separators=(",", ":"), sort_keys=True
    )


def canonical_bytes(content: ContentInput) -> bytes:
    """The canonical content as UTF-8 bytes: what is hashed."""
    return canonical_text(content).encode("utf-8")


def content_sha256(content: ContentInput) -> str:
    """SHA-256 of the canonical bytes, 64 lowercase hex digits."""
    return hashlib.sha256(canonical_bytes(content)).hexdigest()


def content_from_json(data: Any) -> ContentInput:
    """A :class:`ContentInput` from plain JSON data (a test vector's ``input``)."""
    return msgspec.convert(data, ContentInput)


def content_from_records(
    *,
    job: Mapping[str, Any],
    customer: Mapping[str, Any],
    site: Mapping[str, Any] | None,
    asset: Mapping[str, Any] | None,
    part_lines: Iterable[Mapping[str, Any]],
    parts: Mapping[str, Mapping[str, Any]],
    photos: Iterable[Mapping[str, Any]],
    receipts: Iterable[Mapping[str, Any]],
) -> ContentInput:
    """The input from records shaped as the pull sends them (a device's replica): ``parts``
    maps part ids to catalogue records; rows may be the device's own, not yet pulled back."""
    return ContentInput(
        job=JobContent(
            number=job["number"],
            fault_description=job.get("fault_description") or "",
            diagnosis=job.get("diagnosis") or "",
            cause=job.get("cause") or "",
            work_done=job.get("work_done") or "",
            advice=job.get("advice") or "",
        ),
        customer=CustomerContent(name=customer["name"]),
        site=SiteContent(name=site["name"], address=site.get("address") or "") if site else None,
        asset=AssetContent(model=asset["model"], serial=asset["serial"]) if asset else None,
        part_lines=[
            PartLineContent(
                id=str(line["id"]),
                part_code=parts[str(line["part_id"])]["code"],
                part_name=parts[str(line["part_id"])]["name"],
                unit=parts[str(line["part_id"])]["unit"],
                quantity=str(line["quantity"]),
                billing=line["billing"],
                note=line.get("note") or "",
                removed_at=line.get("removed_at"),
            )
            for line in part_lines
        ],
        photos=[
            PhotoContent(
                id=str(p["id"]),
                blob_sha256=p["blob_sha256"],
                category=p["category"],
                caption=p.get("caption") or "",
                removed_at=p.get("removed_at"),
            )
            for p in photos
        ],
        receipts=[
            ReceiptContent(
                id=str(r["id"]),
                item_description=r["item_description"],
                serial=r.get("serial") or "",
                fault=r.get("fault") or "",
                accessories=r.get("accessories") or "",
            )
            for r in receipts
        ],
    )


def content_from_replica(
    view: Mapping[tuple[str, str], Mapping[str, Any]], job_id: str
) -> ContentInput:
    """The input of job ``job_id`` from a device's replica: records keyed by (entity, id) as
    the pull names them (``docs/sync-protocol.md`` 9.3), the device's pending rows included."""
    job = view[("jobs", job_id)]

    def children(entity: str) -> list[Mapping[str, Any]]:
        return [v for (e, _), v in view.items() if e == entity and str(v.get("job_id")) == job_id]

    return content_from_records(
        job=job,
        customer=view[("customers", str(job["customer_id"]))],
        site=view.get(("sites", str(job.get("site_id")))),
        asset=view.get(("assets", str(job.get("asset_id")))),
        part_lines=children("part_lines"),
        parts={ident: v for (e, ident), v in view.items() if e == "parts"},
        photos=children("photos"),
        receipts=children("repair_receipts"),
    )
