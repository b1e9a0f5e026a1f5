"""receipt events: the line written at taking says so; an index for the register's periods

The office now logs items into the workshop and back to their customers (docs/receipts.md).
Its register lists the "in" and "out" lines of a period; the line a phone's ``receipt.add``
wrote when the item was taken from the site said "in" too, and would have been listed as if
the item had reached the workshop. Those lines become "taken".

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-28 15:00:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0015'
down_revision: str | None = '0014'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(
        "UPDATE receipt_events SET direction = 'taken', note = '' "
        "WHERE direction = 'in' AND note = 'taken from site'"
    )
    op.create_index('ix_receipt_events_at', 'receipt_events', ['at'])


def downgrade() -> None:
    op.drop_index('ix_receipt_events_at', table_name='receipt_events')
    op.execute(
        "UPDATE receipt_events SET direction = 'in', note = 'taken from site' "
        "WHERE direction = 'taken'"
    )
