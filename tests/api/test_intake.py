"""The public fault-report form (报修): a report becomes a job for the desk, and the form keeps
robots and floods out with a clear reason."""

from __future__ import annotations

import time

import httpx
import pytest

from api.domain.intake import services
from tests.helpers import World, login


async def _token(client: httpx.AsyncClient) -> str:
    answer = await client.get("/api/public/fault-report/form")
    assert answer.status_code == 200
    token: str = answer.json()["token"]
    return token


_SECRET: dict[str, str] = {}


def _resign(issued: int) -> str:
    return services.form_token(_SECRET["key"], now=issued)


REPORT = {
    "contact_name": "赵经理",
    "contact_phone": "139-1234-5678",
    "company": "上海浦东建工集团",
    "site_address": "上海市浦东新区世纪大道 100 号",
    "equipment": "CH-300 SN-0001",
    "description": "冷水机组不制冷，报警 E12",
    "urgency": "high",
}


async def test_a_customers_report_becomes_a_job_of_the_customer_with_that_phone(
    client: httpx.AsyncClient, world: World, app: object
) -> None:
    _SECRET["key"] = app.state["secret_key"]  # type: ignore[attr-defined]
    # The world's customer has a contact with phone 139; give the customer this number.
    desk = await login(client, "desk")
    await client.patch(
        f"/api/customers/{world.customer.id}",
        json={"phone": "+86 13912345678"},
        headers=desk,
    )
    token = _resign(int(time.time()) - 10)
    sent = await client.post("/api/public/fault-reports", json={**REPORT, "token": token})
    assert sent.status_code == 201, sent.text
    number = sent.json()["number"]
    assert number in sent.json()["message"]
    jobs = (await client.get("/api/jobs?status=reported", headers=desk)).json()["items"]
    (job,) = [j for j in jobs if j["number"] == number]
    assert (job["channel"], job["urgency"], job["customer_id"]) == (
        "web",
        "high",
        str(world.customer.id),
    )
    detail = (await client.get(f"/api/jobs/{job['id']}", headers=desk)).json()
    assert "世纪大道" in detail["office_notes"]
    assert detail["contact_phone"] == "139-1234-5678"


async def test_an_unknown_caller_becomes_a_new_customer_to_verify(
    client: httpx.AsyncClient, world: World, app: object
) -> None:
    _SECRET["key"] = app.state["secret_key"]  # type: ignore[attr-defined]
    token = _resign(int(time.time()) - 10)
    body = {**REPORT, "contact_phone": "021-8888-7777", "company": "虹桥机场", "token": token}
    sent = await client.post("/api/public/fault-reports", json=body)
    assert sent.status_code == 201, sent.text
    desk = await login(client, "desk")
    found = (await client.get("/api/customers?q=虹桥机场", headers=desk)).json()["items"]
    assert [c["name"] for c in found] == ["虹桥机场"]
    assert "verify" in found[0]["notes"]


async def test_an_unknown_caller_of_a_known_company_is_filed_under_it_not_a_second_one(
    client: httpx.AsyncClient, world: World, app: object
) -> None:
    _SECRET["key"] = app.state["secret_key"]  # type: ignore[attr-defined]
    body = {**REPORT, "contact_phone": "021-6666-1234", "company": " 上海浦东建工集团 "}
    body["token"] = _resign(int(time.time()) - 10)
    sent = await client.post("/api/public/fault-reports", json=body)
    assert sent.status_code == 201, sent.text
    desk = await login(client, "desk")
    jobs = (await client.get("/api/jobs?status=reported", headers=desk)).json()["items"]
    (job,) = [j for j in jobs if j["number"] == sent.json()["number"]]
    assert job["customer_id"] == str(world.customer.id)
    found = (await client.get("/api/customers?q=浦东建工", headers=desk)).json()["items"]
    assert [c["id"] for c in found] == [str(world.customer.id)], "no second customer of that name"


async def test_a_number_without_its_area_code_is_no_other_citys_customer(
    client: httpx.AsyncClient, world: World, app: object
) -> None:
    _SECRET["key"] = app.state["secret_key"]  # type: ignore[attr-defined]
    desk = await login(client, "desk")
    await client.patch(
        f"/api/customers/{world.customer.id}", json={"phone": "010-8888-7777"}, headers=desk
    )
    body = {**REPORT, "contact_phone": "8888 7777", "company": "杭州某厂", "token": ""}
    body["token"] = _resign(int(time.time()) - 10)
    sent = await client.post("/api/public/fault-reports", json=body)
    assert sent.status_code == 201, sent.text
    jobs = (await client.get("/api/jobs?status=reported", headers=desk)).json()["items"]
    (job,) = [j for j in jobs if j["number"] == sent.json()["number"]]
    assert job["customer_id"] != str(world.customer.id)
    # With its area code it is theirs.
    body["token"] = _resign(int(time.time()) - 10)
    body["contact_phone"] = "(010) 8888-7777"
    again = await client.post("/api/public/fault-reports", json=body)
    jobs = (await client.get("/api/jobs?status=reported", headers=desk)).json()["items"]
    (job,) = [j for j in jobs if j["number"] == again.json()["number"]]
    assert job["customer_id"] == str(world.customer.id)
    # And written as from abroad, without the trunk 0.
    body["token"] = _resign(int(time.time()) - 10)
    body["contact_phone"] = "+86 10 8888 7777"
    abroad = await client.post("/api/public/fault-reports", json=body)
    jobs = (await client.get("/api/jobs?status=reported", headers=desk)).json()["items"]
    (job,) = [j for j in jobs if j["number"] == abroad.json()["number"]]
    assert job["customer_id"] == str(world.customer.id)


