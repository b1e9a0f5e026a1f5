"""The job status state machine: which moves exist and who may make them.

Pure data and functions; ``docs/lifecycle.md`` explains every transition and why.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType


class JobStatus(StrEnum):
    """Where a job stands in the after-sales workflow (售后服务流程)."""

    REPORTED = "reported"
    ACCEPTED = "accepted"
    ASSIGNED = "assigned"
    EN_ROUTE = "en_route"
    ON_SITE = "on_site"
    WAITING_PARTS = "waiting_parts"
    WORK_DONE = "work_done"
    SIGNED = "signed"
    REVIEWED = "reviewed"
    SETTLED = "settled"
    FOLLOWED_UP = "followed_up"
    CLOSED = "closed"
    CANCELLED = "cancelled"
    REOPENED = "reopened"


class Actor(StrEnum):
    """Who moves a status; several user roles map to one actor."""

    OFFICE = "office"
    """The service desk: dispatchers and admins."""
    SUPERVISOR = "supervisor"
    """Senior desk staff: everything the office may do, plus reviewing service records."""
    ENGINEER = "engineer"
    """The field engineer, usually through the offline phone app."""
    SYSTEM = "system"
    """Automated moves; none are defined today, so the system may move nothing."""


_ROLE_ACTORS: Mapping[str, Actor | None] = MappingProxyType(
    {
        "admin": Actor.OFFICE,
        "dispatcher": Actor.OFFICE,
        "supervisor": Actor.SUPERVISOR,
        "engineer": Actor.ENGINEER,
        # Quality staff only spot-check (抽查): a known role that may move no status.
        "quality": None,
    }
)


def actor_for_role(role: str) -> Actor | None:
    """Map a user role to the actor that moves statuses, or ``None`` if the role may move none.

    ``None`` is accepted by every function here and allows nothing, so callers can pass the
    result straight through. An unknown role raises ``ValueError`` rather than guessing.
    """
    key = role.strip().lower()
    if key not in _ROLE_ACTORS:
        known = ", ".join(sorted(_ROLE_ACTORS))
        raise ValueError(f"unknown role {role!r}; expected one of: {known}")
    return _ROLE_ACTORS[key]


@dataclass(frozen=True, slots=True)
class Transition:
    """One allowed move of a job's status, and the actors who may make it."""

    source: JobStatus
    target: JobStatus
    actors: frozenset[Actor]
    label: str
    """What the move does, as an English verb phrase, with the Chinese term where one exists."""


# Supervisors are senior desk staff, so every office move is theirs as well.
_DESK = frozenset({Actor.OFFICE, Actor.SUPERVISOR})
_SUPERVISOR = frozenset({Actor.SUPERVISOR})
_ENGINEER = frozenset({Actor.ENGINEER})

_S = JobStatus
_CANCELLABLE = (
    _S.REPORTED,
    _S.ACCEPTED,
    _S.ASSIGNED,
    _S.EN_ROUTE,
    _S.ON_SITE,
    _S.WAITING_PARTS,
    _S.REOPENED,
)

