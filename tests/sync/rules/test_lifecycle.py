"""The job status state machine: every allowed move passes, forbidden ones say why."""

from __future__ import annotations

import re
from collections import deque
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sync.rules.lifecycle import (
    ACTIVE_STATUSES,
    FIELD_DONE_STATUSES,
    STATUS_LABELS,
    TERMINAL_STATUSES,
    TRANSITIONS,
    Actor,
    JobStatus,
    TransitionError,
    actor_for_role,
    allowed_targets,
    can_transition,
    check_transition,
)

S = JobStatus
A = Actor

# The brief's table, written out independently so that an edit to TRANSITIONS must be deliberate.
DESK = {A.OFFICE, A.SUPERVISOR}
EXPECTED: dict[tuple[JobStatus, JobStatus], set[Actor]] = {
    (S.REPORTED, S.ACCEPTED): DESK,
    (S.REPORTED, S.ASSIGNED): DESK,
    (S.ACCEPTED, S.ASSIGNED): DESK,
    (S.ASSIGNED, S.EN_ROUTE): {A.ENGINEER},
    (S.ASSIGNED, S.ON_SITE): {A.ENGINEER},
    (S.EN_ROUTE, S.ON_SITE): {A.ENGINEER},
    (S.ON_SITE, S.WAITING_PARTS): {A.ENGINEER},
    (S.WAITING_PARTS, S.EN_ROUTE): {A.ENGINEER},
    (S.WAITING_PARTS, S.ON_SITE): {A.ENGINEER},
    (S.WAITING_PARTS, S.ASSIGNED): DESK,
    (S.EN_ROUTE, S.ASSIGNED): DESK,
    (S.ON_SITE, S.ASSIGNED): DESK,
    (S.ON_SITE, S.WORK_DONE): {A.ENGINEER},
    (S.WORK_DONE, S.ON_SITE): {A.ENGINEER},
    (S.WORK_DONE, S.SIGNED): {A.ENGINEER},
    (S.SIGNED, S.REVIEWED): {A.SUPERVISOR},
    (S.SIGNED, S.WORK_DONE): {A.SUPERVISOR},
    (S.REVIEWED, S.SETTLED): DESK,
    (S.SETTLED, S.FOLLOWED_UP): DESK,
    (S.SETTLED, S.REOPENED): DESK,
    (S.FOLLOWED_UP, S.REOPENED): DESK,
    (S.REOPENED, S.ASSIGNED): DESK,
    (S.FOLLOWED_UP, S.CLOSED): DESK,
    (S.REPORTED, S.CANCELLED): DESK,
    (S.ACCEPTED, S.CANCELLED): DESK,
    (S.ASSIGNED, S.CANCELLED): DESK,
    (S.EN_ROUTE, S.CANCELLED): DESK,
    (S.ON_SITE, S.CANCELLED): DESK,
    (S.WAITING_PARTS, S.CANCELLED): DESK,
    (S.REOPENED, S.CANCELLED): DESK,
    (S.CANCELLED, S.ACCEPTED): DESK,
}
ALLOWED = sorted((src, dst, actor) for (src, dst), actors in EXPECTED.items() for actor in actors)
FORBIDDEN_FOR_EXISTING_MOVE = sorted(
    (src, dst, actor) for (src, dst), actors in EXPECTED.items() for actor in set(Actor) - actors
)


def reachable_from(start: JobStatus) -> set[JobStatus]:
    """Every status reachable from ``start`` by any actor, breadth first."""
    seen = {start}
    queue = deque([start])
    while queue:
        current = queue.popleft()
        for t in TRANSITIONS:
            if t.source == current and t.target not in seen:
                seen.add(t.target)
                queue.append(t.target)
    return seen


def test_transition_table_matches_the_agreed_workflow_exactly() -> None:
    table = {(t.source, t.target): set(t.actors) for t in TRANSITIONS}
    assert table == EXPECTED
    assert len(TRANSITIONS) == len(EXPECTED)


def test_every_transition_has_a_label_for_people() -> None:
    assert all(t.label.strip() for t in TRANSITIONS)


