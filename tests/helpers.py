"""Helpers shared by tests: the small office world and logging in."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import httpx

from api.models import Asset, Customer, Site, User
from api.security import hash_password

PASSWORD = "correct-horse-9"
PASSWORD_HASH = hash_password(PASSWORD)


@dataclass
class World:
    """A small office: one user of each role, two engineers, a customer with a site and asset."""

    admin: User
    dispatcher: User
    supervisor: User
    quality: User
    engineer: User
    engineer2: User
    customer: Customer
    site: Site
    asset: Asset


async def login(client: httpx.AsyncClient, username: str) -> dict[str, str]:
    """Log in and return the Authorization header."""
    response = await client.post(
        "/api/auth/login",
        json={"username": username, "password": PASSWORD, "device_id": str(uuid.uuid4())},
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}