TRANSITIONS: tuple[Transition, ...] = (
    Transition(_S.REPORTED, _S.ACCEPTED, _DESK, "accept the report with a handling plan (受理)"),
    Transition(_S.REPORTED, _S.ASSIGNED, _DESK, "accept and dispatch at once (派工)"),
    Transition(_S.ACCEPTED, _S.ASSIGNED, _DESK, "dispatch an engineer (派工)"),
    Transition(_S.ASSIGNED, _S.EN_ROUTE, _ENGINEER, "depart for the site (外出工地登记)"),
    Transition(_S.ASSIGNED, _S.ON_SITE, _ENGINEER, "arrive on site (到场)"),
    Transition(_S.EN_ROUTE, _S.ON_SITE, _ENGINEER, "arrive on site (到场)"),
    Transition(_S.ON_SITE, _S.WAITING_PARTS, _ENGINEER, "wait for parts (待料)"),
    Transition(_S.WAITING_PARTS, _S.EN_ROUTE, _ENGINEER, "go back with the parts"),
    Transition(_S.WAITING_PARTS, _S.ON_SITE, _ENGINEER, "resume on site with the parts"),
    Transition(_S.WAITING_PARTS, _S.ASSIGNED, _DESK, "re-dispatch (重新派工)"),
    Transition(_S.EN_ROUTE, _S.ASSIGNED, _DESK, "reassign to another engineer (改派)"),
    Transition(_S.ON_SITE, _S.ASSIGNED, _DESK, "reassign to another engineer (改派)"),
    Transition(_S.ON_SITE, _S.WORK_DONE, _ENGINEER, "finish the work (完工)"),
    Transition(_S.WORK_DONE, _S.ON_SITE, _ENGINEER, "go back to work before the customer signs"),
    Transition(
        _S.WORK_DONE, _S.SIGNED, _ENGINEER, "record the customer's signature (客户确认签字)"
    ),
    Transition(_S.SIGNED, _S.REVIEWED, _SUPERVISOR, "approve the service record (主管审核)"),
    Transition(_S.SIGNED, _S.WORK_DONE, _SUPERVISOR, "send the record back to the engineer"),
    Transition(_S.REVIEWED, _S.SETTLED, _DESK, "settle (结算)"),
    Transition(_S.SETTLED, _S.FOLLOWED_UP, _DESK, "record a satisfied call-back (回访)"),
    Transition(_S.SETTLED, _S.REOPENED, _DESK, "reopen for a new visit until satisfied (重新派修)"),
    Transition(
        _S.FOLLOWED_UP, _S.REOPENED, _DESK, "reopen for a new visit until satisfied (重新派修)"
    ),
    Transition(_S.REOPENED, _S.ASSIGNED, _DESK, "dispatch the new visit (派工)"),
    Transition(_S.FOLLOWED_UP, _S.CLOSED, _DESK, "close the job (关闭)"),
    *(Transition(s, _S.CANCELLED, _DESK, "cancel the job (取消)") for s in _CANCELLABLE),
    Transition(_S.CANCELLED, _S.ACCEPTED, _DESK, "undo the cancellation"),
)
"""Every allowed move, in workflow order; the single source for checks, docs and the UI."""


def _index(
    transitions: tuple[Transition, ...],
) -> Mapping[tuple[JobStatus, JobStatus], Transition]:
    # Fail at import, not at run time, if the table is ever edited into an ambiguous state.
    index: dict[tuple[JobStatus, JobStatus], Transition] = {}
    for t in transitions:
        if t.source == t.target:
            raise ValueError(f"transition table: {t.source} -> {t.target} is not a move")
        if (t.source, t.target) in index:
            raise ValueError(f"transition table: {t.source} -> {t.target} is listed twice")
        if not t.actors:
            raise ValueError(f"transition table: {t.source} -> {t.target} has no actor")
        index[(t.source, t.target)] = t
    return MappingProxyType(index)


_BY_PAIR = _index(TRANSITIONS)

ACTIVE_STATUSES: frozenset[JobStatus] = frozenset(_CANCELLABLE)
"""Work not yet done on site: the job still needs the office or an engineer to act."""

TERMINAL_STATUSES: frozenset[JobStatus] = frozenset({_S.CLOSED, _S.CANCELLED})
"""No further work expected. ``closed`` is final; a cancellation can still be undone."""

SIGNED_OR_LATER: frozenset[JobStatus] = frozenset(
    {_S.SIGNED, _S.REVIEWED, _S.SETTLED, _S.FOLLOWED_UP, _S.CLOSED}
)
"""The customer has signed the report: what they signed for no longer changes."""

OFFICE_STAGE: frozenset[JobStatus] = SIGNED_OR_LATER - {_S.SIGNED}
"""Past the engineer's part of the workflow: the office has reviewed the visit."""

FIELD_DONE_STATUSES: frozenset[JobStatus] = frozenset(
    {_S.WORK_DONE, _S.SIGNED, _S.REVIEWED, _S.SETTLED, _S.FOLLOWED_UP, _S.CLOSED}
)
"""The engineer's work is finished on site (``reopened`` is active again, so not here)."""

