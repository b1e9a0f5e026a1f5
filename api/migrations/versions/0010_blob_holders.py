"""blob holders: who may attach a blob to their records; no more uploads of purpose file

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-28 09:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import api.models

revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('blob_holders',
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('at', api.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_blob_holders_user_id_users')),
    sa.PrimaryKeyConstraint('sha256', 'user_id', name=op.f('pk_blob_holders'))
    )
    # Who uploaded what so far: each stored photo's (or file's) first uploader.
    op.execute(
        'INSERT INTO blob_holders (sha256, user_id, at) '
        'SELECT sha256, uploaded_by, created_at FROM blobs '
        "WHERE kind IN ('photo', 'file') AND uploaded_by IN (SELECT id FROM users)"
    )
    # Photo records already joined to stored bytes keep them: the rule holds from now on,
    # and no report or job of the past loses a photo it showed.
    op.execute(
        'INSERT INTO blob_holders (sha256, user_id, at) '
        'SELECT p.blob_sha256, p.created_by, MIN(b.created_at) '
        'FROM photos p JOIN blobs b ON b.sha256 = p.blob_sha256 '
        'WHERE p.created_by IS NOT NULL AND NOT EXISTS ('
        'SELECT 1 FROM blob_holders h '
        'WHERE h.sha256 = p.blob_sha256 AND h.user_id = p.created_by) '
        'GROUP BY p.blob_sha256, p.created_by'
    )
    # Unfinished uploads of files complete as photos (stored files stay readable).
    op.execute("UPDATE uploads SET purpose = 'photo' WHERE purpose <> 'photo'")


def downgrade() -> None:
    op.drop_table('blob_holders')
