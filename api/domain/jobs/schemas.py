"""Wire messages of jobs (工单): intake, dispatch, lists and the full detail."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

import msgspec

from api.domain.customers.schemas import AssetOut, CustomerOut, SiteOut
from api.http import AwareDatetime, BaseVersion, Out, Schema
from api.models import Billing, Channel, PartSource, TripKind, Urgency
from sync.rules.lifecycle import JobStatus
from sync.rules.sla import SlaState

LongText = Annotated[str, msgspec.Meta(max_length=10_000)]
Reason = Annotated[str, msgspec.Meta(min_length=1, max_length=2000)]


class FaultIn(Schema):
    """A fault report (报修) taken by the desk."""

    customer_id: uuid.UUID
    channel: Channel
    fault_description: Annotated[str, msgspec.Meta(min_length=1, max_length=10_000)]
    site_id: uuid.UUID | None = None
    asset_id: uuid.UUID | None = None
    urgency: Urgency = Urgency.NORMAL
    contact_name: Annotated[str, msgspec.Meta(max_length=100)] = ""
    contact_phone: Annotated[str, msgspec.Meta(max_length=40)] = ""
    reported_at: AwareDatetime | None = None
    """When the customer reported it, if earlier than now (a call logged late); never future,
    never before 2000."""
    office_notes: LongText = ""


class JobPatch(Schema):
    """Changes to the office-owned fields of a job."""

    fault_description: (
        Annotated[str, msgspec.Meta(min_length=1, max_length=10_000)] | msgspec.UnsetType
    ) = msgspec.UNSET
    urgency: Urgency | msgspec.UnsetType = msgspec.UNSET
    contact_name: Annotated[str, msgspec.Meta(max_length=100)] | msgspec.UnsetType = msgspec.UNSET
    contact_phone: Annotated[str, msgspec.Meta(max_length=40)] | msgspec.UnsetType = msgspec.UNSET
    office_notes: LongText | msgspec.UnsetType = msgspec.UNSET
    handling_plan: LongText | msgspec.UnsetType = msgspec.UNSET
    customer_id: uuid.UUID | msgspec.UnsetType = msgspec.UNSET
    """Files the job under another customer (a report taken under the wrong one), until the
    customer signs. The site and equipment are the new customer's given with it, or none."""
    site_id: uuid.UUID | msgspec.UnsetType | None = msgspec.UNSET
    asset_id: uuid.UUID | msgspec.UnsetType | None = msgspec.UNSET
    version: BaseVersion = msgspec.UNSET
    """The version the edit was made on (optional): 409 if the record changed since."""


class AcceptIn(Schema):
    """The desk verified the report and gives a handling plan (受理)."""

    handling_plan: Annotated[str, msgspec.Meta(min_length=1, max_length=10_000)]


class AssignIn(Schema):
    """Dispatch (派工) to an engineer, or reassign; optionally with a visit time."""

    engineer_id: uuid.UUID
    scheduled_at: AwareDatetime | None = None
    handling_plan: LongText = ""
    """Recorded as the plan when the job had none yet."""


class ScheduleIn(Schema):
    """A new visit time."""

    scheduled_at: AwareDatetime | None


class CancelIn(Schema):
    """Why a job is cancelled."""

    reason: Reason


class ReviewIn(Schema):
    """The supervisor's decision on a signed service record (主管审核)."""

    decision: Literal["approve", "send_back"]
    note: Annotated[str, msgspec.Meta(max_length=2000)] = ""
    """Required when sending back: it reaches the engineer's phone."""


class FollowUpIn(Schema):
    """The call-back (回访): the customer's rating and whether they are satisfied."""

    score: Annotated[int, msgspec.Meta(ge=1, le=5)]
    satisfied: bool
    """False reopens the job for a new visit."""
    remarks: Annotated[str, msgspec.Meta(max_length=2000)] = ""


class SlaOut(Out):
    """The SLA clocks of a job (docs/sla.md)."""

    plan_due: datetime
    on_site_due: datetime
    callback_due: datetime | None
    plan: SlaState
    on_site: SlaState
    callback: SlaState | None
    worst: SlaState


class JobSummary(Out):
    """A job in a list."""

    id: uuid.UUID
    number: str
    status: JobStatus
    urgency: Urgency
    channel: Channel
    customer_id: uuid.UUID
    customer_name: str
    site_id: uuid.UUID | None
    site_name: str | None
    asset_id: uuid.UUID | None
    assigned_engineer_id: uuid.UUID | None
    engineer_name: str | None
    fault_description: str
    reported_at: datetime
    scheduled_at: datetime | None
    sla: SlaOut
    version: int
    updated_at: datetime


