"""Dependencies that handlers receive by name: ``db``, ``settings``, ``me``, ``now``."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from litestar import Request
from litestar.datastructures import State
from litestar.di import Provide

from api.db import Database
from api.guards import principal_of
from api.models import utcnow
from api.security import Principal
from api.settings import Settings


def _db(state: State) -> Database:
    db: Database = state.db
    return db


def _settings(state: State) -> Settings:
    settings: Settings = state.settings
    return settings


def _me(request: Request[Any, Any, Any]) -> Principal:
    return principal_of(request)


def _now() -> datetime:
    return utcnow()


def _today(settings: Settings, now: datetime) -> date:
    # Warranty and working days count in the department's own time zone, not UTC.
    return now.astimezone(settings.calendar.calendar.tz).date()


DEPENDENCIES = {
    "today": Provide(_today, sync_to_thread=False),
    "db": Provide(_db, sync_to_thread=False),
    "settings": Provide(_settings, sync_to_thread=False),
    "me": Provide(_me, sync_to_thread=False),
    "now": Provide(_now, sync_to_thread=False),
}
