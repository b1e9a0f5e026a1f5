"""Routes of login, refresh, logout, the current user and devices."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.exceptions import NotAuthorizedException, TooManyRequestsException
from litestar.params import Parameter
from sqlalchemy import select

from api.db import Database
from api.domain.auth import services
from api.domain.auth.schemas import DeviceOut, LoginIn, RefreshIn, TokensOut, UserOut
from api.guards import EVERYONE, PUBLIC, allow, device_visible_to
from api.http import not_found
from api.models import Device, User
from api.ratelimit import Attempt, LoginThrottle, TooMany
from api.security import Principal
from api.settings import Settings


class AuthController(Controller):
    """Sessions: password login, refresh tokens bound to devices, logout."""

    path = "/api/auth"
    tags = ["auth"]

    @post(
        "/login",
        opt=PUBLIC,
        operation_id="login",
        summary="Log in with username and password",
        description="Binds a refresh token (valid for 60 days, renewed at each refresh) to the "
        "device id the app made. Login attempts are throttled per username and address, per "
        "username (not from a device the user signed in on before) and per address.",
        raises=[NotAuthorizedException, TooManyRequestsException],
        status_code=200,
    )
    async def login(
        self,
        data: LoginIn,
        request: Request[Any, Any, Any],
        db: Database,
        settings: Settings,
        now: datetime,
    ) -> TokensOut:
        throttle: LoginThrottle = request.app.state.login_throttle
        address = request.client.host if request.client else "?"
        # Counted before the password is checked, so concurrent guesses are limited too.
        known = await services.known_device(db, username=data.username, device_id=data.device_id)
        attempt = throttle.reserve(data.username, address, known=known)
        if not isinstance(attempt, Attempt):
            raise TooMany("too many failed logins", attempt)
        user_id, checked_hash = await services.check_password(
            db, username=data.username, password=data.password
        )
        throttle.succeeded(attempt)
        async with db.write() as session:
            return await services.login(
                session,
                user_id=user_id,
                checked_hash=checked_hash,
                device_id=data.device_id,
                device_name=data.device_name,
                app_version=data.app_version,
                settings=settings,
                now=now,
            )

    @post(
        "/refresh",
        opt=PUBLIC,
        operation_id="refresh",
        summary="Get a new access token with the device's refresh token",
        raises=[NotAuthorizedException],
        status_code=200,
    )
    async def refresh(
        self, data: RefreshIn, db: Database, settings: Settings, now: datetime
    ) -> TokensOut:
        async with db.write() as session:
            return await services.refresh(
                session,
                refresh_token=data.refresh_token,
                device_id=data.device_id,
                settings=settings,
                now=now,
            )

    @post(
        "/logout",
        opt=allow(*EVERYONE),
        operation_id="logout",
        summary="Sign this device out",
        status_code=204,
    )
    async def logout(self, db: Database, me: Principal, now: datetime) -> None:
        async with db.write(actor_id=me.user_id) as session:
            await services.revoke_device(session, device_id=me.device_id, by=me, now=now)

    @get("/me", opt=allow(*EVERYONE), operation_id="getMe", summary="The logged-in user")
    async def me(self, db: Database, me: Principal) -> UserOut:
        async with db.read() as session:
            user = await session.get(User, me.user_id)
            if user is None:
                raise not_found("user")
            return services.user_out(user)


class DeviceController(Controller):
    """Devices signed in to accounts; revoke a lost phone."""

    path = "/api/devices"
    tags = ["auth"]

    @get(
        "/",
        opt=allow(*EVERYONE),
        operation_id="listDevices",
        summary="Devices: all for an admin, one's own for others; the newest ``limit`` contacts",
    )
    async def list_devices(
        self,
        db: Database,
        me: Principal,
        user_id: uuid.UUID | None = None,
        limit: Annotated[int, Parameter(ge=1, le=1000)] = 200,
    ) -> list[DeviceOut]:
        # Newest contact first and bounded: a year of sign-ins was 2,857 devices (843 KB).
        query = (
            select(Device)
            .where(device_visible_to(me))
            .order_by(Device.last_seen_at.desc(), Device.id)
            .limit(limit)
        )
        if user_id is not None:
            query = query.where(Device.user_id == user_id)
        async with db.read() as session:
            return [services.device_out(d) for d in (await session.scalars(query)).all()]

    @post(
        "/{device_id:uuid}/revoke",
        opt=allow(*EVERYONE),
        operation_id="revokeDevice",
        summary="Revoke a device (a lost phone): its refresh token stops working",
        status_code=200,
    )
    async def revoke(
        self, device_id: uuid.UUID, db: Database, me: Principal, now: datetime
    ) -> DeviceOut:
        async with db.write(actor_id=me.user_id) as session:
            device = await services.revoke_device(session, device_id=device_id, by=me, now=now)
            if device is None:
                raise not_found("device")
            return services.device_out(device)
