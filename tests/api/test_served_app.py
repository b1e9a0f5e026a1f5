"""The acceptance path on a real server process with the demo data, as `make run` serves it."""

from __future__ import annotations

import uuid
from pathlib import Path

import httpx

from tests.helpers import fieldsync, served


def _login(base: str, username: str) -> dict[str, str]:
    response = httpx.post(
        f"{base}/api/auth/login",
        json={"username": username, "password": "demo1234", "device_id": str(uuid.uuid4())},
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def test_demo_dispatcher_registers_and_assigns_and_only_that_engineer_sees_it(
    tmp_path: Path,
) -> None:
    fieldsync(tmp_path, "db", "upgrade")
    out = fieldsync(tmp_path, "demo").stdout
    assert "dispatcher1" in out
    assert "demo1234" in out
    with served(tmp_path) as base:
        desk = _login(base, "dispatcher1")
        customer = httpx.get(f"{base}/api/customers?limit=1", headers=desk).json()["items"][0]
        engineers = httpx.get(f"{base}/api/users?role=engineer", headers=desk).json()["items"]
        assert len(engineers) >= 5
        created = httpx.post(
            f"{base}/api/jobs",
            json={
                "customer_id": customer["id"],
                "channel": "phone",
                "fault_description": "电梯停运",
            },
            headers=desk,
        )
        assert created.status_code == 201, created.text
        job_id = created.json()["job"]["id"]
        assigned = httpx.post(
            f"{base}/api/jobs/{job_id}/assign",
            json={"engineer_id": engineers[0]["id"]},
            headers=desk,
        )
        assert assigned.status_code == 200
        assert assigned.json()["job"]["status"] == "assigned"

        mine = _login(base, engineers[0]["username"])
        assert httpx.get(f"{base}/api/jobs/{job_id}", headers=mine).status_code == 200
        listed = httpx.get(f"{base}/api/jobs?limit=200", headers=mine).json()["items"]
        assert job_id in {j["id"] for j in listed}
        other = _login(base, engineers[1]["username"])
        assert httpx.get(f"{base}/api/jobs/{job_id}", headers=other).status_code == 404

    again = fieldsync(tmp_path, "demo").stdout
    assert "already loaded" in again
    assert "dispatcher1" in again, "the logins are said again for whoever missed them"