STATUS_LABELS: Mapping[JobStatus, tuple[str, str]] = MappingProxyType(
    {
        _S.REPORTED: ("Reported", "已报修"),
        _S.ACCEPTED: ("Accepted", "已受理"),
        _S.ASSIGNED: ("Assigned", "已派工"),
        _S.EN_ROUTE: ("En route", "在途"),
        _S.ON_SITE: ("On site", "已到场"),
        _S.WAITING_PARTS: ("Waiting for parts", "待料"),
        _S.WORK_DONE: ("Work done", "已完工"),
        _S.SIGNED: ("Signed", "客户已签字"),
        _S.REVIEWED: ("Reviewed", "已审核"),
        _S.SETTLED: ("Settled", "已结算"),
        _S.FOLLOWED_UP: ("Followed up", "已回访"),
        _S.CLOSED: ("Closed", "已关闭"),
        _S.CANCELLED: ("Cancelled", "已取消"),
        _S.REOPENED: ("Reopened", "重新派修"),
    }
)
"""Display names of each status: (English, zh-CN)."""

_ACTOR_PHRASES: Mapping[Actor | None, str] = MappingProxyType(
    {
        Actor.OFFICE: "the office",
        Actor.SUPERVISOR: "a supervisor",
        Actor.ENGINEER: "an engineer",
        Actor.SYSTEM: "the system",
        None: "this role",
    }
)


class TransitionError(ValueError):
    """A status move that the state machine does not allow, with the reason in English."""

    def __init__(
        self, current: JobStatus, target: JobStatus, actor: Actor | None, reason: str
    ) -> None:
        super().__init__(reason)
        self.current = current
        self.target = target
        self.actor = actor
        self.reason = reason

    @property
    def status_blocks(self) -> bool:
        """Whether the job's status is what refuses the move (rather than who asks for it)."""
        return self.current == self.target or (self.current, self.target) not in _BY_PAIR


def allowed_targets(current: JobStatus, actor: Actor | None) -> frozenset[JobStatus]:
    """The statuses that ``actor`` may move a job to from ``current`` (empty for ``None``)."""
    if actor is None:
        return frozenset()
    return frozenset(t.target for t in TRANSITIONS if t.source == current and actor in t.actors)


def _who(actors: frozenset[Actor]) -> str:
    # Name the desk once rather than "the office or a supervisor" on every office move.
    if actors == _DESK:
        return "the office (dispatcher, admin or supervisor)"
    return " or ".join(_ACTOR_PHRASES[a] for a in sorted(actors))


def check_transition(current: JobStatus, target: JobStatus, actor: Actor | None) -> None:
    """Raise ``TransitionError`` unless ``actor`` may move a job from ``current`` to ``target``."""
    who = _ACTOR_PHRASES[actor]
    prefix = f"{who} cannot move a job from {current} to {target}"
    if current == target:
        raise TransitionError(current, target, actor, f"{prefix}: the job is already {current}")
    if actor is None:
        raise TransitionError(
            current, target, actor, f"{prefix}: it may not change job statuses at all"
        )
    transition = _BY_PAIR.get((current, target))
    if transition is None:
        onward = sorted(t.target for t in TRANSITIONS if t.source == current)
        tail = (
            f"from {current} a job can only go to {', '.join(onward)}"
            if onward
            else f"{current} is final"
        )
        raise TransitionError(
            current, target, actor, f"{prefix}: there is no such transition; {tail}"
        )
    if actor not in transition.actors:
        raise TransitionError(
            current,
            target,
            actor,
            f"{prefix}: only {_who(transition.actors)} may {transition.label}",
        )


def can_transition(current: JobStatus, target: JobStatus, actor: Actor | None) -> bool:
    """Whether ``actor`` may move a job from ``current`` to ``target``."""
    transition = _BY_PAIR.get((current, target))
    return transition is not None and actor is not None and actor in transition.actors
