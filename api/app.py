"""The application factory: ``create_app()`` builds the whole Litestar app from settings."""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

from litestar import Controller, Litestar, MediaType, Router, get
from litestar.config.compression import CompressionConfig
from litestar.exceptions import (
    ClientException,
    HTTPException,
    NotAuthorizedException,
    NotFoundException,
    PermissionDeniedException,
    ValidationException,
)
from litestar.handlers import HTTPRouteHandler
from litestar.openapi.config import OpenAPIConfig
from litestar.openapi.plugins import ScalarRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme
from litestar.types import ControllerRouterHandler
from sqlalchemy import text
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from api.db import Database
from api.deps import DEPENDENCIES
from api.domain.auth.controllers import AuthController, DeviceController
from api.domain.catalogue.controllers import PartController, StockController
from api.domain.customers.controllers import (
    AssetController,
    CustomerController,
    SiteController,
)
from api.domain.intake.controllers import IntakeController, report_page
from api.domain.jobs.controllers import JobController
from api.domain.office.board import BoardController
from api.domain.office.controllers import ComplaintController, FiguresController, QueueController
from api.domain.office.escalation import Escalations
from api.domain.office.escalation import watch as watch_escalations
from api.domain.receipts.controllers import ReceiptController
from api.domain.reports.auto import watch as watch_signatures
from api.domain.reports.controllers import ReportController
from api.domain.reports.public import CustomerReportController
from api.domain.reports.services import Reports
from api.domain.settlement.controllers import ReconciliationController, SettlementController
from api.domain.sync.controllers import (
    ConflictController,
    FieldHistoryController,
    SyncController,
)
from api.domain.users.controllers import DirectoryController, UserController
from api.guards import PUBLIC, PUBLIC_MARK, ROLES_KEY, role_guard
from api.housekeeping import Housekeeping
from api.http import (
    Conflict,
    DomainError,
    Out,
    blob_error_handler,
    data_error_handler,
    database_busy_handler,
    dbapi_error_handler,
    domain_error_handler,
    http_error_handler,
    integrity_error_handler,
    internal_error_handler,
    recursion_error_handler,
    transition_error_handler,
    unicode_error_handler,
)
from api.live import NO_COMPRESSION, Announcer, channels_plugin
from api.logs import configure_logging, request_id_middleware
from api.media.controllers import BlobController, UploadController
from api.media.pipeline import Pipeline
from api.media.store import BlobError
from api.media.wiring import make_media
from api.ratelimit import LoginThrottle
from api.settings import Settings, load_settings
from api.web import web_handlers
from pdf import worker as report_workers
from sync.rules.lifecycle import TransitionError

log = logging.getLogger("fieldsync.app")

VERSION = "0.1.0"


class Health(Out):
    """Liveness and readiness."""

    status: str
    version: str
    database: str


@get(
    "/health",
    opt=PUBLIC,
    operation_id="health",
    summary="Liveness and database readiness",
    tags=["system"],
    media_type=MediaType.JSON,
)
async def health(db: Database) -> Health:
    """Answers ok when the database answers."""
    try:
        async with db.read() as session:
            await session.execute(text("SELECT 1"))
        state = "ok"
    except Exception:  # any failure means "not ready"; the reason goes to the log
        log.exception("health check: database unreachable")
        state = "unreachable"
    return Health(status="ok" if state == "ok" else "degraded", version=VERSION, database=state)


def _route_handlers(settings: Settings) -> Sequence[ControllerRouterHandler]:
    handlers: list[ControllerRouterHandler] = [
        health,
        AuthController,
        DeviceController,
        UserController,
        DirectoryController,
        CustomerController,
        SiteController,
        AssetController,
        PartController,
        StockController,
        JobController,
        SyncController,
        ConflictController,
        FieldHistoryController,
        UploadController,
        BlobController,
        ReportController,
        CustomerReportController,
        QueueController,
        BoardController,
        IntakeController,
        report_page,
        ComplaintController,
        ReceiptController,
        FiguresController,
        SettlementController,
        ReconciliationController,
    ]
    handlers += web_handlers()
    return handlers


class BodyTooLarge(ClientException):
    """Documents the 413 that Litestar answers for a body over ``max_body_bytes``."""

    status_code = 413


def _handlers_of(item: object) -> list[HTTPRouteHandler]:
    if isinstance(item, HTTPRouteHandler):
        return [item]
    if isinstance(item, type) and issubclass(item, Controller):
        return [v for v in vars(item).values() if isinstance(v, HTTPRouteHandler)]
    return []


