"""The front end's builds: the engineer app (``pwa/dist``) at ``/app/`` and the office console
(``pwa/dist/office``) at ``/office/``: files, SPA fallback, cache headers.

Hashed build assets are immutable; the shells (``index.html``, ``office.html``), the service
worker and the manifest must be revalidated on every load so a new build reaches the devices
and desks. A client route (``/app/jobs/…``, ``/office/board``) answers its shell. Without a
build, both say how to make one.
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
OFFICE_SUBDIR = "office"
"""The office console's build, inside the app's (``vite build --mode office``)."""

IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
FRAMING = {
    "Content-Security-Policy": "frame-ancestors 'none'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
}
"""Headers of everything served here. The app and the console act with the signed-in user's
token: shown in another site's frame, under a decoy, a click there would assign, cancel or
revoke for real (clickjacking). Neither page is meant to be framed anywhere."""
NOT_BUILT = """<!doctype html><html lang="en"><meta charset="utf-8">
<title>Fieldsync app not built</title>
<h1>The {what} is not built</h1>
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


def serve_app_file(
    dist: Path, path: str, shell: str = "index.html", what: str = "engineer app"
) -> Response[str] | File:
    """Answer ``/<mount>/<path>`` from the build in ``dist``, whose page is ``shell``."""
    if not (dist / shell).is_file():
        return Response(
            NOT_BUILT.replace("{what}", what),
            status_code=503,
            media_type=MediaType.HTML,
            headers={"Cache-Control": "no-store", "Retry-After": "60", **FRAMING},
        )
    root = dist.resolve()
    relative = path.lstrip("/")
    found = _resolve(root, relative) if relative else None
    if found is None:
        last = relative.rsplit("/", 1)[-1]
        if "." in last:
            # A missing file (an old hashed asset, a typo) is a 404, not the shell.
            return Response(
                "not found", status_code=404, media_type=MediaType.TEXT, headers=FRAMING
            )
        found, relative = root / shell, shell
    media_type = mimetypes.guess_type(found.name)[0] or "application/octet-stream"
    headers = {"Cache-Control": _cache_control(relative), **FRAMING}
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
    if path.lstrip("/").split("/", 1)[0] == OFFICE_SUBDIR:
        # The console's build lies inside the app's; its files are served at /office/ only.
        return Response("not found", status_code=404, media_type=MediaType.TEXT, headers={})
    return serve_app_file(PWA_DIST, path)


@get(
    ["/office", "/office/{path:path}"],
    opt=PUBLIC,
    include_in_schema=False,
    name="office",
    sync_to_thread=False,
)
def office_file(request: Request[Any, Any, Any], path: str = "") -> Response[str] | File | Redirect:
    """A file of the office console, or its shell for a client route (the login happens
    inside; every API call it makes declares its own roles)."""
    raw = request.scope.get("raw_path") or b""
    if raw.split(b"?", 1)[0] == b"/office":
        # Relative links and the router's base are /office/.
        return Redirect("/office/", status_code=308)
    return serve_app_file(PWA_DIST / OFFICE_SUBDIR, path, "office.html", "office console")


def web_handlers() -> list[ControllerRouterHandler]:
    """The route handlers that serve the engineer app and the office console."""
    return [app_file, office_file]
