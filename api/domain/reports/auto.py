"""Issue the report when a push brings the customer's signature, or when the bytes of the
photos it waited for arrive: after the commit, in the background, never inside the push's or
the upload's transaction.

Session events see every new customer signature, whatever wrote it (a sync push, an import),
without the sync code knowing about reports; uploads note the hashes they made someone hold
(:data:`api.media.access.HELD`). Both wait in ``session.info`` until the transaction commits;
each engine maps to the report service of its app.
"""

from __future__ import annotations

import logging
import uuid

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, UOWTransaction

from api.db import CommitServices
from api.domain.reports.services import Reports
from api.media.access import HELD
from api.models import Signature, SignerRole

log = logging.getLogger("fieldsync.reports")

_SIGNED = "fieldsync.reports.signed_jobs"
_SERVICES: CommitServices[Reports] = CommitServices()


def watch(engine: Engine, reports: Reports) -> None:
    """Let commits on ``engine`` start automatic reports through ``reports``."""
    _SERVICES.watch(engine, reports)


@event.listens_for(Session, "after_flush")
def _note_signatures(session: Session, _ctx: UOWTransaction) -> None:
    for obj in session.new:
        if isinstance(obj, Signature) and obj.signer_role == SignerRole.CUSTOMER:
            session.info.setdefault(_SIGNED, set()).add(obj.job_id)


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    # Released savepoints (one per pushed mutation) fire this too: wait for the real commit.
    # A rolled-back signature may leave its job id here; the task checks the stored state.
    if session.in_nested_transaction():
        return
    jobs: set[uuid.UUID] = session.info.pop(_SIGNED, set())
    held: set[str] = session.info.pop(HELD, set())
    if not jobs and not held:
        return
    reports = _SERVICES.after_commit(session)
    if reports is None:
        return
    for job_id in jobs:
        reports.spawn(reports.auto_issue(job_id))
    if held:
        reports.spawn(reports.bytes_arrived(held))
