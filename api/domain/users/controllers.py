"""Users, regions and teams: managed by admins, listed for dispatch."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

import anyio.to_thread
import msgspec
from litestar import Controller, get, patch, post
from litestar.exceptions import NotFoundException
from litestar.params import Parameter
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.db import Database, count_rows
from api.domain.auth.schemas import UserOut
from api.domain.auth.services import revoke_user_devices, user_out
from api.domain.catalogue.vans import ensure_van
from api.error_codes import ErrorCode
from api.guards import EVERYONE, STAFF, allow
from api.http import (
    Conflict,
    Offset,
    Out,
    Page,
    Schema,
    SearchText,
    apply_patch,
    not_found,
    text_search,
)
from api.models import Region, Role, Team, TeamKind, User
from api.security import Principal, hash_password

Name = Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
NewPassword = Annotated[str, msgspec.Meta(min_length=8, max_length=256)]


class UserIn(Schema):
    """A new user."""

    username: Annotated[str, msgspec.Meta(min_length=1, max_length=64, pattern=r"^[\w.@-]+$")]
    display_name: Name
    password: NewPassword
    role: Role
    phone: Annotated[str, msgspec.Meta(max_length=40)] = ""
    email: Annotated[str, msgspec.Meta(max_length=200)] = ""
    locale: Annotated[str, msgspec.Meta(pattern=r"^(zh-CN|en)$")] = "zh-CN"
    region_id: uuid.UUID | None = None
    team_id: uuid.UUID | None = None


class UserPatch(Schema):
    """Changes to a user; absent fields stay as they are."""

    display_name: Name | msgspec.UnsetType = msgspec.UNSET
    password: NewPassword | msgspec.UnsetType = msgspec.UNSET
    role: Role | msgspec.UnsetType = msgspec.UNSET
    phone: Annotated[str, msgspec.Meta(max_length=40)] | msgspec.UnsetType = msgspec.UNSET
    email: Annotated[str, msgspec.Meta(max_length=200)] | msgspec.UnsetType = msgspec.UNSET
    locale: Annotated[str, msgspec.Meta(pattern=r"^(zh-CN|en)$")] | msgspec.UnsetType = (
        msgspec.UNSET
    )
    active: bool | msgspec.UnsetType = msgspec.UNSET
    region_id: uuid.UUID | msgspec.UnsetType | None = msgspec.UNSET
    team_id: uuid.UUID | msgspec.UnsetType | None = msgspec.UNSET


class RegionOut(Out):
    """A service region."""

    id: uuid.UUID
    code: str
    name: str


class TeamOut(Out):
    """A team of the department."""

    id: uuid.UUID
    name: str
    kind: TeamKind
    region_id: uuid.UUID | None


class UserController(Controller):
    """User accounts (admins manage them; office staff list them)."""

    path = "/api/users"
    tags = ["users"]

    @get(
        "/",
        opt=allow(*STAFF),
        operation_id="listUsers",
        summary="List users, filtered by role, region or text",
    )
    async def list_users(
        self,
        db: Database,
        role: Role | None = None,
        region_id: uuid.UUID | None = None,
        q: SearchText = None,
        active: bool | None = None,
        offset: Offset = 0,
        limit: Annotated[int, Parameter(ge=1, le=500)] = 100,
    ) -> Page[UserOut]:
        query = select(User)
        if role is not None:
            query = query.where(User.role == role)
        if region_id is not None:
            query = query.where(User.region_id == region_id)
        if active is not None:
            query = query.where(User.active == active)
        if q:
            query = query.where(text_search(q, User.username, User.display_name))
        async with db.read() as session:
            total = await count_rows(session, query)
            rows = await session.scalars(query.order_by(User.username).offset(offset).limit(limit))
            return Page(items=[user_out(u) for u in rows], total=total, offset=offset, limit=limit)

    @post(
        "/",
        opt=allow(Role.ADMIN),
        operation_id="createUser",
        summary="Create a user",
    )
    async def create_user(self, data: UserIn, db: Database, me: Principal) -> UserOut:
        # argon2 is slow by design: hash in a worker thread, before the write transaction.
        password_hash = await anyio.to_thread.run_sync(hash_password, data.password)
        async with db.write(actor_id=me.user_id) as session:
            user = User(
                username=data.username,
                display_name=data.display_name,
                password_hash=password_hash,
                role=data.role,
                phone=data.phone,
                email=data.email,
                locale=data.locale,
                region_id=data.region_id,
                team_id=data.team_id,
            )
            session.add(user)
            await session.flush()
            await ensure_van(session, user)
            return user_out(user)

    @get(
        "/{user_id:uuid}",
        opt=allow(*STAFF),
        operation_id="getUser",
        summary="One user",
        raises=[NotFoundException],
    )
    async def get_user(self, user_id: uuid.UUID, db: Database) -> UserOut:
        async with db.read() as session:
            user = await session.get(User, user_id)
            if user is None:
                raise not_found("user")
            return user_out(user)

    @patch(
        "/{user_id:uuid}",
        opt=allow(Role.ADMIN),
        operation_id="updateUser",
        summary="Change a user (role, contact details, password, active)",
        description="A new password, role or active flag signs out all the user's devices.",
        raises=[NotFoundException],
    )
    async def update_user(
        self, user_id: uuid.UUID, data: UserPatch, db: Database, me: Principal, now: datetime
    ) -> UserOut:
        password = data.password
        data.password = msgspec.UNSET
        password_hash = (
            await anyio.to_thread.run_sync(hash_password, password)
            if isinstance(password, str)
            else None
        )
        async with db.write(actor_id=me.user_id) as session:
            if data.role is not msgspec.UNSET or data.active is not msgspec.UNSET:
                await _lock_administrators(session)
            user = await session.get(User, user_id, with_for_update=True)
            if user is None:
                raise not_found("user")
            before = (user.role, user.active)
            apply_patch(user, data)
            if before == (Role.ADMIN, True) and (user.role, user.active) != before:
                await _keep_an_administrator(session, leaving=user.id)
            if password_hash is not None:
                user.password_hash = password_hash
            if user.role != before[0]:
                await ensure_van(session, user)
            if password_hash is not None or (user.role, user.active) != before:
                # Sessions opened under the old password, role or standing end now.
                await revoke_user_devices(session, user_id=user.id, now=now)
            await session.flush()
            return user_out(user)


async def _lock_administrators(session: AsyncSession) -> None:
    """Lock every active administrator's row, in one order, before a change of role or
    standing: two administrators demoting each other at once then take turns (on PostgreSQL;
    SQLite writes one at a time), and the second sees the first's change when it counts."""
    await session.execute(
        select(User.id)
        .where(User.role == Role.ADMIN, User.active.is_(True))
        .order_by(User.id)
        .with_for_update()
    )