@pytest.mark.parametrize(("current", "target", "actor"), ALLOWED)
def test_allowed_transition_passes(current: JobStatus, target: JobStatus, actor: Actor) -> None:
    check_transition(current, target, actor)
    assert can_transition(current, target, actor)
    assert target in allowed_targets(current, actor)


@pytest.mark.parametrize(("current", "target", "actor"), FORBIDDEN_FOR_EXISTING_MOVE)
def test_existing_move_is_refused_to_an_actor_not_listed(
    current: JobStatus, target: JobStatus, actor: Actor
) -> None:
    assert not can_transition(current, target, actor)
    with pytest.raises(TransitionError, match="only") as caught:
        check_transition(current, target, actor)
    assert not caught.value.status_blocks, "who asks is the problem, not the status"


@pytest.mark.parametrize(
    ("current", "target", "actor", "reason"),
    [
        (
            S.CANCELLED,
            S.WORK_DONE,
            A.ENGINEER,
            "an engineer cannot move a job from cancelled to work_done: there is no such "
            "transition; from cancelled a job can only go to accepted",
        ),
        (
            S.REPORTED,
            S.ACCEPTED,
            A.ENGINEER,
            "an engineer cannot move a job from reported to accepted: only the office "
            "(dispatcher, admin or supervisor) may accept the report with a handling plan (受理)",
        ),
        (
            S.ON_SITE,
            S.WORK_DONE,
            A.OFFICE,
            "the office cannot move a job from on_site to work_done: only an engineer may "
            "finish the work (完工)",
        ),
        (
            S.SIGNED,
            S.REVIEWED,
            A.OFFICE,
            "the office cannot move a job from signed to reviewed: only a supervisor may "
            "approve the service record (主管审核)",
        ),
        (
            S.CLOSED,
            S.REOPENED,
            A.OFFICE,
            "the office cannot move a job from closed to reopened: there is no such "
            "transition; closed is final",
        ),
    ],
)
def test_forbidden_move_names_actor_statuses_and_reason(
    current: JobStatus, target: JobStatus, actor: Actor, reason: str
) -> None:
    with pytest.raises(TransitionError) as caught:
        check_transition(current, target, actor)
    err = caught.value
    assert str(err) == reason
    assert (err.current, err.target, err.actor, err.reason) == (current, target, actor, reason)
    assert isinstance(err, ValueError)


@pytest.mark.parametrize(
    ("current", "target", "actor"),
    [
        (S.ACCEPTED, S.ON_SITE, A.ENGINEER),  # must be dispatched first
        (S.REPORTED, S.WORK_DONE, A.ENGINEER),
        (S.ON_SITE, S.SIGNED, A.ENGINEER),  # the work must be marked done before signing
        (S.WORK_DONE, S.REVIEWED, A.SUPERVISOR),  # no review without a signature
        (S.SIGNED, S.SETTLED, A.OFFICE),  # no settlement without review
        (S.SETTLED, S.CLOSED, A.OFFICE),  # no closing without the call-back
        (S.WORK_DONE, S.CANCELLED, A.OFFICE),  # done work is never cancelled away
        (S.SIGNED, S.CANCELLED, A.SUPERVISOR),
        (S.CANCELLED, S.ASSIGNED, A.OFFICE),  # undo a cancel goes through accepted
        (S.CLOSED, S.REPORTED, A.SUPERVISOR),
        (S.REOPENED, S.ON_SITE, A.ENGINEER),  # the new visit is dispatched first
    ],
)
def test_move_absent_from_the_table_is_refused_to_everyone(
    current: JobStatus, target: JobStatus, actor: Actor
) -> None:
    for anyone in Actor:
        assert not can_transition(current, target, anyone)
    with pytest.raises(TransitionError, match="there is no such transition") as caught:
        check_transition(current, target, actor)
    assert caught.value.status_blocks


@pytest.mark.parametrize("status", list(JobStatus))
@pytest.mark.parametrize("actor", [*Actor, None])
def test_move_to_the_same_status_is_not_a_transition(
    status: JobStatus, actor: Actor | None
) -> None:
    assert not can_transition(status, status, actor)
    assert status not in allowed_targets(status, actor)
    with pytest.raises(TransitionError, match=f"the job is already {status}$") as caught:
        check_transition(status, status, actor)
    assert caught.value.status_blocks


