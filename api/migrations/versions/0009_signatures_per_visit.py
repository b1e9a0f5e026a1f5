"""signatures per visit: a reopened job is signed again

A job reopened after an unsatisfied call-back (重新派修) needs the customer's signature for its
new visit, but a job could hold one signature per role for good, so the second visit could
never be signed, reviewed or settled. Signatures get ``superseded_at``, set when the job is
reopened, and the one-per-role rule holds for current signatures only (a partial unique
index, which both SQLite and PostgreSQL keep).

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-27 09:50:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import api.models

revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CURRENT = sa.text('superseded_at IS NULL')


def upgrade() -> None:
    with op.batch_alter_table('signatures', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('superseded_at', api.models.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.drop_constraint('uq_signatures_job_id_signer_role', type_='unique')
    op.create_index(
        'uq_signatures_current',
        'signatures',
        ['job_id', 'signer_role'],
        unique=True,
        sqlite_where=CURRENT,
        postgresql_where=CURRENT,
    )


def downgrade() -> None:
    # Superseded signatures have no place under the old rule: they go (the audit log keeps
    # every one of them).
    op.execute('DELETE FROM signatures WHERE superseded_at IS NOT NULL')
    op.drop_index('uq_signatures_current', table_name='signatures')
    with op.batch_alter_table('signatures', schema=None) as batch_op:
        batch_op.create_unique_constraint(
            'uq_signatures_job_id_signer_role', ['job_id', 'signer_role']
        )
        batch_op.drop_column('superseded_at')
