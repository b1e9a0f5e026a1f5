"""End-to-end fixtures: the built engineer app, Debian's Chromium, and real server processes.

Locally a missing Chromium or a failed build skips these tests with the reason; with CI=true
they fail instead (the rule of tests/conftest.py).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.helpers import FIELDSYNC, fieldsync, free_port, require, server_env

REPO = Path(__file__).resolve().parents[2]
PWA = REPO / "pwa"
DIST = PWA / "dist"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DEMO_PASSWORD = "demo1234"
PHONE = {"width": 390, "height": 844}


def _newest_source() -> float:
    files = [PWA / n for n in ("index.html", "office.html", "vite.config.ts", "package.json")]
    files += [p for d in ("src", "public") for p in (PWA / d).rglob("*") if p.is_file()]
    return max(p.stat().st_mtime for p in files if p.exists())


@pytest.fixture(scope="session")
def pwa_dist() -> Path:
    """The built app; built here when missing or older than its sources."""
    if not (PWA / "package.json").is_file():
        require("pwa/package.json is missing")
    index = DIST / "index.html"
    built = [index, DIST / "office" / "office.html"]
    fresh = all(f.is_file() for f in built) and min(f.stat().st_mtime for f in built)
    if fresh and fresh >= _newest_source():
        return DIST
    npm = shutil.which("npm")
    if npm is None:
        require("npm is not installed: cannot build pwa/dist")
        raise AssertionError  # unreachable
    if not (PWA / "node_modules").is_dir():
        subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=PWA, check=True, timeout=600)
    build = subprocess.run(
        [npm, "run", "build"], cwd=PWA, capture_output=True, text=True, timeout=600
    )
    assert build.returncode == 0, build.stdout[-2000:] + build.stderr[-2000:]
    assert all(f.is_file() for f in built)
    return DIST


@pytest.fixture(scope="module")
def browser(pwa_dist: Path) -> Iterator[Any]:
    """Debian's Chromium driven by Playwright (Playwright cannot download browsers here).
    Per module, so no Playwright event loop outlives the browser tests."""
    if not os.path.exists(CHROMIUM):
        require(f"{CHROMIUM} is not installed (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        require("playwright is not installed")
        raise
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


class Server:
    """A ``fieldsync serve`` process on a fixed port, restartable over the same data."""

    def __init__(self, data: Path) -> None:
        self.data = data
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None
        self.logs: list[Path] = []

    def start(self) -> None:
        log_path = self.data / f"server-{len(self.logs)}.log"
        self.logs.append(log_path)
        with log_path.open("w") as log:
            self.proc = subprocess.Popen(
                [FIELDSYNC, "serve", "--no-migrate", "--port", str(self.port)],
                env=server_env(self.data),
                stdout=log,
                stderr=log,
            )
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{self.base}/health", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(log_path.read_text())
            time.sleep(0.05)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
        self.proc = None

    def errors(self) -> list[str]:
        return [
            line
            for log in self.logs
            for line in log.read_text().splitlines()
            if '"level": "error"' in line
        ]


@contextmanager
def demo_server(data: Path) -> Iterator[Server]:
    """A migrated database with the demo data, served; asserts no error was logged."""
    fieldsync(data, "db", "upgrade")
    fieldsync(data, "demo")
    server = Server(data)
    server.start()
    try:
        yield server
    finally:
        server.stop()
    assert server.errors() == [], server.errors()[:3]


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One demo server shared by the tests that each make their own jobs."""
    with demo_server(tmp_path_factory.mktemp("e2e")) as s:
        yield s


@pytest.fixture
def own_server(tmp_path: Path) -> Iterator[Server]:
    """A demo server of this test alone (it will be restarted)."""
    with demo_server(tmp_path) as s:
        yield s


class Office:
    """The office's REST API, as the dispatcher."""

    def __init__(self, base: str) -> None:
        self.base = base
        response = httpx.post(
            f"{base}/api/auth/login",
            json={
                "username": "dispatcher1",
                "password": DEMO_PASSWORD,
                "device_id": str(uuid.uuid4()),
            },
        )
        assert response.status_code == 200, response.text
        self.headers = {"Authorization": f"Bearer {response.json()['access_token']}"}

    def get(self, path: str) -> Any:
        response = httpx.get(f"{self.base}{path}", headers=self.headers, timeout=30)
        assert response.status_code == 200, response.text
        return response.json()

    def post(self, path: str, body: dict[str, Any], expect: int = 200) -> Any:
        response = httpx.post(f"{self.base}{path}", json=body, headers=self.headers, timeout=30)
        assert response.status_code == expect, response.text
        return response.json()

    def patch(self, path: str, body: dict[str, Any], expect: int = 200) -> Any:
        response = httpx.patch(f"{self.base}{path}", json=body, headers=self.headers, timeout=30)
        assert response.status_code == expect, response.text
        return response.json()

    def engineer_id(self, username: str) -> str:
        users = self.get("/api/users?role=engineer&limit=100")["items"]
        return str(next(u["id"] for u in users if u["username"] == username))

    def new_job(self, engineer: str, fault: str) -> dict[str, Any]:
        """A job on a customer's asset, assigned to ``engineer``; returns the job summary."""
        assets = self.get("/api/assets?limit=5")["items"]
        asset = assets[0]
        created = self.post(
            "/api/jobs",
            {
                "customer_id": asset["customer_id"],
                "site_id": asset["site_id"],
                "asset_id": asset["id"],
                "channel": "phone",
                "fault_description": fault,
                "contact_name": "赵经理",
            },
            expect=201,
        )
        job_id = created["job"]["id"]
        self.post(f"/api/jobs/{job_id}/assign", {"engineer_id": self.engineer_id(engineer)})
        return dict(created["job"])

    def detail(self, job_id: str) -> Any:
        return self.get(f"/api/jobs/{job_id}")

    def parts(self, count: int) -> list[dict[str, Any]]:
        items = self.get("/api/parts?limit=50")["items"]
        return [p for p in items if p.get("active", True)][:count]


OPEN_PAGES: list[Any] = []
"""Pages opened by the running test, for a screenshot when it fails."""


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    if report.when == "call" and report.failed:
        default = Path(tempfile.gettempdir()) / "fieldsync-e2e"
        shots = Path(os.environ.get("FIELDSYNC_E2E_SHOTS", default))
        shots.mkdir(parents=True, exist_ok=True)
        for i, page in enumerate(OPEN_PAGES):
            with contextlib.suppress(Exception):  # a closed page has nothing to show
                page.screenshot(path=str(shots / f"{item.name}-{i}.png"), full_page=True)
    if report.when == "teardown":
        OPEN_PAGES.clear()
