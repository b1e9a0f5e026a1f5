"""Who may call what: every route declares its roles; the guard fails closed.

A handler declares ``opt=allow(Role.DISPATCHER, ...)`` or ``opt=PUBLIC``. A handler that
declares nothing is refused for everyone, and ``tests/api/test_authorization.py`` walks the
route table to prove no route is left undeclared.
"""

from __future__ import annotations

import contextlib
from typing import Any

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler

from api.models import Role
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


def role_guard(connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler) -> None:
    """App-wide guard: authenticate the bearer token and check the route's declared roles."""
    declared = handler.opt.get(ROLES_KEY)
    if declared is None and connection.scope.get("method") == "OPTIONS":
        # Litestar's generated OPTIONS answers list the allowed methods and touch no data.
        return
    if declared is None:
        raise PermissionDeniedException("this route declares no roles and is closed")
    token = _bearer(connection)
    if declared == PUBLIC_MARK:
        if token:
            # Public routes still learn who calls when a valid token is sent.
            with contextlib.suppress(TokenError):
                connection.scope[PRINCIPAL_KEY] = decode_access_token(  # type: ignore[literal-required]
                    token, key=connection.app.state.secret_key
                )
        return
    if token is None:
        raise NotAuthorizedException("login required: send 'Authorization: Bearer <token>'")
    try:
        principal = decode_access_token(token, key=connection.app.state.secret_key)
    except TokenError as exc:
        raise NotAuthorizedException(str(exc)) from None
    if principal.role not in declared:
        raise PermissionDeniedException(f"the {principal.role} role may not call this route")
    connection.scope[PRINCIPAL_KEY] = principal  # type: ignore[literal-required]