@pytest.mark.parametrize(
    ("role", "actor"),
    [
        ("admin", A.OFFICE),
        ("dispatcher", A.OFFICE),
        ("supervisor", A.SUPERVISOR),
        ("engineer", A.ENGINEER),
        (" Engineer ", A.ENGINEER),
        ("quality", None),
    ],
)
def test_role_maps_to_the_actor_that_moves_statuses(role: str, actor: Actor | None) -> None:
    assert actor_for_role(role) is actor


@pytest.mark.parametrize("role", ["customer", "", "root", "office"])
def test_unknown_role_is_refused_rather_than_guessed(role: str) -> None:
    with pytest.raises(ValueError, match="unknown role"):
        actor_for_role(role)


@pytest.mark.parametrize("status", list(JobStatus))
def test_quality_role_may_move_nothing(status: JobStatus) -> None:
    actor = actor_for_role("quality")
    assert allowed_targets(status, actor) == frozenset()
    for target in JobStatus:
        assert not can_transition(status, target, actor)


def test_quality_role_gets_a_reason_even_for_a_move_that_exists() -> None:
    with pytest.raises(TransitionError, match="it may not change job statuses") as caught:
        check_transition(S.REPORTED, S.ACCEPTED, actor_for_role("quality"))
    assert caught.value.actor is None


@pytest.mark.parametrize("status", list(JobStatus))
def test_system_actor_has_no_moves_of_its_own(status: JobStatus) -> None:
    assert allowed_targets(status, A.SYSTEM) == frozenset()


@pytest.mark.parametrize("status", list(JobStatus))
def test_supervisor_may_do_everything_the_office_may(status: JobStatus) -> None:
    assert allowed_targets(status, A.OFFICE) <= allowed_targets(status, A.SUPERVISOR)


@pytest.mark.parametrize(
    ("status", "actor", "targets"),
    [
        (S.REPORTED, A.OFFICE, {S.ACCEPTED, S.ASSIGNED, S.CANCELLED}),
        (S.REPORTED, A.ENGINEER, set()),
        (S.ASSIGNED, A.ENGINEER, {S.EN_ROUTE, S.ON_SITE}),
        (S.WAITING_PARTS, A.ENGINEER, {S.EN_ROUTE, S.ON_SITE}),
        (S.WAITING_PARTS, A.OFFICE, {S.ASSIGNED, S.CANCELLED}),
        (S.SIGNED, A.SUPERVISOR, {S.REVIEWED, S.WORK_DONE}),
        (S.SIGNED, A.OFFICE, set()),
        (S.FOLLOWED_UP, A.OFFICE, {S.REOPENED, S.CLOSED}),
        (S.CANCELLED, A.SUPERVISOR, {S.ACCEPTED}),
        (S.CLOSED, A.SUPERVISOR, set()),
    ],
)
def test_allowed_targets_lists_exactly_the_actors_moves(
    status: JobStatus, actor: Actor, targets: set[JobStatus]
) -> None:
    assert allowed_targets(status, actor) == targets


def test_closed_has_no_outgoing_transitions() -> None:
    assert not [t for t in TRANSITIONS if t.source is S.CLOSED]


def test_every_status_is_reachable_from_reported() -> None:
    assert reachable_from(S.REPORTED) == set(JobStatus)


@pytest.mark.parametrize("status", sorted(set(JobStatus) - {S.CLOSED}))
def test_every_open_status_can_still_reach_closed(status: JobStatus) -> None:
    assert S.CLOSED in reachable_from(status)


def test_status_groups_partition_the_workflow() -> None:
    assert {
        S.REPORTED,
        S.ACCEPTED,
        S.ASSIGNED,
        S.EN_ROUTE,
        S.ON_SITE,
        S.WAITING_PARTS,
        S.REOPENED,
    } == ACTIVE_STATUSES
    assert {S.CLOSED, S.CANCELLED} == TERMINAL_STATUSES
    assert {
        S.WORK_DONE,
        S.SIGNED,
        S.REVIEWED,
        S.SETTLED,
        S.FOLLOWED_UP,
        S.CLOSED,
    } == FIELD_DONE_STATUSES
    # Every status is in exactly one of: active, field done, cancelled.
    assert ACTIVE_STATUSES | FIELD_DONE_STATUSES | {S.CANCELLED} == set(JobStatus)
    assert not ACTIVE_STATUSES & FIELD_DONE_STATUSES


