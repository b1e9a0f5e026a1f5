"""Every engineer has a van: the stock location their van-sourced part lines draw from.

Made with the account (the console, the API, ``fieldsync user create``) or when a user becomes
an engineer. Without one, van parts an engineer records move no stock, and the month's van
reconciliation cannot set their lines against anything.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.models import LocationKind, Role, StockLocation, User

NAME_MAX = 100
"""``stock_locations.name`` length."""


def van_name(user: User) -> str:
    """ "李娜的车 Van lina", or "Van lina" when the display name would make it too long
    (the username keeps it unique)."""
    name = f"{user.display_name}的车 Van {user.username}"
    return name if len(name) <= NAME_MAX else f"Van {user.username}"


async def ensure_van(session: AsyncSession, user: User) -> StockLocation | None:
    """The engineer's van, made if they have none (None: ``user`` is not an engineer). A van
    kept from an earlier spell as an engineer is used again, with its stock."""
    if user.role is not Role.ENGINEER:
        return None
    # A user made in this transaction gets its id at the flush: compared before it, the None
    # would read "engineer_id IS NULL" and find a warehouse.
    await session.flush()
    van: StockLocation | None = await session.scalar(
        select(StockLocation).where(StockLocation.engineer_id == user.id)
    )
    if van is None:
        van = StockLocation(kind=LocationKind.VAN, name=van_name(user), engineer_id=user.id)
        session.add(van)
        await session.flush()
    return van
