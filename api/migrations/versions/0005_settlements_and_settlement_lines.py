"""settlements and settlement lines

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26 23:11:33.034028
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import api.models

revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('settlement_lines',
    sa.Column('job_id', sa.Uuid(), nullable=False),
    sa.Column('key', sa.String(length=40), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('description', sa.String(length=300), nullable=False),
    sa.Column('quantity', sa.Numeric(precision=12, scale=3), nullable=False),
    sa.Column('unit', sa.String(length=20), nullable=False),
    sa.Column('unit_price', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('amount', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('billing', sa.Enum('warranty', 'chargeable', name='billing', native_enum=False, length=32), nullable=False),
    sa.Column('original_billing', sa.Enum('warranty', 'chargeable', name='billing', native_enum=False, length=32), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('changed_by', sa.Uuid(), nullable=True),
    sa.Column('changed_at', api.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', api.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', api.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['changed_by'], ['users.id'], name=op.f('fk_settlement_lines_changed_by_users')),
    sa.ForeignKeyConstraint(['job_id'], ['jobs.id'], name=op.f('fk_settlement_lines_job_id_jobs')),
    sa.PrimaryKeyConstraint('job_id', 'key', name=op.f('pk_settlement_lines'))
    )
    op.create_table('settlements',
    sa.Column('job_id', sa.Uuid(), nullable=False),
    sa.Column('labour_hours', sa.Numeric(precision=12, scale=3), nullable=True),
    sa.Column('frozen_at', api.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('labour_rate', sa.Numeric(precision=12, scale=2), nullable=True),
    sa.Column('callout_fee', sa.Numeric(precision=12, scale=2), nullable=True),
    sa.Column('in_warranty', sa.Boolean(), nullable=True),
    sa.Column('warranty_end', sa.Date(), nullable=True),
    sa.Column('visit_date', sa.Date(), nullable=True),
    sa.Column('created_at', api.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', api.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['job_id'], ['jobs.id'], name=op.f('fk_settlements_job_id_jobs')),
    sa.PrimaryKeyConstraint('job_id', name=op.f('pk_settlements'))
    )


def downgrade() -> None:
    op.drop_table('settlements')
    op.drop_table('settlement_lines')