def test_only_active_statuses_can_be_cancelled() -> None:
    assert {t.source for t in TRANSITIONS if t.target is S.CANCELLED} == ACTIVE_STATUSES


def test_every_status_has_english_and_chinese_labels() -> None:
    assert set(STATUS_LABELS) == set(JobStatus)
    for english, chinese in STATUS_LABELS.values():
        assert english.strip()
        assert any("\u4e00" <= ch <= "\u9fff" for ch in chinese)
    assert STATUS_LABELS[S.WAITING_PARTS] == ("Waiting for parts", "待料")
    assert STATUS_LABELS[S.REOPENED] == ("Reopened", "重新派修")


def test_status_values_are_the_snake_case_wire_strings() -> None:
    assert [s.value for s in JobStatus] == [
        "reported",
        "accepted",
        "assigned",
        "en_route",
        "on_site",
        "waiting_parts",
        "work_done",
        "signed",
        "reviewed",
        "settled",
        "followed_up",
        "closed",
        "cancelled",
        "reopened",
    ]
    assert JobStatus("on_site") is S.ON_SITE


def test_transition_table_cannot_be_changed_at_run_time() -> None:
    with pytest.raises(AttributeError):
        TRANSITIONS[0].target = S.CLOSED  # type: ignore[misc]
    with pytest.raises(TypeError):
        STATUS_LABELS[S.CLOSED] = ("x", "y")  # type: ignore[index]


@given(
    walk=st.lists(
        st.tuples(st.sampled_from([*Actor, None]), st.integers(min_value=0, max_value=10)),
        max_size=60,
    )
)
def test_following_allowed_moves_stays_inside_the_machine(
    walk: list[tuple[Actor | None, int]],
) -> None:
    status = S.REPORTED
    for actor, pick in walk:
        targets = sorted(allowed_targets(status, actor))
        if not targets:
            continue
        target = targets[pick % len(targets)]
        check_transition(status, target, actor)
        status = target
        assert isinstance(status, JobStatus)
        if status is S.CLOSED:
            assert all(not allowed_targets(status, a) for a in Actor)


@given(
    current=st.sampled_from(list(JobStatus)),
    target=st.sampled_from(list(JobStatus)),
    actor=st.sampled_from([*Actor, None]),
)
def test_check_and_can_and_allowed_targets_always_agree(
    current: JobStatus, target: JobStatus, actor: Actor | None
) -> None:
    allowed = can_transition(current, target, actor)
    assert allowed == (target in allowed_targets(current, actor))
    if allowed:
        check_transition(current, target, actor)
    else:
        with pytest.raises(TransitionError):
            check_transition(current, target, actor)


DOC = Path(__file__).resolve().parents[3] / "docs" / "lifecycle.md"


def test_lifecycle_doc_table_lists_exactly_the_transitions_in_the_code() -> None:
    rows: dict[tuple[JobStatus, JobStatus], set[Actor]] = {}
    for line in DOC.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 5 or not all(re.fullmatch(r"`\w+`", c) for c in cells[:2]):
            continue
        pair = (JobStatus(cells[0].strip("`")), JobStatus(cells[1].strip("`")))
        assert pair not in rows, f"{pair} is listed twice in {DOC.name}"
        rows[pair] = {Actor(a.strip()) for a in cells[2].split(",")}
    assert rows == {(t.source, t.target): set(t.actors) for t in TRANSITIONS}


def test_lifecycle_doc_diagram_draws_exactly_the_transitions_in_the_code() -> None:
    edges = set(re.findall(r"^\s+(\w+) --> (\w+) : \w+$", DOC.read_text(encoding="utf-8"), re.M))
    assert edges == {(t.source.value, t.target.value) for t in TRANSITIONS}
