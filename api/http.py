"""Shared wire pieces: the base struct, pages, errors and their HTTP mapping."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Annotated, Any, Generic, TypeVar

import msgspec
from litestar import Request, Response
from litestar.exceptions import ClientException, HTTPException, NotFoundException
from litestar.params import Parameter
from sqlalchemy import ColumnElement, SQLColumnExpression, or_
from sqlalchemy.exc import DBAPIError, IntegrityError

from api.error_codes import ErrorCode
from api.logs import loggable_path
from sync.rules.lifecycle import TransitionError

log = logging.getLogger("fieldsync.http")

T = TypeVar("T")


Offset = Annotated[int, Parameter(ge=0, le=10_000_000, description="Rows to skip")]
"""The ``offset`` query parameter of every list."""


SearchText = Annotated[
    str | None,
    Parameter(max_length=100, pattern=r"^[^\x00]*$", description="Text to search for"),
]
"""The ``q`` query parameter of searchable lists."""


def text_search(q: str, *columns: SQLColumnExpression[str]) -> ColumnElement[bool]:
    """Rows where any of ``columns`` holds ``q``, any case. ``%`` and ``_`` are taken as
    written, not as patterns: "100%" finds "100%", not every "1000"."""
    return or_(*(column.icontains(q, autoescape=True) for column in columns))


AwareDatetime = Annotated[datetime, msgspec.Meta(tz=True)]
"""An inbound instant: a time without a zone offset is refused (400), never guessed."""


class Schema(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Base of office REST request bodies: snake_case, unknown fields refused with a reason.

    Text may not hold NUL characters: PostgreSQL cannot store them, and no form needs them.
    An instant must stay within the calendar once converted to UTC, where it is stored.
    """

    def __post_init__(self) -> None:
        for name in self.__struct_fields__:
            value = getattr(self, name)
            if isinstance(value, str) and "\x00" in value:
                raise ValueError(f"`{name}` contains a NUL character")
            if isinstance(value, datetime) and value.tzinfo is not None:
                try:
                    value.astimezone(UTC)
                except OverflowError:
                    raise ValueError(
                        f"`{name}` falls outside the years 1 to 9999 in UTC; check the year"
                    ) from None


class Out(msgspec.Struct, kw_only=True):
    """Base of response bodies."""


class Page(Out, Generic[T]):
    """One page of a list."""

    items: list[T]
    total: int
    offset: int
    limit: int


class Problem(Out):
    """An error answer: what went wrong and, where known, on which field.

    ``code`` and ``params``, where given, say the same for a client to put in its user's
    words (see :mod:`api.error_codes`); ``detail`` is the English text."""

    status_code: int
    detail: str
    extra: dict[str, Any] | list[Any] | None = None
    code: ErrorCode | None = None
    params: dict[str, str | int] | None = None


class DomainError(ClientException):
    """A business rule refused the request; maps to a 4xx with the reason.

    A Litestar client exception, so routes can list it in ``raises`` for the OpenAPI document.
    """

    status_code = 400

    def __init__(
        self,
        detail: str,
        *,
        status_code: int | None = None,
        headers: dict[str, str] | None = None,
        code: ErrorCode | None = None,
        params: dict[str, str | int] | None = None,
    ) -> None:
        super().__init__(
            detail=detail, status_code=status_code or self.status_code, headers=headers
        )
        self.code = code
        self.params = params


class Conflict(DomainError):
    """The request clashes with the current state (409)."""

    status_code = 409


class NotFound(NotFoundException):
    """A 404 with its error code (see :func:`not_found`)."""

    def __init__(self, what: str) -> None:
        super().__init__(f"{what} not found")
        self.code = ErrorCode.NOT_FOUND
        self.params: dict[str, str | int] = {"what": what}


def not_found(what: str) -> NotFound:
    """A 404 naming what was not found (or not visible to the caller)."""
    return NotFound(what)


