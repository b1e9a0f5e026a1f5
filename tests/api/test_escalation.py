"""Escalation (重大故障 / 情节重大者): a critical fault and a serious complaint are mailed at once
to the supervisors and administrators with an address, and to FIELDSYNC_ESCALATE_TO, through a
real SMTP server on the loopback. Every test runs on SQLite and PostgreSQL."""

from __future__ import annotations

import logging
import time
import uuid
from email.header import decode_header, make_header
from email.message import Message
from pathlib import Path

import httpx
import pytest
from litestar import Litestar
from sqlalchemy import update

from api.app import create_app
from api.db import Database
from api.domain.intake.services import form_token
from api.domain.office.escalation import Escalations, addresses
from api.models import Role, User
from api.settings import Settings
from tests.helpers import PASSWORD_HASH, World, login
from tests.mailserver import Smtp, mail_settings

Headers = dict[str, str]


@pytest.fixture
def settings(tmp_path: Path, db_url: str, smtp: Smtp) -> Settings:
    return mail_settings(
        tmp_path / "data",
        db_url,
        smtp,
        sender="desk@example.com",
        escalate_to="director@example.com; BOSS@example.com",
    )


@pytest.fixture
async def addressed(db: Database, world: World) -> World:
    """Addresses on file: the supervisor and the administrator are told, the dispatcher is
    not (not their role), nor is a supervisor who left (inactive)."""
    async with db.write() as session:
        for user, address in (
            (world.supervisor, "boss@example.com"),
            (world.admin, "admin@example.com"),
            (world.dispatcher, "desk-person@example.com"),
        ):
            await session.execute(update(User).where(User.id == user.id).values(email=address))
        session.add(
            User(
                username="retired",
                display_name="Retired",
                password_hash=PASSWORD_HASH,
                role=Role.SUPERVISOR,
                email="retired@example.com",
                active=False,
            )
        )
    return world


@pytest.fixture
async def desk(client: httpx.AsyncClient, addressed: World) -> Headers:
    return await login(client, "desk")


async def mailed(app: Litestar, smtp: Smtp, before: int) -> list[tuple[Message, list[str]]]:
    """The messages that arrived since ``before``, once every escalation under way is done."""
    escalations: Escalations = app.state.escalations
    await escalations.drain()
    return list(zip(smtp.inbox.messages[before:], smtp.inbox.recipients[before:], strict=True))


async def new_job(
    client: httpx.AsyncClient, world: World, desk: Headers, urgency: str
) -> dict[str, str]:
    made = await client.post(
        "/api/jobs",
        json={
            "customer_id": str(world.customer.id),
            "site_id": str(world.site.id),
            "channel": "phone",
            "fault_description": "冷水机组停机，整栋楼无冷气",
            "contact_name": "赵经理",
            "contact_phone": "13900000000",
            "urgency": urgency,
        },
        headers=desk,
    )
    assert made.status_code == 201, made.text
    job: dict[str, str] = made.json()["job"]
    return job


def subject(message: Message) -> str:
    return str(make_header(decode_header(message["Subject"])))


TOLD = {"boss@example.com", "admin@example.com", "director@example.com"}


async def test_a_critical_fault_is_mailed_upward_at_once(
    app: Litestar, client: httpx.AsyncClient, addressed: World, desk: Headers, smtp: Smtp
) -> None:
    before = len(smtp.inbox.messages)
    job = await new_job(client, addressed, desk, "critical")
    ((message, recipients),) = await mailed(app, smtp, before)
    # Each address once (the setting repeats the supervisor's in capitals).
    assert sorted(a.lower() for a in recipients) == sorted(TOLD)
    assert subject(message) == f"[重大故障 Critical fault] {job['number']} · 上海浦东建工集团"
    assert "desk@example.com" in message["From"]
    body = message.get_payload(decode=True).decode()
    for text in (
        "冷水机组停机，整栋楼无冷气",
        "赵经理 13900000000",
        "浦东工地 上海市浦东新区",
        job["number"],
        "https://service.example.com/office/board",
    ):
        assert text in body, text

    # Not critical: nobody is mailed.
    before = len(smtp.inbox.messages)
    await new_job(client, addressed, desk, "high")
    assert await mailed(app, smtp, before) == []


