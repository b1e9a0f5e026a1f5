"""Who may call what: every route declares its roles; the guard fails closed.

A handler declares ``opt=allow(Role.DISPATCHER, ...)`` or ``opt=PUBLIC``. A handler that
declares nothing is refused for everyone, and ``tests/api/test_authorization.py`` walks the
route table to prove no route is left undeclared.
"""

from __future__ import annotations

import contextlib
import time
import uuid
from dataclasses import dataclass
from typing import Any

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler
from sqlalchemy import ColumnElement, select, true

from api.db import Database
from api.models import Device, Role, User
from api.security import Principal, TokenError, decode_access_token

ROLES_KEY = "roles"
PUBLIC_MARK = "public"
PUBLIC: dict[str, Any] = {ROLES_KEY: PUBLIC_MARK}
"""The ``opt`` of a route that anyone may call without logging in."""

OFFICE = (Role.ADMIN, Role.DISPATCHER, Role.SUPERVISOR)
"""Office staff who run the desk."""
STAFF = (*OFFICE, Role.QUALITY)
"""Everyone in the office, including quality (read-mostly)."""
EVERYONE = (*STAFF, Role.ENGINEER)
"""Any logged-in user."""


def allow(*roles: Role) -> dict[str, Any]:
    """The ``opt`` of a route callable by users with one of ``roles``."""
    if not roles:
        raise ValueError("a route must allow at least one role")
    return {ROLES_KEY: frozenset(roles)}


PRINCIPAL_KEY = "fieldsync.principal"


def principal_of(connection: ASGIConnection[Any, Any, Any, Any]) -> Principal:
    """The authenticated caller (set by :func:`role_guard`)."""
    principal = connection.scope.get(PRINCIPAL_KEY)
    if not isinstance(principal, Principal):
        raise NotAuthorizedException("login required")
    return principal


def _bearer(connection: ASGIConnection[Any, Any, Any, Any]) -> str | None:
    header = connection.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "bearer" and token:
        return token.strip()
    return None


class AccessCache:
    """What the guard last read of users and devices, for a few seconds, in this process.

    An access token is good for minutes, but a revoked device, a disabled account or a changed
    role must end access at once. Reading that on every request would cost a query each time;
    this cache answers most requests from memory. Writes in this process drop their entries
    after commit (:func:`api.db.on_commit`); other processes see a change within ``ttl``.
    """

    def __init__(self, ttl: float = 10.0, max_entries: int = 50_000) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        self._users: dict[uuid.UUID, tuple[float, str | None]] = {}
        """user id -> (expires, role of an active user or None)."""
        self._devices: dict[uuid.UUID, tuple[float, uuid.UUID | None]] = {}
        """device id -> (expires, owner of a device not revoked or None)."""
        self.generation = 0
        """Counts the entries dropped, so a read that raced with a change is not stored."""

    def lookup(self, user_id: uuid.UUID, device_id: uuid.UUID) -> Standing | None:
        """The cached standing of a user on a device; None when unknown or stale."""
        now = time.monotonic()
        user = self._users.get(user_id)
        device = self._devices.get(device_id)
        if user is None or device is None or user[0] <= now or device[0] <= now:
            return None
        return Standing(role=user[1], device_owner=device[1])

    def store(
        self, user_id: uuid.UUID, device_id: uuid.UUID, standing: Standing, *, generation: int
    ) -> None:
        """Remember a standing read from the database when the cache was at ``generation``;
        if an entry was dropped since, the read may predate that change and is not kept."""
        if generation != self.generation:
            return
        now = time.monotonic()
        if len(self._users) + len(self._devices) > self.max_entries:
            self._users = {k: v for k, v in self._users.items() if v[0] > now}
            self._devices = {k: v for k, v in self._devices.items() if v[0] > now}
        expires = now + self.ttl
        self._users[user_id] = (expires, standing.role)
        self._devices[device_id] = (expires, standing.device_owner)

    def forget_user(self, user_id: uuid.UUID) -> None:
        """Drop what is known of a user (their role or active flag changed)."""
        self.generation += 1
        self._users.pop(user_id, None)

    def forget_device(self, device_id: uuid.UUID) -> None:
        """Drop what is known of a device (revoked, or signed in again)."""
        self.generation += 1
        self._devices.pop(device_id, None)