def job_status(detail: str, status: str) -> Conflict:
    """A 409: the job's status (``status``, now) does not allow the request."""
    return Conflict(detail, code=ErrorCode.JOB_STATUS, params={"status": str(status)})


def _problem(
    status: int,
    detail: str,
    extra: Any = None,
    headers: dict[str, str] | None = None,
    *,
    code: ErrorCode | None = None,
    params: dict[str, str | int] | None = None,
) -> Response[Problem]:
    return Response(
        Problem(status_code=status, detail=detail, extra=extra, code=code, params=params),
        status_code=status,
        headers=headers,
    )


def domain_error_handler(_: Request[Any, Any, Any], exc: DomainError) -> Response[Problem]:
    """A refused business rule."""
    return _problem(
        exc.status_code,
        exc.detail,
        headers=exc.headers or None,
        code=exc.code,
        params=exc.params,
    )


def transition_error_handler(_: Request[Any, Any, Any], exc: TransitionError) -> Response[Problem]:
    """An impossible status move: the job's status does not allow it, or the caller's role may
    not make it."""
    code = ErrorCode.JOB_STATUS if exc.status_blocks else ErrorCode.NOT_YOUR_MOVE
    return _problem(409, str(exc), code=code, params={"status": str(exc.current)})


def integrity_error_handler(
    request: Request[Any, Any, Any], exc: IntegrityError
) -> Response[Problem]:
    """A unique or foreign key constraint refused the write (or, from some drivers, a
    deadlock or serialisation failure in that shape: 503, try again)."""
    if is_transient(exc):
        return database_busy_handler(request, exc)
    text = str(exc.orig).lower()
    if "unique" in text or "duplicate" in text:
        return _problem(
            409, "a record with the same unique value already exists", code=ErrorCode.DUPLICATE
        )
    if "foreign key" in text:
        return _problem(400, "a referenced record does not exist", code=ErrorCode.MISSING_REFERENCE)
    return _problem(409, "the change breaks a database constraint", code=ErrorCode.CONSTRAINT)


def http_error_handler(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Problem]:
    """Litestar's own 4xx (validation, auth, not found) in our problem shape."""
    extra = exc.extra if isinstance(exc.extra, dict | list) else None
    if exc.status_code >= 500:
        log.error(
            "server error on %s %s: %s", request.method, loggable_path(request.url.path), exc.detail
        )
    return _problem(
        exc.status_code,
        exc.detail,
        extra,
        dict(exc.headers or {}),
        code=getattr(exc, "code", None),
        params=getattr(exc, "params", None),
    )


def data_error_handler(_: Request[Any, Any, Any], exc: Exception) -> Response[Problem]:
    """A value the database or its driver cannot hold (out of range, bad encoding)."""
    log.warning("value refused by the database layer: %s", exc)
    return _problem(
        400, "a value is out of the range the database can store", code=ErrorCode.OUT_OF_RANGE
    )


RETRY_AFTER_SECONDS = 5
"""What a 503 for a busy database asks the client to wait."""

_BUSY_MARKS = ("is locked", "is busy", "could not obtain lock", "deadlock", "timeout", "timed out")
"""Words of a driver error that means "busy, try again" rather than a bug."""


def database_busy_handler(request: Request[Any, Any, Any], exc: Exception) -> Response[Problem]:
    """The database is busy (a lock held too long, no pooled connection free): try again."""
    log.warning("database busy on %s %s: %s", request.method, loggable_path(request.url.path), exc)
    return _problem(
        503,
        "the database is busy; try again in a few seconds",
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        code=ErrorCode.BUSY,
    )


TRANSIENT_SQLSTATES = frozenset({"40001", "40P01", "55P03"})
"""PostgreSQL's "try again" codes: serialisation failure, deadlock, lock not available."""


