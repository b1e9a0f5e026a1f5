"""reports and report links

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26 22:28:15.975713
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import api.models

revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('report_links',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('job_id', sa.Uuid(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', api.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', api.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', api.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_by', sa.Uuid(), nullable=True),
    sa.Column('last_used_at', api.models.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['created_by'], ['users.id'], name=op.f('fk_report_links_created_by_users')),
    sa.ForeignKeyConstraint(['job_id'], ['jobs.id'], name=op.f('fk_report_links_job_id_jobs')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_report_links')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_report_links_token_hash'))
    )
    with op.batch_alter_table('report_links', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_report_links_job_id'), ['job_id'], unique=False)

    op.create_table('reports',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('job_id', sa.Uuid(), nullable=False),
    sa.Column('number', sa.String(length=32), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('rendering', 'issued', 'failed', name='reportstatus', native_enum=False, length=32), nullable=False),
    sa.Column('language', sa.String(length=10), nullable=False),
    sa.Column('content_sha256', sa.String(length=64), nullable=False),
    sa.Column('signed_content_sha256', sa.String(length=64), nullable=False),
    sa.Column('supersedes_id', sa.Uuid(), nullable=True),
    sa.Column('correction_reason', sa.Text(), nullable=False),
    sa.Column('verify_code', sa.String(length=40), nullable=False),
    sa.Column('pdf_sha256', sa.String(length=64), nullable=False),
    sa.Column('pdf_size', sa.BigInteger(), nullable=True),
    sa.Column('error', sa.Text(), nullable=False),
    sa.Column('issued_at', api.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', api.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.Uuid(), nullable=True),
    sa.Column('email_to', sa.String(length=200), nullable=False),
    sa.Column('emailed_at', api.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('email_error', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['created_by'], ['users.id'], name=op.f('fk_reports_created_by_users')),
    sa.ForeignKeyConstraint(['job_id'], ['jobs.id'], name=op.f('fk_reports_job_id_jobs')),
    sa.ForeignKeyConstraint(['supersedes_id'], ['reports.id'], name=op.f('fk_reports_supersedes_id_reports')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reports')),
    sa.UniqueConstraint('job_id', 'revision', name=op.f('uq_reports_job_id_revision')),
    sa.UniqueConstraint('number', 'revision', name=op.f('uq_reports_number_revision')),
    sa.UniqueConstraint('verify_code', name=op.f('uq_reports_verify_code'))
    )
    with op.batch_alter_table('reports', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reports_job_id'), ['job_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_reports_pdf_sha256'), ['pdf_sha256'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('reports', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reports_pdf_sha256'))
        batch_op.drop_index(batch_op.f('ix_reports_job_id'))

    op.drop_table('reports')
    with op.batch_alter_table('report_links', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_report_links_job_id'))

    op.drop_table('report_links')
