"""closed jobs leave the engineer's phone

Closing a job now ends its assignment (``api.domain.jobs.services.close``), so it leaves the
engineer's sync scope. Jobs closed before that still hold an open assignment: this ends each
at the job's closing time and writes its feed entry, in one slot of the feed as a transaction
of the app would, so phones that hold such a job receive its eviction at their next pull.
Nothing to undo going down: an ended assignment is valid under every earlier revision.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-27 09:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import api.models

revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SEQ_BITS = 20
"""As ``api.feed.SEQ_BITS``: a slot's entries are ``slot << 20 | n``."""

_jobs = sa.table(
    'jobs',
    sa.column('id', sa.Uuid()),
    sa.column('status', sa.String()),
    sa.column('closed_at', api.models.UTCDateTime(timezone=True)),
)
_assignments = sa.table(
    'assignments',
    sa.column('id', sa.Uuid()),
    sa.column('job_id', sa.Uuid()),
    sa.column('engineer_id', sa.Uuid()),
    sa.column('ended_at', api.models.UTCDateTime(timezone=True)),
)
_changes = sa.table(
    'changes',
    sa.column('seq', sa.BigInteger()),
    sa.column('entity', sa.String()),
    sa.column('entity_id', sa.String()),
    sa.column('op', sa.String()),
    sa.column('job_id', sa.Uuid()),
    sa.column('customer_id', sa.Uuid()),
    sa.column('owner_id', sa.Uuid()),
    sa.column('at', api.models.UTCDateTime(timezone=True)),
)
_counters = sa.table('counters', sa.column('name', sa.String()), sa.column('value', sa.BigInteger()))


def upgrade() -> None:
    bind = op.get_bind()
    open_on_closed = bind.execute(
        sa.select(
            _assignments.c.id, _assignments.c.job_id, _assignments.c.engineer_id, _jobs.c.closed_at
        )
        .join(_jobs, _jobs.c.id == _assignments.c.job_id)
        .where(_jobs.c.status == 'closed', _assignments.c.ended_at.is_(None))
        .order_by(_assignments.c.id)
    ).all()
    if not open_on_closed:
        return
    now = api.models.utcnow()
    for ident, _, _, closed_at in open_on_closed:
        bind.execute(
            sa.update(_assignments)
            .where(_assignments.c.id == ident)
            .values(ended_at=closed_at or now)
        )
    slot = bind.execute(
        sa.update(_counters)
        .where(_counters.c.name == 'feed')
        .values(value=_counters.c.value + 1)
        .returning(_counters.c.value)
    ).scalar_one()
    bind.execute(
        sa.insert(_changes),
        [
            {
                'seq': slot << SEQ_BITS | n,
                'entity': 'assignments',
                'entity_id': str(ident),
                'op': 'upsert',
                'job_id': job_id,
                'customer_id': None,
                'owner_id': engineer_id,
                'at': now,
            }
            for n, (ident, job_id, engineer_id, _) in enumerate(open_on_closed, 1)
        ],
    )


def downgrade() -> None:
    pass