async def _keep_an_administrator(session: AsyncSession, *, leaving: uuid.UUID) -> None:
    """Refuse to leave the department without an active administrator: nobody could then
    manage accounts or revoke a lost phone from the console. Called under
    :func:`_lock_administrators`."""
    others = await session.scalar(
        select(func.count())
        .select_from(User)
        .where(User.role == Role.ADMIN, User.active.is_(True), User.id != leaving)
    )
    if not others:
        raise Conflict(
            "this is the last active administrator: make another user an administrator "
            "before changing this one's role or deactivating it",
            code=ErrorCode.LAST_ADMIN,
        )


class DirectoryController(Controller):
    """Regions and teams, for forms and filters."""

    path = "/api/directory"
    tags = ["users"]

    @get("/regions", opt=allow(*EVERYONE), operation_id="listRegions", summary="All regions")
    async def regions(self, db: Database) -> list[RegionOut]:
        async with db.read() as session:
            rows = await session.scalars(select(Region).order_by(Region.code))
            return [RegionOut(id=r.id, code=r.code, name=r.name) for r in rows]

    @get("/teams", opt=allow(*EVERYONE), operation_id="listTeams", summary="All teams")
    async def teams(self, db: Database) -> list[TeamOut]:
        async with db.read() as session:
            rows = await session.scalars(select(Team).order_by(Team.name))
            return [TeamOut(id=t.id, name=t.name, kind=t.kind, region_id=t.region_id) for t in rows]
