"""every engineer has a van: make the missing ones

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-27 21:20:00.000000

Vans were made only by the demo data, so an engineer added through the API or the CLI had
none: their van parts moved no stock. Accounts now get one (api/domain/catalogue/vans.py);
this makes it for engineers who already exist.
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

import api.models
from api.domain.catalogue.vans import NAME_MAX
from sync.ids import uuid7

revision: str = '0012'
down_revision: str | None = '0011'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

users = sa.table(
    'users',
    sa.column('id', sa.Uuid()),
    sa.column('username', sa.String()),
    sa.column('display_name', sa.String()),
    sa.column('role', sa.String()),
)
locations = sa.table(
    'stock_locations',
    sa.column('id', sa.Uuid()),
    sa.column('kind', sa.String()),
    sa.column('name', sa.String()),
    sa.column('engineer_id', sa.Uuid()),
    sa.column('created_at', api.models.UTCDateTime(timezone=True)),
    sa.column('updated_at', api.models.UTCDateTime(timezone=True)),
    sa.column('version', sa.Integer()),
)


def upgrade() -> None:
    bind = op.get_bind()
    taken = set(bind.execute(sa.select(locations.c.name)).scalars())
    has_van = sa.select(locations.c.engineer_id).where(locations.c.engineer_id.is_not(None))
    engineers = bind.execute(
        sa.select(users.c.id, users.c.username, users.c.display_name)
        .where(users.c.role == 'engineer', users.c.id.not_in(has_van))
        .order_by(users.c.username)
    ).all()
    now = datetime.now(UTC)
    rows = []
    for user_id, username, display_name in engineers:
        name = f'{display_name}的车 Van {username}'
        if len(name) > NAME_MAX or name in taken:
            name = f'Van {username} {user_id.hex[:8]}'[:NAME_MAX]
        taken.add(name)
        rows.append(
            {
                'id': uuid7(), 'kind': 'van', 'name': name, 'engineer_id': user_id,
                'created_at': now, 'updated_at': now, 'version': 1,
            }
        )
    if rows:
        op.bulk_insert(locations, rows)


def downgrade() -> None:
    # The vans stay: they may hold stock and movements by now, and an extra empty van harms
    # nothing.
    pass
