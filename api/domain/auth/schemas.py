"""Wire messages of login, refresh, logout and devices."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

import msgspec

from api.http import Out, Schema

Username = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
Password = Annotated[str, msgspec.Meta(min_length=1, max_length=256)]


class LoginIn(Schema):
    """Credentials, and the device that will hold the refresh token."""

    username: Username
    password: Password
    device_id: uuid.UUID
    """Made by the device once and kept; names the device in sync and revocation."""
    device_name: Annotated[str, msgspec.Meta(max_length=100)] = ""
    app_version: Annotated[str, msgspec.Meta(max_length=40)] = ""


class RefreshIn(Schema):
    """A refresh token and the device it was issued to."""

    refresh_token: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    device_id: uuid.UUID


class UserOut(Out):
    """A user as others see them."""

    id: uuid.UUID
    username: str
    display_name: str
    role: str
    phone: str
    email: str
    locale: str
    active: bool
    region_id: uuid.UUID | None
    team_id: uuid.UUID | None


class TokensOut(Out):
    """What a successful login or refresh returns."""

    access_token: str
    token_type: str
    expires_in: int
    """Seconds until the access token expires."""
    refresh_token: str
    refresh_expires_at: datetime
    device_id: uuid.UUID
    user: UserOut


class DeviceOut(Out):
    """A device signed in to an account."""

    id: uuid.UUID
    user_id: uuid.UUID
    name: str
    created_at: datetime
    last_seen_at: datetime
    refresh_expires_at: datetime
    revoked_at: datetime | None
    app_version: str
    clock_offset_ms: int | None