async def test_a_fault_raised_to_critical_is_mailed_once(
    app: Litestar, client: httpx.AsyncClient, addressed: World, desk: Headers, smtp: Smtp
) -> None:
    job = await new_job(client, addressed, desk, "normal")
    before = len(smtp.inbox.messages)
    raised = await client.patch(
        f"/api/jobs/{job['id']}", json={"urgency": "critical"}, headers=desk
    )
    assert raised.status_code == 200, raised.text
    ((message, _),) = await mailed(app, smtp, before)
    assert job["number"] in subject(message)
    # Already critical: another edit of the job tells nobody again.
    before = len(smtp.inbox.messages)
    noted = await client.patch(
        f"/api/jobs/{job['id']}", json={"office_notes": "客户再次来电催促"}, headers=desk
    )
    assert noted.status_code == 200, noted.text
    assert await mailed(app, smtp, before) == []


async def test_a_raise_to_critical_that_was_refused_tells_nobody(
    app: Litestar, client: httpx.AsyncClient, addressed: World, desk: Headers, smtp: Smtp
) -> None:
    job = await new_job(client, addressed, desk, "normal")
    before = len(smtp.inbox.messages)
    # The urgency is written, then the equipment (of no customer here) refuses the whole edit.
    refused = await client.patch(
        f"/api/jobs/{job['id']}",
        json={"urgency": "critical", "asset_id": str(uuid.uuid4())},
        headers=desk,
    )
    assert refused.status_code == 400, refused.text
    assert await mailed(app, smtp, before) == []
    kept = await client.get(f"/api/jobs/{job['id']}", headers=desk)
    assert kept.json()["job"]["urgency"] == "normal"


async def test_a_serious_complaint_is_mailed_when_recorded_or_raised(
    app: Litestar, client: httpx.AsyncClient, addressed: World, desk: Headers, smtp: Smtp
) -> None:
    job = await new_job(client, addressed, desk, "normal")
    body = {"customer_id": str(addressed.customer.id), "job_id": job["id"]}
    before = len(smtp.inbox.messages)
    serious = await client.post(
        "/api/complaints",
        json={**body, "severity": "serious", "description": "工程师三天未到场，生产线停工"},
        headers=desk,
    )
    assert serious.status_code == 201, serious.text
    ((message, recipients),) = await mailed(app, smtp, before)
    assert sorted(a.lower() for a in recipients) == sorted(TOLD)
    assert subject(message) == f"[严重投诉 Serious complaint] 上海浦东建工集团 · {job['number']}"
    text = message.get_payload(decode=True).decode()
    assert "工程师三天未到场，生产线停工" in text
    assert "https://service.example.com/office/complaints" in text

    before = len(smtp.inbox.messages)
    minor = await client.post(
        "/api/complaints",
        json={**body, "severity": "minor", "description": "回访电话太早"},
        headers=desk,
    )
    assert minor.status_code == 201, minor.text
    assert await mailed(app, smtp, before) == []
    raised = await client.patch(
        f"/api/complaints/{minor.json()['id']}", json={"severity": "serious"}, headers=desk
    )
    assert raised.status_code == 200, raised.text
    ((message, _),) = await mailed(app, smtp, before)
    assert "回访电话太早" in message.get_payload(decode=True).decode()