@dataclass(frozen=True, slots=True)
class Standing:
    """Whether a token's user and device may still act."""

    role: str | None
    """The user's current role; None when the user is disabled or gone."""
    device_owner: uuid.UUID | None
    """Who the device belongs to; None when it is revoked or unknown."""


ACCESS_CACHE = AccessCache()
"""The process's cache of standings, shared by every app the process serves."""


async def _standing(db: Database, principal: Principal) -> Standing:
    cached = ACCESS_CACHE.lookup(principal.user_id, principal.device_id)
    if cached is not None:
        return cached
    generation = ACCESS_CACHE.generation
    async with db.read() as session:
        row = (
            await session.execute(
                select(User.active, User.role, Device.user_id, Device.revoked_at)
                .select_from(User)
                .outerjoin(Device, Device.id == principal.device_id)
                .where(User.id == principal.user_id)
            )
        ).first()
    if row is None:
        standing = Standing(role=None, device_owner=None)
    else:
        active, role, owner, revoked_at = row
        standing = Standing(
            role=Role(role).value if active else None,
            device_owner=owner if revoked_at is None else None,
        )
    ACCESS_CACHE.store(principal.user_id, principal.device_id, standing, generation=generation)
    return standing


async def current_principal(db: Database, principal: Principal) -> Principal:
    """``principal`` if its device is not revoked and its user is active in the same role;
    raises ``NotAuthorizedException`` otherwise."""
    standing = await _standing(db, principal)
    if standing.device_owner != principal.user_id:
        raise NotAuthorizedException("this device was signed out; log in again")
    if standing.role is None:
        raise NotAuthorizedException("the account is disabled")
    if standing.role != principal.role:
        raise NotAuthorizedException("the account's role changed; log in again")
    return principal


async def still_signed_in(db: Database, principal: Principal) -> bool:
    """Whether ``principal`` may still act: its access token has not expired, its device is
    not revoked and its user is active in the same role.

    The guard checks this once per request; an answer that goes on for minutes (the board's
    event stream) asks again before each thing it sends, so signing out, revoking the device,
    disabling the user or the token's expiry also end a stream already open.
    """
    if principal.expires_at is not None and time.time() >= principal.expires_at:
        return False
    try:
        await current_principal(db, principal)
    except NotAuthorizedException:
        return False
    return True


async def role_guard(
    connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler
) -> None:
    """App-wide guard: authenticate the bearer token, check that its device and user still
    stand, and check the route's declared roles."""
    declared = handler.opt.get(ROLES_KEY)
    if declared is None and connection.scope.get("method") == "OPTIONS":
        # Litestar's generated OPTIONS answers list the allowed methods and touch no data.
        return
    if declared is None:
        raise PermissionDeniedException("this route declares no roles and is closed")
    token = _bearer(connection)
    key: str = connection.app.state.secret_key
    db: Database = connection.app.state.db
    if declared == PUBLIC_MARK:
        if token:
            # Public routes still learn who calls when a valid token is sent.
            with contextlib.suppress(TokenError, NotAuthorizedException):
                principal = await current_principal(db, decode_access_token(token, key=key))
                connection.scope[PRINCIPAL_KEY] = principal  # type: ignore[literal-required]
        return
    if token is None:
        raise NotAuthorizedException("login required: send 'Authorization: Bearer <token>'")
    try:
        principal = decode_access_token(token, key=key)
    except TokenError as exc:
        raise NotAuthorizedException(str(exc)) from None
    if principal.role not in declared:
        raise PermissionDeniedException(f"the {principal.role} role may not call this route")
    connection.scope[PRINCIPAL_KEY] = await current_principal(db, principal)  # type: ignore[literal-required]


def device_visible_to(me: Principal) -> ColumnElement[bool]:
    """The SQL condition of the devices ``me`` may see and revoke: an admin any, others own."""
    if me.role == Role.ADMIN:
        return true()
    return Device.user_id == me.user_id