async def test_a_number_abroad_is_found_written_with_plus_or_with_00(
    client: httpx.AsyncClient, world: World, app: object
) -> None:
    """00 is the international prefix, not a trunk 0: "00852 ..." is the "+852 ..." on file."""
    _SECRET["key"] = app.state["secret_key"]  # type: ignore[attr-defined]
    desk = await login(client, "desk")
    await client.patch(
        f"/api/customers/{world.customer.id}", json={"phone": "+852 9123 4567"}, headers=desk
    )
    body = {**REPORT, "contact_phone": "00852-9123-4567", "company": "香港分公司"}
    body["token"] = _resign(int(time.time()) - 10)
    sent = await client.post("/api/public/fault-reports", json=body)
    assert sent.status_code == 201, sent.text
    jobs = (await client.get("/api/jobs?status=reported", headers=desk)).json()["items"]
    (job,) = [j for j in jobs if j["number"] == sent.json()["number"]]
    assert job["customer_id"] == str(world.customer.id)


@pytest.mark.parametrize(
    ("written", "number"),
    [
        ("139-1234-5678", "13912345678"),
        ("+86 139 1234 5678", "13912345678"),
        ("0086 13912345678", "13912345678"),
        ("86-139-1234-5678", "13912345678"),
        ("(010) 8888-7777", "1088887777"),
        ("+86 10 8888 7777", "1088887777"),
        ("0086-10-88887777", "1088887777"),
        ("0755-8888 7777", "75588887777"),
        ("+86 755 88887777", "75588887777"),
        ("8888 7777", "88887777"),
        ("8688 7777", "86887777"),
        ("+852 9123 4567", "85291234567"),
        ("00852 9123 4567", "85291234567"),
        ("0044 20 7946 0000", "442079460000"),
    ],
)
def test_a_phone_number_is_read_as_dialled_at_home(written: str, number: str) -> None:
    from api.domain.intake.services import national_number

    assert national_number(written) == number


async def test_robots_and_floods_get_a_reason(
    client: httpx.AsyncClient, world: World, app: object
) -> None:
    _SECRET["key"] = app.state["secret_key"]  # type: ignore[attr-defined]
    fresh = await _token(client)
    quick = await client.post("/api/public/fault-reports", json={**REPORT, "token": fresh})
    assert quick.status_code == 400
    assert quick.json()["detail"].startswith("提交过快")
    assert "That was quick" in quick.json()["detail"], "in both languages"
    for odd in ("¹²³.AAAA", "", ".", "12.34.56"):
        refused = await client.post("/api/public/fault-reports", json={**REPORT, "token": odd})
        assert refused.status_code == 400, odd
    forged = f"{int(time.time()) - 60}.AAAAAAAAAAAAAAAAAAAAAA"
    refused = await client.post("/api/public/fault-reports", json={**REPORT, "token": forged})
    assert refused.status_code == 400
    assert "expired" in refused.json()["detail"]
    stale = _resign(int(time.time()) - 2 * 24 * 3600)
    expired = await client.post("/api/public/fault-reports", json={**REPORT, "token": stale})
    assert "expired" in expired.json()["detail"]
    token = _resign(int(time.time()) - 10)
    trap = await client.post(
        "/api/public/fault-reports", json={**REPORT, "token": token, "website": "http://x"}
    )
    assert trap.status_code == 400
    short = await client.post(
        "/api/public/fault-reports", json={**REPORT, "token": token, "contact_phone": "12"}
    )
    assert short.status_code == 400
    assert short.json()["detail"] == "请留下可回拨的电话号码。Give a phone number we can call back."
    desk = await login(client, "desk")
    assert (await client.get("/api/jobs", headers=desk)).json()["total"] == 0, "none stored"
    # Five reports per address and hour; the trap and the short phone counted as two.
    answers = [
        await client.post("/api/public/fault-reports", json={**REPORT, "token": token})
        for _ in range(4)
    ]
    assert [a.status_code for a in answers] == [201] * 3 + [429]
    assert int(answers[-1].headers["retry-after"]) > 0
    assert "Too many reports" in answers[-1].json()["detail"]
    assert "请稍后再试" in answers[-1].json()["detail"]
    assert answers[-1].json()["code"] is None, "the whole detail is the message: it names the phone"


async def test_the_report_page_is_public_and_locked_down(client: httpx.AsyncClient) -> None:
    page = await client.get("/report")
    assert page.status_code == 200
    assert "报修" in page.text
    assert 'id="website"' in page.text
    policy = page.headers["content-security-policy"]
    assert "default-src 'none'" in policy
    nonce = policy.split("'nonce-")[1].split("'")[0]
    assert f'nonce="{nonce}"' in page.text


async def test_a_report_of_blanks_is_refused_with_a_reason(
    client: httpx.AsyncClient, world: World, app: object
) -> None:
    _SECRET["key"] = app.state["secret_key"]  # type: ignore[attr-defined]
    token = _resign(int(time.time()) - 10)
    body = {**REPORT, "contact_phone": "021-8888-7777", "token": token}
    for blank, reason in (
        ({"description": "      "}, "what is wrong"),
        ({"contact_name": "   ", "company": ""}, "your name"),
    ):
        sent = await client.post("/api/public/fault-reports", json={**body, **blank})
        assert sent.status_code == 400, sent.text
        assert reason in sent.json()["detail"]
    desk = await login(client, "desk")
    assert (await client.get("/api/jobs", headers=desk)).json()["total"] == 0, "none stored"
    assert (await client.get("/api/customers?q=8888", headers=desk)).json()["total"] == 0
