"""lean feed, audit log and mutation log

Indexes that no query reads go, because every pushed mutation paid for them: the mutation
log's on job_id, and the feed's and the audit log's on (entity, entity_id). The last two were
keyed by random ids, so each new row dirtied a page of its own in them. The feed's sequence
number becomes SQLite's rowid (an INTEGER PRIMARY KEY), so a feed entry is one B-tree insert
instead of two; PostgreSQL keeps its BIGINT key.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-27 05:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('mutation_log', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mutation_log_job_id'))
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_log_entity')
    with op.batch_alter_table('changes', schema=None) as batch_op:
        batch_op.drop_index('ix_changes_entity')
    if op.get_bind().dialect.name == 'sqlite':
        with op.batch_alter_table('changes', schema=None, recreate='always') as batch_op:
            batch_op.alter_column('seq', existing_type=sa.BigInteger(), type_=sa.Integer())


def downgrade() -> None:
    if op.get_bind().dialect.name == 'sqlite':
        with op.batch_alter_table('changes', schema=None, recreate='always') as batch_op:
            batch_op.alter_column('seq', existing_type=sa.Integer(), type_=sa.BigInteger())
    with op.batch_alter_table('changes', schema=None) as batch_op:
        batch_op.create_index('ix_changes_entity', ['entity', 'entity_id'], unique=False)
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.create_index('ix_audit_log_entity', ['entity', 'entity_id'], unique=False)
    with op.batch_alter_table('mutation_log', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mutation_log_job_id'), ['job_id'], unique=False)
