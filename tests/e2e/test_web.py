"""api/web.py: the app's files at /app/, the SPA fallback, cache headers, and the 503 page."""

from __future__ import annotations

from pathlib import Path

import pytest
from litestar.testing import create_test_client

import api.web
from api.web import web_handlers


def _dist(root: Path) -> Path:
    dist = root / "dist"
    (dist / "assets").mkdir(parents=True)
    (dist / "index.html").write_text("<!doctype html><title>shell</title>")
    (dist / "sw.js").write_text("self.skipWaiting()")
    (dist / "assets" / "index-abc123.js").write_text("console.log(1)")
    (dist / "manifest.webmanifest").write_text("{}")
    (root / "secret.txt").write_text("outside")
    return dist


def test_app_files_shell_fallback_and_cache_headers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(api.web, "PWA_DIST", _dist(tmp_path))
    with create_test_client(route_handlers=web_handlers()) as client:
        root = client.get("/app", follow_redirects=False)
        assert root.status_code == 308
        assert root.headers["location"] == "/app/"
        shell = client.get("/app/")
        assert shell.status_code == 200
        assert "shell" in shell.text
        assert shell.headers["cache-control"] == "no-cache"
        route = client.get("/app/jobs/0191f0a2-7c55-7e10-9b1a-2f4c6d8e0a13/parts")
        assert route.status_code == 200
        assert "shell" in route.text
        asset = client.get("/app/assets/index-abc123.js")
        assert asset.headers["cache-control"] == "public, max-age=31536000, immutable"
        assert asset.headers["content-type"].startswith("text/javascript")
        sw = client.get("/app/sw.js")
        assert sw.headers["cache-control"] == "no-cache"
        assert sw.headers["service-worker-allowed"] == "/app/"
        manifest = client.get("/app/manifest.webmanifest")
        assert manifest.headers["content-type"].startswith("application/manifest+json")
        assert client.get("/app/assets/index-old999.js").status_code == 404
        assert client.get("/app/../secret.txt").status_code == 404
        assert client.get("/app/%2e%2e/secret.txt").status_code == 404


def test_without_a_build_app_answers_503_saying_run_make_pwa(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(api.web, "PWA_DIST", tmp_path / "missing")
    with create_test_client(route_handlers=web_handlers()) as client:
        response = client.get("/app/jobs")
        assert response.status_code == 503
        assert "make pwa" in response.text
        assert response.headers["content-type"].startswith("text/html")


def test_office_console_files_shell_fallback_and_cache_headers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dist = _dist(tmp_path)
    office = dist / "office"
    (office / "assets").mkdir(parents=True)
    (office / "office.html").write_text("<!doctype html><title>console</title>")
    (office / "assets" / "office-abc123.js").write_text("console.log(2)")
    monkeypatch.setattr(api.web, "PWA_DIST", dist)
    with create_test_client(route_handlers=web_handlers()) as client:
        root = client.get("/office", follow_redirects=False)
        assert root.status_code == 308
        assert root.headers["location"] == "/office/"
        for path in (
            "/office/",
            "/office/board",
            "/office/review/0191f0a2-7c55-7e10-9b1a-2f4c6d8e0a13",
        ):
            shell = client.get(path)
            assert shell.status_code == 200, path
            assert "console" in shell.text
            assert shell.headers["cache-control"] == "no-cache"
        asset = client.get("/office/assets/office-abc123.js")
        assert asset.headers["cache-control"] == "public, max-age=31536000, immutable"
        assert asset.headers["content-type"].startswith("text/javascript")
        assert "service-worker-allowed" not in asset.headers
        assert client.get("/office/assets/office-old999.js").status_code == 404
        assert client.get("/office/../index.html").status_code == 404
        assert client.get("/office/%2e%2e/secret.txt").status_code == 404
        # The engineer app's shell is not the console's, nor are its files under /app/.
        assert "shell" in client.get("/app/board").text
        assert client.get("/app/office/office.html").status_code == 404
        assert client.get("/app/office/assets/office-abc123.js").status_code == 404


def test_without_a_console_build_office_answers_503_saying_run_make_pwa(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(api.web, "PWA_DIST", _dist(tmp_path))
    with create_test_client(route_handlers=web_handlers()) as client:
        response = client.get("/office/board")
        assert response.status_code == 503
        assert "office console" in response.text
        assert "make pwa" in response.text
        assert response.headers["cache-control"] == "no-store"
        assert client.get("/app/").status_code == 200