class PartLineOut(Out):
    """A part used on the job."""

    id: uuid.UUID
    part_id: uuid.UUID
    code: str
    name: str
    name_en: str
    """The catalogue's English name, for an English-speaking desk; '' when it has none."""
    unit: str
    unit_en: str
    """The catalogue's English unit, for an English-speaking desk; '' when it has none."""
    quantity: Decimal
    unit_price: Decimal
    billing: Billing
    source: PartSource
    note: str


class TripEventOut(Out):
    """A line of the trip log."""

    id: uuid.UUID
    kind: TripKind
    engineer_id: uuid.UUID
    device_time: datetime
    server_time: datetime
    latitude: float | None
    longitude: float | None


class NoteOut(Out):
    """A note on the job."""

    id: uuid.UUID
    author_id: uuid.UUID | None
    body: str
    created_at: datetime


class SatisfactionOut(Out):
    """A satisfaction rating."""

    id: uuid.UUID
    source: str
    score: int
    remarks: str
    at: datetime


class PhotoOut(Out):
    """A photo record; ``uploaded`` is false while its bytes are still on the way.

    ``state``: uploading (bytes on the way), processing (stored; copies being made), ready
    (copies made) or failed (the image pipeline refused it; ``error`` says why).
    """

    id: uuid.UUID
    category: str
    caption: str
    blob_sha256: str
    uploaded: bool
    screen_sha256: str | None
    thumb_sha256: str | None
    taken_at: datetime | None
    latitude: float | None
    longitude: float | None
    state: str = "uploading"
    error: str = ""
    removed_at: datetime | None = None
    """When the engineer took the photo off the job (only in ``removed_photos``)."""


class SignatureOut(Out):
    """A signature as given on the phone; the image is the blob ``png_sha256``."""

    id: uuid.UUID
    signer_role: str
    signer_name: str
    png_sha256: str
    content_sha256: str
    device_time: datetime
    server_time: datetime
    latitude: float | None
    longitude: float | None
    superseded_at: datetime | None = None
    """Set aside when the job was reopened for a new visit (None: the current signature)."""


class ReceiptOut(Out):
    """A return-for-repair receipt."""

    id: uuid.UUID
    number: str
    item_description: str
    serial: str
    fault: str
    accessories: str
    status: str
    taken_at: datetime
    promised_at: datetime | None
    returned_at: datetime | None


class HistoryOut(Out):
    """One change of the job or of something on it."""

    at: datetime
    actor_id: uuid.UUID | None
    actor_name: str | None
    entity: str
    entity_id: str
    action: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None


class VisitOut(Out):
    """An earlier job on the same asset."""

    id: uuid.UUID
    number: str
    status: JobStatus
    reported_at: datetime
    completed_at: datetime | None
    fault_description: str
    work_done: str


class JobDetail(Out):
    """Everything about a job."""

    job: JobSummary
    contact_name: str
    contact_phone: str
    handling_plan: str
    office_notes: str
    cancel_reason: str
    review_note: str
    diagnosis: str
    cause: str
    work_done: str
    advice: str
    plan_given_at: datetime | None
    assigned_at: datetime | None
    acknowledged_at: datetime | None
    arrived_at: datetime | None
    completed_at: datetime | None
    signed_at: datetime | None
    reviewed_at: datetime | None
    settled_at: datetime | None
    followed_up_at: datetime | None
    closed_at: datetime | None
    cancelled_at: datetime | None
    customer: CustomerOut
    site: SiteOut | None
    asset: AssetOut | None
    warranty_on_report_date: str | None
    part_lines: list[PartLineOut]
    trip: list[TripEventOut]
    notes: list[NoteOut]
    satisfaction: list[SatisfactionOut]
    receipts: list[ReceiptOut]
    photos: list[PhotoOut]
    removed_photos: list[PhotoOut]
    """Photos the engineer took off the job (``photo.remove``): kept, with their bytes, for
    the office to see; reports and the signed content leave them out."""
    signatures: list[SignatureOut]
    content_sha256: str
    """The SHA-256 of the job's report content as it is now (docs/report-content.md): a
    signature whose ``content_sha256`` differs was given to other content (the job changed
    after signing), and the report is then issued only as a correction."""
    earlier_visits: list[VisitOut]
    """The newest earlier jobs on the job's asset (up to 20); the job list's ``asset_id``
    filter gives them all."""
    earlier_visits_total: int
    """How many earlier jobs the asset has in all."""
    history: list[HistoryOut]


class JobFilter(msgspec.Struct, kw_only=True):
    """Filters of the job list (query parameters)."""

    status: list[JobStatus] | None = None
    engineer_id: uuid.UUID | None = None
    unassigned: bool | None = None
    customer_id: uuid.UUID | None = None
    asset_id: uuid.UUID | None = None
    sla: SlaState | None = None
    reported_from: date | None = None
    reported_to: date | None = None
    q: str | None = None
