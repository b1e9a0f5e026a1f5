"""Passwords (argon2id), access tokens (JWT, minutes) and refresh tokens (opaque, per device)."""

from __future__ import annotations

import functools
import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()
# Verifying against this keeps a login for an unknown user as slow as one for a known user.
_DUMMY_HASH = _hasher.hash("fieldsync-dummy-password")


def hash_password(password: str) -> str:
    """An argon2id hash of ``password``."""
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Whether ``password`` matches; constant work whether or not the user exists."""
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def new_refresh_token() -> str:
    """A fresh 256-bit refresh token."""
    return secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    """What the database keeps of a refresh token."""
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class Principal:
    """Who is calling: decoded from a valid access token."""

    user_id: uuid.UUID
    username: str
    role: str
    device_id: uuid.UUID
    expires_at: int | None = None
    """When the access token expires (seconds since the epoch), for what outlives one request
    (an event stream); None for a principal not read from a token."""


def issue_access_token(principal: Principal, *, key: str, now: datetime, minutes: int) -> str:
    """A signed, short-lived access token for ``principal``."""
    claims = {
        "sub": str(principal.user_id),
        "usr": principal.username,
        "role": principal.role,
        "dev": str(principal.device_id),
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(minutes=minutes)).timestamp()),
        "typ": "access",
    }
    return jwt.encode(claims, key, algorithm="HS256")


class TokenError(Exception):
    """An access token that is missing, malformed, expired or forged."""


def decode_access_token(token: str, *, key: str) -> Principal:
    """The principal of a valid access token; raises :class:`TokenError` otherwise.

    A token whose signature was checked once is remembered with its principal: a phone sends
    the same token with every request for its 15 minutes, and checking it again (base64, HMAC,
    JSON, the claims) was a few per cent of the cost of every push. Only its expiry is checked
    again; whether its user and device still stand is the caller's to check, every time.
    """
    principal = _checked(token, key)
    # The clock PyJWT reads, so a token expires here exactly as it would there.
    if principal.expires_at is not None and principal.expires_at <= datetime.now(UTC).timestamp():
        raise TokenError("access token expired")
    return principal


@functools.lru_cache(maxsize=4096)
def _checked(token: str, key: str) -> Principal:
    """The principal of a token whose signature and claims are valid (errors are not kept)."""
    try:
        claims = jwt.decode(token, key, algorithms=["HS256"], options={"require": ["exp", "sub"]})
        if claims.get("typ") != "access":
            raise TokenError("not an access token")
        return Principal(
            user_id=uuid.UUID(claims["sub"]),
            username=str(claims.get("usr", "")),
            role=str(claims["role"]),
            device_id=uuid.UUID(claims["dev"]),
            expires_at=int(claims["exp"]),
        )
    except jwt.ExpiredSignatureError:
        raise TokenError("access token expired") from None
    except (jwt.PyJWTError, KeyError, ValueError):
        raise TokenError("invalid access token") from None
