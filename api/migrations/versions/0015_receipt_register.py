"""receipt logs: the line written at taking says so, lines are numbered; indexes

The office now logs items into the workshop and back to their customers (docs/receipts.md).
Its register lists the "in" and "out" lines of a period; the line a phone's ``receipt.add``
wrote when the item was taken from the site said "in" too, and would have been listed as if
the item had reached the workshop. Those lines become "taken". Each line gets its place in
its receipt's log (``seq``, in the order of the lines' time-ordered ids), which the log is
replayed by; an index serves the register's periods, another the receipts list's order.

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-28 15:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
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
    op.add_column(
        'receipt_events', sa.Column('seq', sa.Integer(), server_default='0', nullable=False)
    )
    op.execute(
        "UPDATE receipt_events SET seq = (SELECT count(*) FROM receipt_events AS earlier "
        "WHERE earlier.receipt_id = receipt_events.receipt_id AND earlier.id < receipt_events.id)"
    )
    op.create_index('ix_receipt_events_seq', 'receipt_events', ['receipt_id', 'seq'], unique=True)
    op.create_index('ix_receipt_events_at', 'receipt_events', ['at'])
    op.create_index('ix_repair_receipts_taken', 'repair_receipts', ['taken_at', 'id'])


def downgrade() -> None:
    op.drop_index('ix_repair_receipts_taken', table_name='repair_receipts')
    op.drop_index('ix_receipt_events_at', table_name='receipt_events')
    op.drop_index('ix_receipt_events_seq', table_name='receipt_events')
    with op.batch_alter_table('receipt_events') as batch_op:
        batch_op.drop_column('seq')
    op.execute(
        "UPDATE receipt_events SET direction = 'in', note = 'taken from site' "
        "WHERE direction = 'taken'"
    )
