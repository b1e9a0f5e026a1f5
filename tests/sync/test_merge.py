"""The merge policies, table-driven, without a database."""

from __future__ import annotations

import pytest

from sync.merge import (
    ENGINEER_RECORD_FIELDS,
    JOB_FIELDS,
    PART_LINE_FIELDS,
    PHOTO_FIELDS,
    Outcome,
    Policy,
    Writer,
    merge_field,
    merge_status,
)
from sync.rules.lifecycle import Actor, JobStatus

OFF, E, W, R = Policy.OFFICE, Policy.ENGINEER, Policy.WRITE_ONCE, Policy.ROWS


@pytest.mark.parametrize(
    ("policy", "base", "server", "client", "writer", "outcome"),
    [
        # office-owned: a device can never write it, whatever the values
        (OFF, "a", "a", "b", Writer.NOBODY, Outcome.REJECT),
        (OFF, "a", "b", "b", Writer.OFFICE, Outcome.REJECT),
        # engineer-owned: nobody changed it meanwhile
        (E, "a", "a", "b", Writer.SAME_DEVICE, Outcome.APPLY),
        (E, None, "", "b", Writer.NOBODY, Outcome.APPLY),
        # the device's own earlier edit that it has not pulled yet
        (E, "x", "a", "b", Writer.SAME_DEVICE, Outcome.APPLY),
        # the same value arrives: nothing to do
        (E, "a", "b", "b", Writer.OTHER_ENGINEER, Outcome.KEEP),
        # the office changed the engineer's field: the owner wins, the office's value is kept
        (E, "a", "office", "b", Writer.OFFICE, Outcome.OVERRIDE),
        # two owners at once: a person decides
        (E, "a", "other", "b", Writer.OTHER_ENGINEER, Outcome.CONFLICT),
        (E, "a", "phone2", "b", Writer.SAME_USER, Outcome.CONFLICT),
        # write-once
        (W, None, None, "sig", Writer.NOBODY, Outcome.APPLY),
        (W, None, "sig", "sig", Writer.SAME_DEVICE, Outcome.KEEP),
        (W, None, "sig", "other", Writer.SAME_DEVICE, Outcome.CONFLICT),
        # rows of their own never clash
        (R, None, None, "row", Writer.OTHER_ENGINEER, Outcome.APPLY),
    ],
)
def test_merge_field_decides_by_policy(
    policy: Policy, base: object, server: object, client: object, writer: Writer, outcome: Outcome
) -> None:
    decision = merge_field(policy, base=base, server=server, client=client, writer=writer)
    assert decision.outcome is outcome
    if outcome in (Outcome.CONFLICT, Outcome.REJECT, Outcome.OVERRIDE):
        assert decision.reason, "people see why"


@pytest.mark.parametrize(
    ("field", "base", "server", "client", "writer", "outcome"),
    [
        # the engineer re-captions or re-categorises their photo: nobody changed it meanwhile
        ("caption", "铭牌", "铭牌", "压缩机铭牌", Writer.NOBODY, Outcome.APPLY),
        ("category", "before", "before", "defect", Writer.OTHER_ENGINEER, Outcome.APPLY),
        # the device's own earlier edit, not pulled back yet
        ("caption", "铭牌", "第一次", "第二次", Writer.SAME_DEVICE, Outcome.APPLY),
        # the same value from two devices
        ("category", "before", "after", "after", Writer.SAME_USER, Outcome.KEEP),
        # over the office's decision: the engineer's photo, the engineer's words
        ("caption", "铭牌", "办公室", "现场", Writer.OFFICE, Outcome.OVERRIDE),
        ("category", "before", "during", "after", Writer.OFFICE, Outcome.OVERRIDE),
        # two devices, or two engineers, at once: a person decides
        ("caption", "铭牌", "手机", "平板", Writer.SAME_USER, Outcome.CONFLICT),
        ("category", "before", "defect", "after", Writer.OTHER_ENGINEER, Outcome.CONFLICT),
        # a device that never saw the server's value never silently overwrites it
        ("caption", None, "手机", "平板", Writer.SAME_USER, Outcome.CONFLICT),
    ],
)
def test_a_photos_fields_merge_by_their_policy(
    field: str, base: object, server: object, client: object, writer: Writer, outcome: Outcome
) -> None:
    decision = merge_field(
        PHOTO_FIELDS[field], base=base, server=server, client=client, writer=writer
    )
    assert decision.outcome is outcome


@pytest.mark.parametrize(
    ("server", "target", "outcome"),
    [
        (JobStatus.ASSIGNED, JobStatus.EN_ROUTE, Outcome.APPLY),
        (JobStatus.EN_ROUTE, JobStatus.ON_SITE, Outcome.APPLY),
        (JobStatus.ON_SITE, JobStatus.WORK_DONE, Outcome.APPLY),
        (JobStatus.ON_SITE, JobStatus.ON_SITE, Outcome.KEEP),
        (JobStatus.CANCELLED, JobStatus.WORK_DONE, Outcome.CONFLICT),
        (JobStatus.REPORTED, JobStatus.EN_ROUTE, Outcome.CONFLICT),
        (JobStatus.SIGNED, JobStatus.ON_SITE, Outcome.CONFLICT),
    ],
)
def test_merge_status_follows_the_state_machine(
    server: JobStatus, target: JobStatus, outcome: Outcome
) -> None:
    decision = merge_status(server=server, target=target, actor=Actor.ENGINEER)
    assert decision.outcome is outcome
    if outcome is Outcome.CONFLICT:
        assert "cannot" in decision.reason


def test_every_job_field_a_device_may_name_has_a_policy() -> None:
    assert {"diagnosis", "cause", "work_done", "advice"} == ENGINEER_RECORD_FIELDS
    assert JOB_FIELDS["assigned_engineer_id"] is Policy.OFFICE
    assert JOB_FIELDS["status"] is Policy.STATE_MACHINE
    assert PART_LINE_FIELDS["unit_price"] is Policy.OFFICE
    assert PART_LINE_FIELDS["quantity"] is Policy.ENGINEER
    assert dict(PHOTO_FIELDS) == {"category": Policy.ENGINEER, "caption": Policy.ENGINEER}


def test_merge_field_refuses_the_status_policy() -> None:
    with pytest.raises(ValueError, match="merge_status"):
        merge_field(Policy.STATE_MACHINE, base="a", server="b", client="c")