def declare_errors(handlers: Sequence[ControllerRouterHandler]) -> None:
    """Add the error answers every route can give to its OpenAPI ``raises``, from what it
    declares: 401/403 when it needs a login, 404 when its path names a record, 413 and 400
    when it takes a body or parameters. Routes list only their own extra errors."""
    for item in handlers:
        for handler in _handlers_of(item):
            extra: list[type[HTTPException]] = [ValidationException]
            if handler.opt.get(ROLES_KEY) != PUBLIC_MARK:
                extra += [NotAuthorizedException, PermissionDeniedException]
            if any("{" in path for path in handler.paths):
                extra.append(NotFoundException)
            if handler.http_methods & {"POST", "PUT", "PATCH"}:
                # A write can clash with a unique value or the record's current state.
                extra += [BodyTooLarge, Conflict]
            own = list(handler.raises or [])
            handler.raises = own + [e for e in extra if e not in own]


def create_app(settings: Settings | None = None, *, db: Database | None = None) -> Litestar:
    """Build the Fieldsync app. ``db`` may be given by tests that share one database."""
    settings = settings or load_settings()
    configure_logging(logging.DEBUG if settings.debug else logging.INFO)
    settings.make_data_dir()
    own_db = db is None
    database = db or Database(settings.effective_database_url)

    media = make_media(settings)
    pipeline = Pipeline(database, media.blobs, media.pool, settings.data_dir / "uploads")
    reports = Reports(settings=settings, db=database, blobs=media.blobs, photos=pipeline)
    watch_signatures(database.write_engine.sync_engine, reports)
    escalations = Escalations(settings=settings, db=database)
    watch_escalations(database.write_engine.sync_engine, escalations)
    channels = channels_plugin(settings.redis_url)
    database.on_jobs_changed = Announcer(channels)
    housekeeping = Housekeeping(
        database, media.uploads, calendar=settings.calendar.calendar, reports=reports
    )

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        # Photos whose copies a stopped process did not finish: made again (idempotent).
        await pipeline.requeue()
        housekeeping.start()
        if own_db:
            # A served process: what start-up made (the app, its routes, the ORM's mappers and
            # caches) lives as long as the process. Frozen, the garbage collector no longer
            # walks it at every full collection: a push of 200 notes paid ~1 ms for that walk.
            gc.freeze()
        try:
            yield
        finally:
            await housekeeping.stop()
            await reports.drain()
            await escalations.drain()
            await pipeline.close()
            media.pool.shutdown()
            if own_db:
                # The report pools are shared by the apps of a process: a served process has one.
                report_workers.shutdown()
                await database.dispose()

    state: dict[str, Any] = {
        "settings": settings,
        "db": database,
        "secret_key": settings.effective_secret_key(),
        "login_throttle": LoginThrottle(
            settings.auth.login_attempts, settings.auth.login_window_seconds
        ),
        "blobs": media.blobs,
        "uploads": media.uploads,
        "pipeline": pipeline,
        "reports": reports,
        "escalations": escalations,
    }
    openapi = OpenAPIConfig(
        title="Fieldsync API",
        version=VERSION,
        description="Office REST API and engineer sync API of Fieldsync.",
        path="/schema",
        render_plugins=[ScalarRenderPlugin()],
        openapi_router=Router(path="/schema", route_handlers=[], opt=PUBLIC),
        components=Components(
            security_schemes={
                "bearer": SecurityScheme(type="http", scheme="bearer", bearer_format="JWT")
            }
        ),
        security=[{"bearer": []}],
        use_handler_docstrings=True,
    )
    from litestar.datastructures import State

    handlers = _route_handlers(settings)
    declare_errors(handlers)
    return Litestar(
        route_handlers=handlers,
        dependencies=DEPENDENCIES,
        guards=[role_guard],
        middleware=[request_id_middleware],
        exception_handlers={
            DomainError: domain_error_handler,
            TransitionError: transition_error_handler,
            IntegrityError: integrity_error_handler,
            HTTPException: http_error_handler,
            UnicodeDecodeError: unicode_error_handler,
            DataError: data_error_handler,
            DBAPIError: dbapi_error_handler,
            PoolTimeout: database_busy_handler,
            OverflowError: data_error_handler,
            RecursionError: recursion_error_handler,
            BlobError: blob_error_handler,
            Exception: internal_error_handler,
        },
        openapi_config=openapi,
        # Fieldsync's own loggers write the log (api/logs.py) and internal_error_handler logs
        # failures with their traceback; Litestar's default logging config would add nothing
        # but a queue-listener thread per app that nothing stops.
        logging_config=None,
        # Level 6: a priming pull's 4 MB gzips in about a third of level 9's time for +3% size.
        compression_config=CompressionConfig(
            backend="gzip",
            minimum_size=1024,
            gzip_compress_level=6,
            # A compressed event stream would sit in the compressor's buffer.
            exclude_opt_key=NO_COMPRESSION,
        ),
        request_max_body_size=settings.max_body_bytes,
        state=State(state),
        lifespan=[lifespan],
        plugins=[channels],
        debug=settings.debug,
    )
