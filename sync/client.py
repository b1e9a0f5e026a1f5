"""A reference sync client: a local replica and an outbox that behave as the PWA's do.

Used by the tests, the benchmark and ``fieldsync simulate``. Every change is a mutation queued
in the outbox and applied to the replica at once; ``sync()`` pushes the outbox in order and
pulls the feed. The outbox survives every HTTP error and a resync; only the server's answer
removes an entry (applied, merged, conflict, duplicate, or rejected with its reason, kept in
``failed``).
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import msgspec

from sync import wire
from sync.ids import uuid7

Key = tuple[str, str]
CHANGES = {"part_line.change": "part_lines", "photo.change": "photos"}
"""Mutations that change fields of a record, merged against ``base``, and the record's entity."""
JOB_CHILD_ENTITIES = (
    "part_lines",
    "photos",
    "signatures",
    "trip_events",
    "notes",
    "satisfaction",
    "repair_receipts",
    "sync_conflicts",
)


@dataclass
class Pending:
    """A queued mutation."""

    envelope: wire.MutationEnvelope
    args: dict[str, Any]


@dataclass
class Failed:
    """A mutation the server refused, with its reason (and its code, where it has one)."""

    pending: Pending
    reason: str
    code: str | None = None


class SyncError(Exception):
    """The server could not be reached or answered with an error; the outbox is intact."""