async def test_a_critical_web_report_is_mailed_once_the_desk_takes_it_up(
    app: Litestar, client: httpx.AsyncClient, addressed: World, desk: Headers, smtp: Smtp
) -> None:
    # Anyone may send the public form: its "critical" is the customer's word until the desk
    # has verified the report (受理), which then escalates it.
    token = form_token(app.state["secret_key"], now=time.time() - 10)
    before = len(smtp.inbox.messages)
    sent = await client.post(
        "/api/public/fault-reports",
        json={
            "token": token,
            "contact_name": "钱先生",
            "contact_phone": "186 0000 4321",
            "company": "上海浦东建工集团",
            "description": "冷却塔停机，整栋楼无冷气",
            "urgency": "critical",
        },
    )
    assert sent.status_code == 201, sent.text
    assert await mailed(app, smtp, before) == []
    jobs = (await client.get("/api/jobs", params={"q": sent.json()["number"]}, headers=desk)).json()
    (job,) = jobs["items"]
    accepted = await client.post(
        f"/api/jobs/{job['id']}/accept", json={"handling_plan": "今日下午上门"}, headers=desk
    )
    assert accepted.status_code == 200, accepted.text
    ((message, _),) = await mailed(app, smtp, before)
    assert job["number"] in subject(message)
    assert "冷却塔停机" in message.get_payload(decode=True).decode()


async def test_a_job_no_longer_critical_when_its_mail_is_due_tells_nobody(
    app: Litestar, client: httpx.AsyncClient, addressed: World, desk: Headers, smtp: Smtp
) -> None:
    job = await new_job(client, addressed, desk, "critical")
    await mailed(app, smtp, 0)  # the mail of its report, done with
    lowered = await client.patch(f"/api/jobs/{job['id']}", json={"urgency": "high"}, headers=desk)
    assert lowered.status_code == 200, lowered.text
    before = len(smtp.inbox.messages)
    escalations: Escalations = app.state.escalations
    await escalations.tell("job", uuid.UUID(job["id"]))  # read again before mailing
    assert await mailed(app, smtp, before) == []


async def test_a_complaint_taken_to_the_director_by_hand_is_mailed(
    app: Litestar, client: httpx.AsyncClient, addressed: World, desk: Headers, smtp: Smtp
) -> None:
    minor = await client.post(
        "/api/complaints",
        json={
            "customer_id": str(addressed.customer.id),
            "severity": "minor",
            "description": "三次报修仍未修好",
        },
        headers=desk,
    )
    assert minor.status_code == 201, minor.text
    before = len(smtp.inbox.messages)
    assert await mailed(app, smtp, before) == []
    up = await client.post(f"/api/complaints/{minor.json()['id']}/escalate", headers=desk)
    assert up.status_code in (200, 201), up.text
    ((message, _),) = await mailed(app, smtp, before)
    assert "三次报修仍未修好" in message.get_payload(decode=True).decode()
    # Escalated already: raising it to serious now tells nobody again.
    before = len(smtp.inbox.messages)
    raised = await client.patch(
        f"/api/complaints/{minor.json()['id']}", json={"severity": "serious"}, headers=desk
    )
    assert raised.status_code == 200, raised.text
    assert await mailed(app, smtp, before) == []


class _Said(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.said: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.said.append(f"{record.levelname} {record.getMessage()}")


async def test_without_a_mail_server_the_escalation_is_logged_and_the_report_taken(
    tmp_path: Path, db_url: str, db: Database, addressed: World
) -> None:
    quiet = Settings(
        data_dir=tmp_path / "quiet",
        database_url=db_url,
        secret_key="test-secret-key-that-is-long-enough-for-hs256",
    )
    app = create_app(quiet, db=db)
    # The fieldsync loggers do not propagate to pytest's caplog: listen on ours, once the app
    # has set the loggers up.
    said = _Said()
    logger = logging.getLogger("fieldsync.escalation")
    logger.addHandler(said)
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            desk = await login(client, "desk")
            job = await new_job(client, addressed, desk, "critical")
            await app.state.escalations.drain()
    finally:
        logger.removeHandler(said)
    assert len(said.said) == 1, said.said
    assert said.said[0].startswith("WARNING [重大故障 Critical fault] " + job["number"])
    assert "no mail server is configured" in said.said[0]


def test_the_settings_addresses_are_split_on_commas_and_semicolons() -> None:
    assert addresses(" a@x.cn, b@x.cn;c@x.cn ,, ") == ["a@x.cn", "b@x.cn", "c@x.cn"]
    assert addresses("") == []
