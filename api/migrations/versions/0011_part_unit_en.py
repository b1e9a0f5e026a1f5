"""parts get an English unit, unit_en

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-27 19:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0011'
down_revision: str | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Parts already in the catalogue have no English unit yet: the interface shows `unit`.
    with op.batch_alter_table('parts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('unit_en', sa.String(length=20), nullable=False, server_default=''))


def downgrade() -> None:
    if op.get_bind().dialect.name == 'sqlite':
        # SQLite's own DROP COLUMN (3.35+), not a batch rebuild: rebuilding drops and recreates
        # `parts`, which the stock levels and part lines reference, and with foreign keys on
        # (as the app connects) that drop fails on any database whose parts are in use.
        op.execute('ALTER TABLE parts DROP COLUMN unit_en')
        return
    with op.batch_alter_table('parts', schema=None) as batch_op:
        batch_op.drop_column('unit_en')