def is_transient(exc: DBAPIError) -> bool:
    """Whether a driver error means "busy or locked, try again" rather than a bug."""
    code = getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)
    if code in TRANSIENT_SQLSTATES:
        return True
    text = str(exc.orig if exc.orig is not None else exc).lower()
    return any(mark in text for mark in _BUSY_MARKS)


def dbapi_error_handler(request: Request[Any, Any, Any], exc: DBAPIError) -> Response[Problem]:
    """A driver error: 503 when it means busy, locked or deadlocked, else an internal error.

    PostgreSQL reports a deadlock or a serialisation failure through asyncpg as a plain
    ``DBAPIError``, SQLite a locked database as an ``OperationalError``: both are "try again".
    """
    if is_transient(exc):
        return database_busy_handler(request, exc)
    return internal_error_handler(request, exc)


def unicode_error_handler(_: Request[Any, Any, Any], exc: UnicodeDecodeError) -> Response[Problem]:
    """A body or parameter that is not valid UTF-8 (msgspec raises this while decoding)."""
    return _problem(400, f"the request is not valid UTF-8 (byte {exc.start})")


def recursion_error_handler(
    request: Request[Any, Any, Any], exc: RecursionError
) -> Response[Problem]:
    """A JSON body nested deeper than the decoder goes (msgspec stops at Python's recursion
    limit, about a thousand levels): malformed input, 400 like any other, not a 500 whose
    traceback anyone could write into the log with a few kilobytes of brackets. Any other
    recursion error is a bug and answered as one."""
    if "deserializing" in str(exc):
        return _problem(400, "the JSON is nested too deeply")
    return internal_error_handler(request, exc)


def blob_error_handler(request: Request[Any, Any, Any], exc: Exception) -> Response[Problem]:
    """A file the database names is missing from the blob store (lost, or restored from an
    older backup): 404 saying so, rather than an anonymous 500; logged for the operator."""
    log.error("blob store: %s, on %s %s", exc, request.method, loggable_path(request.url.path))
    return _problem(
        404,
        "the stored file is missing from the server's blob store; "
        "an administrator can restore it from a backup",
    )


def internal_error_handler(request: Request[Any, Any, Any], exc: Exception) -> Response[Problem]:
    """Anything unexpected: logged with its traceback, answered without internals."""
    log.exception(
        "unhandled error on %s %s", request.method, loggable_path(request.url.path), exc_info=exc
    )
    return _problem(500, "internal server error; the request id names it in the server log")


BaseVersion = Annotated[int, msgspec.Meta(ge=1)] | msgspec.UnsetType
"""The ``version`` of a PATCH body: the record's version the edit was made on, if the client
sends it; a record changed since is refused (409) rather than silently overwritten."""


def check_version(row: Any, patch: msgspec.Struct) -> None:
    """409 when ``patch`` names the version it was based on and ``row`` has moved on since
    (someone else saved meanwhile): writing it would undo their change unseen.

    Call it with the row locked for update, so that nobody saves between check and write.
    """
    expected = getattr(patch, "version", msgspec.UNSET)
    if isinstance(expected, int) and expected != row.version:
        raise Conflict(
            f"someone else changed this record since you opened it (your version {expected}, "
            f"now {row.version}); reload it and make your change again",
            code=ErrorCode.CHANGED_MEANWHILE,
        )


def patch_fields(patch: msgspec.Struct) -> dict[str, Any]:
    """The fields a PATCH body actually carries (``msgspec.UNSET`` means absent); its
    ``version`` is a precondition, not a field to set."""
    return {
        name: value
        for name in patch.__struct_fields__
        if name != "version" and (value := getattr(patch, name)) is not msgspec.UNSET
    }


def apply_patch(obj: object, patch: msgspec.Struct) -> dict[str, Any]:
    """Set the carried fields of ``patch`` on ``obj``; returns what was set."""
    fields = patch_fields(patch)
    for name, value in fields.items():
        setattr(obj, name, value)
    return fields
