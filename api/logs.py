"""Structured logs: one JSON object per line, each request's lines carrying its request id."""

from __future__ import annotations

import contextvars
import json
import logging
import re
import sys
import time
import uuid
from typing import Any, cast

from litestar.types import ASGIApp, Message, Receive, Scope, Send

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="")


class JsonFormatter(logging.Formatter):
    """Formats a record as one JSON line."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        rid = request_id_var.get()
        if rid:
            entry["request_id"] = rid
        extra = getattr(record, "fields", None)
        if isinstance(extra, dict):
            entry.update(extra)
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def configure_logging(level: int = logging.INFO) -> None:
    """Send the fieldsync loggers to stderr as JSON lines."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger("fieldsync")
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False


access_log = logging.getLogger("fieldsync.access")

_CUSTOMER_LINK = re.compile(r"^/r/(?!check(?:/|$))[^/]+")
"""A customer link's path: its token (``/r/{token}…``) opens the job's report to whoever holds
it, so it is a password. The verification page (``/r/check/{code}``) names a public code."""


def loggable_path(path: str) -> str:
    """``path`` as logs may show it: a customer link's token is replaced by ``<token>``.

    The database keeps only the token's hash; a log line with the token would let anyone who
    reads the logs open the customer's report, rate the service and file complaints.
    """
    return _CUSTOMER_LINK.sub("/r/<token>", path, count=1)


def request_id_middleware(app: ASGIApp) -> ASGIApp:
    """Give each request an id (from ``X-Request-ID`` or new), echo it, and log the request."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        raw = cast(dict[str, Any], scope)
        if raw["type"] != "http":
            await app(scope, receive, send)
            return
        incoming = dict(raw["headers"]).get(b"x-request-id", b"").decode("latin-1")
        rid = incoming if 0 < len(incoming) <= 64 and incoming.isprintable() else uuid.uuid4().hex
        token = request_id_var.set(rid)
        raw.setdefault("state", {})["request_id"] = rid
        status = 500
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            msg = cast(dict[str, Any], message)
            if msg["type"] == "http.response.start":
                status = msg["status"]
                headers = list(msg.get("headers", []))
                headers.append((b"x-request-id", rid.encode("latin-1")))
                msg["headers"] = headers
            await send(message)

        try:
            await app(scope, receive, send_with_id)
        finally:
            path = loggable_path(raw["path"])
            access_log.info(
                "%s %s %s",
                raw["method"],
                path,
                status,
                extra={
                    "fields": {
                        "method": raw["method"],
                        "path": path,
                        "status": status,
                        "ms": round((time.perf_counter() - started) * 1000, 1),
                    }
                },
            )
            request_id_var.reset(token)

    return middleware
