"""jobs and ratings: indexes for the job list's order and the period figures' ranges

A year of a busy department (40,000 jobs) took the first page of the job list 200 ms (a full
scan and sort) and a year's figures 18 s, both scanning every job for a date range.

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-28 12:20:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0014'
down_revision: str | None = '0013'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index('ix_jobs_reported', 'jobs', ['reported_at', 'id'])
    op.create_index('ix_jobs_completed', 'jobs', ['completed_at'])
    op.create_index('ix_satisfaction_at', 'satisfaction', ['at'])


def downgrade() -> None:
    op.drop_index('ix_satisfaction_at', table_name='satisfaction')
    op.drop_index('ix_jobs_completed', table_name='jobs')
    op.drop_index('ix_jobs_reported', table_name='jobs')
