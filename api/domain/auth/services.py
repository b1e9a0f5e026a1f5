"""Login, refresh, logout and device revocation."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from functools import partial

import anyio.to_thread
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.db import Database, on_commit
from api.domain.auth.schemas import DeviceOut, TokensOut, UserOut
from api.error_codes import ErrorCode
from api.guards import ACCESS_CACHE, device_visible_to
from api.http import Conflict, DomainError
from api.models import Device, User
from api.security import (
    Principal,
    issue_access_token,
    new_refresh_token,
    token_digest,
    verify_password,
)
from api.settings import Settings


class LoginFailed(DomainError):
    """Wrong username or password, or a disabled account."""

    status_code = 401


def user_out(user: User) -> UserOut:
    """The wire form of a user."""
    return UserOut(
        id=user.id,
        username=user.username,
        display_name=user.display_name,
        role=user.role.value,
        phone=user.phone,
        email=user.email,
        locale=user.locale,
        active=user.active,
        region_id=user.region_id,
        team_id=user.team_id,
    )


def device_out(device: Device) -> DeviceOut:
    """The wire form of a device."""
    return DeviceOut(
        id=device.id,
        user_id=device.user_id,
        name=device.name,
        created_at=device.created_at,
        last_seen_at=device.last_seen_at,
        refresh_expires_at=device.refresh_expires_at,
        revoked_at=device.revoked_at,
        app_version=device.app_version,
        clock_offset_ms=device.clock_offset_ms,
    )


def _tokens(
    user: User, device: Device, refresh: str, *, settings: Settings, now: datetime
) -> TokensOut:
    principal = Principal(
        user_id=user.id, username=user.username, role=user.role.value, device_id=device.id
    )
    minutes = settings.auth.access_minutes
    return TokensOut(
        access_token=issue_access_token(
            principal, key=settings.effective_secret_key(), now=now, minutes=minutes
        ),
        token_type="bearer",  # noqa: S106 (the OAuth token type, not a secret)
        expires_in=minutes * 60,
        refresh_token=refresh,
        refresh_expires_at=device.refresh_expires_at,
        device_id=device.id,
        user=user_out(user),
    )


async def known_device(db: Database, *, username: str, device_id: uuid.UUID) -> bool:
    """Whether ``device_id`` is a device that user signed in on before (signed out since or
    not): an id only that device holds, so a login from it is no stranger's guess."""
    async with db.read() as session:
        found = await session.scalar(
            select(Device.id)
            .join(User, User.id == Device.user_id)
            .where(Device.id == device_id, User.username == username)
        )
    return found is not None


async def check_password(db: Database, *, username: str, password: str) -> tuple[uuid.UUID, str]:
    """The id and password hash of the active user whose password this is; raises
    :class:`LoginFailed` otherwise. The argon2 work runs in a worker thread after the read
    session is closed, so neither the event loop nor a connection waits for it."""
    async with db.read() as session:
        row = (
            await session.execute(
                select(User.id, User.password_hash, User.active).where(User.username == username)
            )
        ).first()
    password_hash = row.password_hash if row else None
    ok = await anyio.to_thread.run_sync(verify_password, password_hash, password)
    if row is None or password_hash is None or not ok or not row.active:
        raise LoginFailed("wrong username or password", code=ErrorCode.WRONG_LOGIN)
    return row.id, password_hash


async def login(
    session: AsyncSession,
    *,
    user_id: uuid.UUID,
    checked_hash: str,
    device_id: uuid.UUID,
    device_name: str,
    app_version: str,
    settings: Settings,
    now: datetime,
) -> TokensOut:
    """Bind a new refresh token to the device of a user whose password was just checked
    (:func:`check_password`, outside this transaction)."""
    user = await session.get(User, user_id, with_for_update=True)
    if user is None or not user.active or user.password_hash != checked_hash:
        # Disabled, or the password changed, between the check and this transaction.
        raise LoginFailed("wrong username or password", code=ErrorCode.WRONG_LOGIN)
    session.info["actor_id"] = user.id
    refresh = new_refresh_token()
    expires = now + timedelta(days=settings.auth.refresh_days)
    device = await session.get(Device, device_id)
    if device is not None and device.user_id != user.id:
        raise Conflict(
            "this device id belongs to another user; "
            "the app must make a new device id for this user"
        )
    if device is None:
        device = Device(id=device_id, user_id=user.id, refresh_expires_at=expires)
        session.add(device)
    device.name = device_name or device.name
    device.app_version = app_version or device.app_version
    device.refresh_hash = token_digest(refresh)
    device.refresh_expires_at = expires
    device.revoked_at = None
    device.last_seen_at = now
    await session.flush()
    on_commit(session, partial(ACCESS_CACHE.forget_device, device.id))
    return _tokens(user, device, refresh, settings=settings, now=now)


async def refresh(
    session: AsyncSession,
    *,
    refresh_token: str,
    device_id: uuid.UUID,
    settings: Settings,
    now: datetime,
) -> TokensOut:
    """A new access token for a device whose refresh token is valid; extends its lifetime.

    The refresh token itself is kept (not rotated): a phone that loses the answer on a bad
    connection can simply ask again, and a week offline never locks an engineer out.
    """
    device = await session.get(Device, device_id)
    if device is None or device.refresh_hash != token_digest(refresh_token):
        raise LoginFailed("unknown refresh token; log in again")
    if device.revoked_at is not None:
        raise LoginFailed("this device was signed out by the office; log in again")
    if device.refresh_expires_at <= now:
        raise LoginFailed("the session expired; log in again")
    user = await session.get(User, device.user_id)
    if user is None or not user.active:
        raise LoginFailed("the account is disabled")
    session.info["actor_id"] = user.id
    device.refresh_expires_at = now + timedelta(days=settings.auth.refresh_days)
    device.last_seen_at = now
    await session.flush()
    return _tokens(user, device, refresh_token, settings=settings, now=now)


async def revoke_device(
    session: AsyncSession, *, device_id: uuid.UUID, by: Principal, now: datetime
) -> Device | None:
    """Sign a device out: its refresh token and access tokens stop working. Admins may revoke
    any device; others only their own. Returns None when the caller may not see the device."""
    device = await session.scalar(
        select(Device).where(Device.id == device_id, device_visible_to(by)).with_for_update()
    )
    if device is None:
        return None
    if device.revoked_at is None:
        device.revoked_at = now
    await session.flush()
    on_commit(session, partial(ACCESS_CACHE.forget_device, device.id))
    return device


async def revoke_user_devices(session: AsyncSession, *, user_id: uuid.UUID, now: datetime) -> None:
    """Sign out every device of a user (their password, role or active flag changed)."""
    devices = await session.scalars(
        select(Device).where(Device.user_id == user_id, Device.revoked_at.is_(None))
    )
    for device in devices:
        device.revoked_at = now
        on_commit(session, partial(ACCESS_CACHE.forget_device, device.id))
    on_commit(session, partial(ACCESS_CACHE.forget_user, user_id))
    await session.flush()
