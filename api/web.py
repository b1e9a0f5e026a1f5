"""The engineer app (``pwa/dist``) served at ``/app/``: files, SPA fallback, cache headers.

Hashed build assets are immutable; the shell (``index.html``), the service worker and the
manifest must be revalidated on every load so a new build reaches the devices. A client route
(``/app/jobs/…``) answers ``index.html``. Without a build, ``/app/`` says how to make one.
"""

from __future__ import annotations

import mimetypes
from pathlib import Path
from typing import Any

from litestar import MediaType, Request, Response, get
from litestar.response import File, Redirect
from litestar.types import ControllerRouterHandler

from api.guards import PUBLIC

PWA_DIST = Path(__file__).resolve().parent.parent / "pwa" / "dist"

IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
NOT_BUILT = """<!doctype html><html lang="en"><meta charset="utf-8">
<title>Fieldsync app not built</title>
<h1>The engineer app is not built</h1>
<p>Run <code>make pwa</code> (or <code>cd pwa &amp;&amp; npm ci &amp;&amp; npm run build</code>)
and reload this page.</p></html>"""

mimetypes.add_type("application/manifest+json", ".webmanifest")
mimetypes.add_type("text/javascript", ".js")


def _resolve(dist: Path, path: str) -> Path | None:
    """The file under ``dist`` that ``path`` names, or None (outside ``dist`` or absent)."""
    candidate = (dist / path.lstrip("/")).resolve()
    if not candidate.is_relative_to(dist) or not candidate.is_file():
        return None
    return candidate


def _cache_control(relative: str) -> str:
    # Vite puts content-hashed files under assets/; anything else may change between builds.
    return IMMUTABLE if relative.startswith("assets/") else REVALIDATE


def serve_app_file(dist: Path, path: str) -> Response[str] | File:
    """Answer ``/app/<path>`` from the build in ``dist``."""
    if not (dist / "index.html").is_file():
        return Response(
            NOT_BUILT,
            status_code=503,
            media_type=MediaType.HTML,
            headers={"Cache-Control": "no-store", "Retry-After": "60"},
        )
    root = dist.resolve()
    relative = path.lstrip("/")
    found = _resolve(root, relative) if relative else None
    if found is None:
        last = relative.rsplit("/", 1)[-1]
        if "." in last:
            # A missing file (an old hashed asset, a typo) is a 404, not the shell.
            return Response("not found", status_code=404, media_type=MediaType.TEXT, headers={})
        found, relative = root / "index.html", "index.html"
    media_type = mimetypes.guess_type(found.name)[0] or "application/octet-stream"
    headers = {"Cache-Control": _cache_control(relative)}
    if found.name == "sw.js":
        headers["Service-Worker-Allowed"] = "/app/"
    return File(
        found,
        media_type=media_type,
        content_disposition_type="inline",
        headers=headers,
    )


@get(
    ["/app", "/app/{path:path}"],
    opt=PUBLIC,
    include_in_schema=False,
    name="pwa",
    sync_to_thread=False,
)
def app_file(request: Request[Any, Any, Any], path: str = "") -> Response[str] | File | Redirect:
    """A file of the engineer app, or its shell for a client route."""
    raw = request.scope.get("raw_path") or b""
    if raw.split(b"?", 1)[0] == b"/app":
        # The service worker's scope is /app/: a shell loaded from /app would escape it.
        return Redirect("/app/", status_code=308)
    return serve_app_file(PWA_DIST, path)


def web_handlers() -> list[ControllerRouterHandler]:
    """The route handlers that serve the engineer app."""
    return [app_file]