@dataclass
class SyncClient:
    """One device of one engineer."""

    http: httpx.AsyncClient
    username: str
    password: str
    device_id: uuid.UUID = field(default_factory=uuid.uuid4)
    clock_skew: timedelta = timedelta(0)
    """Added to this device's clock (tests of skewed devices)."""
    app_version: str = "reference-client/1"
    server: dict[Key, dict[str, Any]] = field(default_factory=dict)
    """The records as the server last sent them."""
    outbox: list[Pending] = field(default_factory=list)
    failed: list[Failed] = field(default_factory=list)
    results: list[wire.MutationResult] = field(default_factory=list)
    cursor: str | None = None
    next_seq: int = 1
    access_token: str | None = None
    refresh_token: str | None = None
    resyncs: int = 0

    # ---- the device's view -----------------------------------------------------------------

    def now(self) -> datetime:
        """This device's clock."""
        return datetime.now(UTC) + self.clock_skew

    @property
    def replica(self) -> dict[Key, dict[str, Any]]:
        """What the device shows: the server's records with the queued mutations applied."""
        view = copy.deepcopy(self.server)
        for pending in self.outbox:
            apply_locally(view, pending.envelope.name, pending.args)
        return view

    def get(self, entity: str, ident: uuid.UUID | str) -> dict[str, Any] | None:
        """One record of the replica."""
        return self.replica.get((entity, str(ident)))

    def jobs(self) -> list[dict[str, Any]]:
        """The jobs on this device."""
        return [v for (e, _), v in self.replica.items() if e == "jobs"]

    # ---- changes ---------------------------------------------------------------------------

    def mutate(self, name: str, **args: Any) -> uuid.UUID:
        """Queue a mutation and apply it locally; returns its id."""
        if name not in wire.MUTATIONS:
            raise ValueError(f"unknown mutation {name!r}")
        if name == "job.record":
            job = self.get("jobs", args["job_id"]) or {}
            args.setdefault("base", {k: job.get(k) for k in args["fields"]})
        if name in CHANGES:
            row = self.get(CHANGES[name], args["id"]) or {}
            args.setdefault("base", {k: _text(row.get(k)) for k in args["fields"]})
        if name == "job.status":
            job = self.get("jobs", args["job_id"]) or {}
            args.setdefault("base_status", job.get("status", ""))
        plain = msgspec.to_builtins(args)
        envelope = wire.MutationEnvelope(
            id=uuid7(),  # time-ordered, as the protocol recommends: the server's log stays compact
            seq=self.next_seq,
            name=name,
            at=self.now(),
            args=plain,
        )
        self.next_seq += 1
        self.outbox.append(Pending(envelope, plain))
        return envelope.id

    # ---- the network -----------------------------------------------------------------------

    async def login(self) -> None:
        """Log in and keep the tokens."""
        try:
            response = await self._login_request()
        except httpx.TransportError as exc:
            raise SyncError(f"network: {exc!r}") from exc
        if response.status_code != 200:
            raise SyncError(f"login failed: {response.status_code} {response.text}")
        body = response.json()
        self.access_token = body["access_token"]
        self.refresh_token = body["refresh_token"]

    async def _login_request(self) -> httpx.Response:
        return await self.http.post(
            "/api/auth/login",
            json={
                "username": self.username,
                "password": self.password,
                "device_id": str(self.device_id),
                "app_version": self.app_version,
            },
        )

    async def _call(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        if self.access_token is None:
            await self.login()
        for attempt in range(2):
            headers = {**kwargs.pop("headers", {}), "Authorization": f"Bearer {self.access_token}"}
            try:
                response = await self.http.request(method, url, headers=headers, **kwargs)
            except httpx.TransportError as exc:
                raise SyncError(f"network: {exc!r}") from exc
            if response.status_code == 401 and attempt == 0:
                await self.login()
                continue
            if response.status_code >= 400:
                raise SyncError(f"{method} {url}: {response.status_code} {response.text}")
            return response
        raise SyncError("unauthorised")

    async def push(self, batch: int = 200) -> wire.PushResponse | None:
        """Send queued mutations (oldest first) and drop the ones the server answered."""
        if not self.outbox:
            return None
        sending = self.outbox[:batch]
        request = wire.PushRequest(
            app_version=self.app_version,
            device_id=self.device_id,
            sent_at=self.now(),
            mutations=[p.envelope for p in sending],
        )
        response = await self._call(
            "POST",
            "/api/sync/push",
            content=wire.encoder.encode(request),
            headers={"Content-Type": "application/json"},
        )
        answer = msgspec.json.decode(response.content, type=wire.PushResponse)
        by_id = {r.id: r for r in answer.results}
        kept: list[Pending] = []
        for pending in self.outbox:
            result = by_id.get(pending.envelope.id)
            if result is None:
                kept.append(pending)
                continue
            self.results.append(result)
            if result.status is wire.Status.REJECTED:
                self.failed.append(Failed(pending, result.reason, result.code))
        self.outbox = kept
        return answer

    async def pull(self, limit: int = 500) -> int:
        """Pull every page; returns how many items arrived."""
        count = 0
        resyncs = 0
        while True:
            params: dict[str, Any] = {"limit": limit, "app_version": self.app_version}
            if self.cursor:
                params["cursor"] = self.cursor
            response = await self._call("GET", "/api/sync/pull", params=params)
            page = msgspec.json.decode(response.content, type=wire.PullResponse)
            if page.resync:
                # Too far behind the kept history: start again; the outbox stays as it is.
                resyncs += 1
                if resyncs > 2:
                    raise SyncError("the server keeps asking for a resync")
                self.server.clear()
                self.cursor = None
                self.resyncs += 1
                continue
            moved = False
            for item in page.items:
                key = (item.entity, item.id)
                if item.op == "delete":
                    self.server.pop(key, None)
                elif item.data is not None:
                    held = self.server.get(key) if item.entity == "jobs" else None
                    if held is not None and held.get("customer_id") != item.data["customer_id"]:
                        moved = True  # filed under another customer: the old file may go
                    self.server[key] = item.data
            for job_id in page.evictions:
                evict(self.server, str(job_id))
            if page.evictions or moved:
                prune_files(self.server)
            count += len(page.items)
            self.cursor = page.cursor
            if not page.has_more:
                return count

    async def sync(self) -> None:
        """Push everything queued, then pull."""
        while self.outbox:
            before = len(self.outbox)
            await self.push()
            if len(self.outbox) == before:
                break
        await self.pull()


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def evict(records: dict[Key, dict[str, Any]], job_id: str) -> None:
    """Drop a job and what hangs off it."""
    records.pop(("jobs", job_id), None)
    for key in [k for k, v in records.items() if k[0] in JOB_CHILD_ENTITIES]:
        if records[key].get("job_id") == job_id:
            del records[key]


CUSTOMER_FILE = ("contacts", "sites", "assets")


def prune_files(records: dict[Key, dict[str, Any]]) -> None:
    """Drop the customers' files (contacts, sites, assets, visits) no remaining job needs.

    The server sends a customer's file with the first job of theirs in the caller's scope and
    stops sending its changes when the last one leaves, so the device lets it go then.
    """
    customers = {v.get("customer_id") for (e, _), v in records.items() if e == "jobs"}
    for key in [k for k in records if k[0] == "customers" and k[1] not in customers]:
        del records[key]
    for key in [k for k, v in records.items() if k[0] in CUSTOMER_FILE]:
        if records[key].get("customer_id") not in customers:
            del records[key]
    assets = {k[1] for k in records if k[0] == "assets"}
    for key in [k for k, v in records.items() if k[0] == "visits"]:
        if records[key].get("asset_id") not in assets:
            del records[key]


# ---- mutators: the same change applied on the device at once -----------------------------------


def _job(view: dict[Key, dict[str, Any]], args: dict[str, Any]) -> dict[str, Any] | None:
    return view.get(("jobs", str(args["job_id"])))


def _row(entity: str) -> Callable[[dict[Key, dict[str, Any]], dict[str, Any]], None]:
    def add(view: dict[Key, dict[str, Any]], args: dict[str, Any]) -> None:
        view[(entity, str(args["id"]))] = {**args, "id": str(args["id"]), "pending": True}

    return add


def _status(view: dict[Key, dict[str, Any]], args: dict[str, Any]) -> None:
    job = _job(view, args)
    if job is not None:
        job["status"] = args["to"]


def _record(view: dict[Key, dict[str, Any]], args: dict[str, Any]) -> None:
    job = _job(view, args)
    if job is not None:
        job.update(args["fields"])


def _change(entity: str) -> Callable[[dict[Key, dict[str, Any]], dict[str, Any]], None]:
    def change(view: dict[Key, dict[str, Any]], args: dict[str, Any]) -> None:
        row = view.get((entity, str(args["id"])))
        if row is not None:
            row.update(args["fields"])

    return change


def _remove(entity: str) -> Callable[[dict[Key, dict[str, Any]], dict[str, Any]], None]:
    def remove(view: dict[Key, dict[str, Any]], args: dict[str, Any]) -> None:
        row = view.get((entity, str(args["id"])))
        if row is not None:
            row["removed_at"] = "pending"

    return remove


def _accept(view: dict[Key, dict[str, Any]], args: dict[str, Any]) -> None:
    job = _job(view, args)
    if job is not None and not job.get("acknowledged_at"):
        job["acknowledged_at"] = "pending"


MUTATORS: dict[str, Callable[[dict[Key, dict[str, Any]], dict[str, Any]], None]] = {
    "job.accept": _accept,
    "job.status": _status,
    "job.record": _record,
    "trip.log": _row("trip_events"),
    "part_line.add": _row("part_lines"),
    "part_line.change": _change("part_lines"),
    "part_line.remove": _remove("part_lines"),
    "photo.add": _row("photos"),
    "photo.change": _change("photos"),
    "photo.remove": _remove("photos"),
    "note.add": _row("notes"),
    "signature.add": _row("signatures"),
    "satisfaction.add": _row("satisfaction"),
    "receipt.add": _row("repair_receipts"),
}


def apply_locally(view: dict[Key, dict[str, Any]], name: str, args: dict[str, Any]) -> None:
    """Apply a mutation to a replica view, as the device does before the server answers."""
    MUTATORS[name](view, args)
