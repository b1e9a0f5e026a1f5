"""stock movements: indexes for the console's newest-first lists by location

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-27 21:40:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0013'
down_revision: str | None = '0012'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index('ix_stock_movements_created', 'stock_movements', ['created_at', 'id'])
    op.create_index(
        'ix_stock_movements_from', 'stock_movements', ['from_location_id', 'created_at']
    )
    op.create_index('ix_stock_movements_to', 'stock_movements', ['to_location_id', 'created_at'])


def downgrade() -> None:
    op.drop_index('ix_stock_movements_to', table_name='stock_movements')
    op.drop_index('ix_stock_movements_from', table_name='stock_movements')
    op.drop_index('ix_stock_movements_created', table_name='stock_movements')
