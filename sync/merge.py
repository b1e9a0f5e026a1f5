"""Field-level three-way merge by declared policy: pure functions over plain values.

Every field a device may touch has a policy. A decision says what the server keeps, and
which value, if any, goes to the field history (overridden or refused) or to a conflict record,
so no value is ever lost. See docs/sync-protocol.md, "Merge policies".
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from sync.rules.lifecycle import Actor, JobStatus, TransitionError, check_transition


class Policy(StrEnum):
    """How a field merges."""

    OFFICE = "office"
    """Owned by the office (assignment, schedule, customer data): devices may not write it."""
    ENGINEER = "engineer"
    """Owned by the engineer (diagnosis, work done, advice): their edit wins over the office's;
    two engineers' or two devices' concurrent edits need a person."""
    WRITE_ONCE = "write_once"
    """Written once and never replaced (a signature); a second value needs a person."""
    ROWS = "rows"
    """Rows of their own (parts used, photos, notes, trip log): inserts never clash."""
    STATE_MACHINE = "state_machine"
    """The job status: moves only as the state machine allows; an impossible move is kept as a
    conflict, and the work that came with it is kept too."""


JOB_FIELDS: MappingProxyType[str, Policy] = MappingProxyType(
    {
        "fault_description": Policy.OFFICE,
        "urgency": Policy.OFFICE,
        "contact_name": Policy.OFFICE,
        "contact_phone": Policy.OFFICE,
        "handling_plan": Policy.OFFICE,
        "office_notes": Policy.OFFICE,
        "scheduled_at": Policy.OFFICE,
        "assigned_engineer_id": Policy.OFFICE,
        "site_id": Policy.OFFICE,
        "asset_id": Policy.OFFICE,
        "diagnosis": Policy.ENGINEER,
        "cause": Policy.ENGINEER,
        "work_done": Policy.ENGINEER,
        "advice": Policy.ENGINEER,
        "status": Policy.STATE_MACHINE,
    }
)
"""The policy of every job field a client could name."""

PART_LINE_FIELDS: MappingProxyType[str, Policy] = MappingProxyType(
    {
        "quantity": Policy.ENGINEER,
        "billing": Policy.ENGINEER,
        "note": Policy.ENGINEER,
        "unit_price": Policy.OFFICE,
    }
)
"""The policy of every part-line field a client could name."""

PHOTO_FIELDS: MappingProxyType[str, Policy] = MappingProxyType(
    {
        "category": Policy.ENGINEER,
        "caption": Policy.ENGINEER,
    }
)
"""The policy of every photo field a client could name (``photo.change``): the engineer took
the photo, so what it shows and says is theirs, like the note of a part line."""

ENGINEER_RECORD_FIELDS = frozenset(k for k, v in JOB_FIELDS.items() if v is Policy.ENGINEER)
"""The fields of the engineer's record (``job.record``)."""


class Writer(StrEnum):
    """Who wrote the server's current value of a field, seen from the incoming mutation."""

    NOBODY = "nobody"
    SAME_DEVICE = "same_device"
    SAME_USER = "same_user"
    """The same engineer on another device."""
    OTHER_ENGINEER = "other_engineer"
    OFFICE = "office"


class Outcome(StrEnum):
    """What the server does with one incoming field value."""

    APPLY = "apply"
    """Store the client's value."""
    KEEP = "keep"
    """The server already holds the client's value: nothing to do."""
    OVERRIDE = "override"
    """Store the client's value; the server's concurrent value goes to the history."""
    CONFLICT = "conflict"
    """Keep the server's value; both go to a conflict record for a person to decide."""
    REJECT = "reject"
    """Refuse the client's value (it goes to the history as refused)."""


@dataclass(frozen=True, slots=True)
class Decision:
    """The outcome of merging one field, with the reason shown to people."""

    outcome: Outcome
    reason: str = ""


def merge_field(
    policy: Policy, *, base: Any, server: Any, client: Any, writer: Writer = Writer.NOBODY
) -> Decision:
    """Three-way merge of one field.

    ``base`` is the value on the device just before the edit, ``server`` the server's current
    value, ``client`` the edit, ``writer`` who wrote ``server``.
    """
    if policy is Policy.OFFICE:
        return Decision(Outcome.REJECT, "the office owns this field; devices cannot change it")
    if policy is Policy.ROWS:
        return Decision(Outcome.APPLY)
    if client == server:
        return Decision(Outcome.KEEP)
    if policy is Policy.WRITE_ONCE:
        if server is None:
            return Decision(Outcome.APPLY)
        return Decision(Outcome.CONFLICT, "written once already; a second value needs a decision")
    if policy is Policy.ENGINEER:
        if server == base or writer in (Writer.NOBODY, Writer.SAME_DEVICE):
            return Decision(Outcome.APPLY)
        if writer is Writer.OFFICE:
            return Decision(
                Outcome.OVERRIDE, "the engineer's edit wins over the office's on their own record"
            )
        who = (
            "this engineer on another device" if writer is Writer.SAME_USER else "another engineer"
        )
        return Decision(Outcome.CONFLICT, f"changed meanwhile by {who}")
    raise ValueError(f"merge_field does not decide {policy}; use merge_status")


def merge_status(*, server: JobStatus, target: JobStatus, actor: Actor | None) -> Decision:
    """Merge a status move: allowed moves apply, repeated ones are kept, impossible ones become a
    conflict (the device's work stays; the office decides the status)."""
    if server == target:
        return Decision(Outcome.KEEP)
    try:
        check_transition(server, target, actor)
    except TransitionError as exc:
        return Decision(Outcome.CONFLICT, str(exc))
    return Decision(Outcome.APPLY)
