"""satisfaction: when a rating reached the server, to tell its visit in server order

A customer rates each on-site visit once. Which visit a rating belongs to was judged by the
phone's clock against the server's time of the job's reopening: a phone running slow could
rate the new visit twice, and a rating of the earlier visit pushed after the reopening was
taken for neither. It is now judged by when the rating reached the server. Ratings stored
before this migration take their own time.

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-28 16:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import api.models

revision: str = '0016'
down_revision: str | None = '0015'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        'satisfaction',
        sa.Column('received_at', api.models.UTCDateTime(timezone=True), nullable=True),
    )
    op.execute("UPDATE satisfaction SET received_at = at")


def downgrade() -> None:
    with op.batch_alter_table('satisfaction') as batch_op:
        batch_op.drop_column('received_at')
