"""sync feed, conflicts and field history

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 19:34:50.380862
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import api.models
from sqlalchemy.dialects import postgresql
revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('changes',
    sa.Column('seq', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('entity', sa.String(length=40), nullable=False),
    sa.Column('entity_id', sa.String(length=80), nullable=False),
    sa.Column('op', sa.String(length=8), nullable=False),
    sa.Column('job_id', sa.Uuid(), nullable=True),
    sa.Column('customer_id', sa.Uuid(), nullable=True),
    sa.Column('owner_id', sa.Uuid(), nullable=True),
    sa.Column('at', api.models.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_changes'))
    )
    with op.batch_alter_table('changes', schema=None) as batch_op:
        batch_op.create_index('ix_changes_entity', ['entity', 'entity_id'], unique=False)

    op.create_table('field_history',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('job_id', sa.Uuid(), nullable=True),
    sa.Column('entity', sa.String(length=40), nullable=False),
    sa.Column('entity_id', sa.String(length=80), nullable=False),
    sa.Column('field', sa.String(length=60), nullable=False),
    sa.Column('value', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('outcome', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('written_by', sa.Uuid(), nullable=True),
    sa.Column('device_id', sa.Uuid(), nullable=True),
    sa.Column('mutation_id', sa.Uuid(), nullable=True),
    sa.Column('at', api.models.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_field_history'))
    )
    with op.batch_alter_table('field_history', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_field_history_job_id'), ['job_id'], unique=False)

    op.create_table('field_writes',
    sa.Column('entity', sa.String(length=40), nullable=False),
    sa.Column('entity_id', sa.String(length=80), nullable=False),
    sa.Column('field', sa.String(length=60), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=True),
    sa.Column('device_id', sa.Uuid(), nullable=True),
    sa.Column('at', api.models.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('entity', 'entity_id', 'field', name=op.f('pk_field_writes'))
    )
    op.create_table('assignments',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('job_id', sa.Uuid(), nullable=False),
    sa.Column('engineer_id', sa.Uuid(), nullable=False),
    sa.Column('assigned_at', api.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ended_at', api.models.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['engineer_id'], ['users.id'], name=op.f('fk_assignments_engineer_id_users')),
    sa.ForeignKeyConstraint(['job_id'], ['jobs.id'], name=op.f('fk_assignments_job_id_jobs')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assignments'))
    )
    with op.batch_alter_table('assignments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_assignments_engineer_id'), ['engineer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_assignments_job_id'), ['job_id'], unique=False)

    op.create_table('device_sync',
    sa.Column('device_id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('last_seq', sa.BigInteger(), nullable=False),
    sa.Column('last_push_at', api.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('clock_offset_ms', sa.BigInteger(), nullable=True),
    sa.Column('clock_skewed', sa.Boolean(), nullable=False),
    sa.Column('protocol', sa.Integer(), nullable=False),
    sa.Column('app_version', sa.String(length=40), nullable=False),
    sa.ForeignKeyConstraint(['device_id'], ['devices.id'], name=op.f('fk_device_sync_device_id_devices')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_device_sync_user_id_users')),
    sa.PrimaryKeyConstraint('device_id', name=op.f('pk_device_sync'))
    )
    with op.batch_alter_table('device_sync', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_device_sync_user_id'), ['user_id'], unique=False)

    op.create_table('mutation_log',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('device_id', sa.Uuid(), nullable=False),
    sa.Column('seq', sa.BigInteger(), nullable=False),
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('job_id', sa.Uuid(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('result', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('args', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('device_time', api.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('applied_at', api.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['device_id'], ['devices.id'], name=op.f('fk_mutation_log_device_id_devices')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mutation_log')),
    sa.UniqueConstraint('device_id', 'seq', name=op.f('uq_mutation_log_device_id_seq'))
    )
    with op.batch_alter_table('mutation_log', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mutation_log_job_id'), ['job_id'], unique=False)

    op.create_table('sync_conflicts',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('job_id', sa.Uuid(), nullable=False),
    sa.Column('entity', sa.String(length=40), nullable=False),
    sa.Column('entity_id', sa.String(length=80), nullable=False),
    sa.Column('field', sa.String(length=60), nullable=False),
    sa.Column('policy', sa.String(length=20), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('base_value', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('server_value', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('client_value', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('user_id', sa.Uuid(), nullable=True),
    sa.Column('device_id', sa.Uuid(), nullable=True),
    sa.Column('mutation_id', sa.Uuid(), nullable=True),
    sa.Column('device_time', api.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('status', sa.Enum('open', 'resolved', name='conflictstatus', native_enum=False, length=32), nullable=False),
    sa.Column('resolution', sa.String(length=10), nullable=False),
    sa.Column('resolved_value', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('resolved_by', sa.Uuid(), nullable=True),
    sa.Column('resolved_at', api.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', api.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', api.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['job_id'], ['jobs.id'], name=op.f('fk_sync_conflicts_job_id_jobs')),
    sa.ForeignKeyConstraint(['resolved_by'], ['users.id'], name=op.f('fk_sync_conflicts_resolved_by_users')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_sync_conflicts_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sync_conflicts'))
    )
    with op.batch_alter_table('sync_conflicts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sync_conflicts_job_id'), ['job_id'], unique=False)
        batch_op.create_index('ix_sync_conflicts_status', ['status', 'created_at'], unique=False)


    # The feed counter that orders changes by commit (api/feed.py).
    op.execute("INSERT INTO counters (name, value) VALUES ('feed', 0)")
    # Jobs already assigned before this migration get their assignment rows.
    op.execute(
        "INSERT INTO assignments (id, job_id, engineer_id, assigned_at) "
        "SELECT id, id, assigned_engineer_id, COALESCE(assigned_at, updated_at) FROM jobs "
        "WHERE assigned_engineer_id IS NOT NULL"
    )

def downgrade() -> None:
    op.execute("DELETE FROM counters WHERE name = 'feed'")
    with op.batch_alter_table('sync_conflicts', schema=None) as batch_op:
        batch_op.drop_index('ix_sync_conflicts_status')
        batch_op.drop_index(batch_op.f('ix_sync_conflicts_job_id'))

    op.drop_table('sync_conflicts')
    with op.batch_alter_table('mutation_log', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mutation_log_job_id'))

    op.drop_table('mutation_log')
    with op.batch_alter_table('device_sync', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_device_sync_user_id'))

    op.drop_table('device_sync')
    with op.batch_alter_table('assignments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_assignments_job_id'))
        batch_op.drop_index(batch_op.f('ix_assignments_engineer_id'))

    op.drop_table('assignments')
    op.drop_table('field_writes')
    with op.batch_alter_table('field_history', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_field_history_job_id'))

    op.drop_table('field_history')
    with op.batch_alter_table('changes', schema=None) as batch_op:
        batch_op.drop_index('ix_changes_entity')

    op.drop_table('changes')
