"""Engineer app benchmark: what the phone downloads first, and how fast the job list paints
with no signal, each beside the same figure for an empty Vite page built the same way.

size     the JS and CSS that pwa/dist/index.html loads at start, gzipped (level 9), beside an
         empty Vite page (one module that writes a line of text) built with the same Vite,
         base and target. Target: at most 250 KB.
offline  the time from navigation to the first painted job list when the app is opened
         offline in headless Chromium (the service worker serves the shell, IndexedDB the
         replica of a demo engineer: 20-odd jobs and the 300-part catalogue), median of 7,
         beside the time to first paint of the empty page served the same way from memory
         (Playwright answers its requests: no network either). Target: at most 1 s.

  .venv/bin/python bench/pwa_bench.py [--quick] [--json FILE]
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.media_bench import row  # noqa: E402
from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, PHONE, demo_server  # noqa: E402

PWA = ROOT / "pwa"
DIST = PWA / "dist"
FLOOR_CONFIG = """import { defineConfig } from 'vite'
export default defineConfig({ base: '/app/', build: { target: 'es2020' } })
"""
FLOOR_HTML = """<!doctype html><html lang="en">
<head><meta charset="UTF-8"><title>floor</title></head>
<body><div id="app"></div><script type="module" src="/main.ts"></script></body></html>
"""
FLOOR_MAIN = "document.getElementById('app')!.innerHTML = '<p id=\"painted\">hello</p>'\n"
# Record when the watched element first exists, at the next animation frame (painted).
PAINT_PROBE = """
window.__painted = null
new MutationObserver((_, obs) => {
  if (document.querySelector(window.__probe || '[data-testid=job-list]')) {
    obs.disconnect()
    requestAnimationFrame(() => { window.__painted = performance.now() })
  }
}).observe(document, { childList: true, subtree: true })
"""


def build_floor(out: Path) -> Path:
    """Build the empty Vite page with the app's own Vite; returns its dist folder."""
    work = Path(tempfile.mkdtemp(prefix=".bench-floor-", dir=PWA))
    try:
        (work / "vite.config.ts").write_text(FLOOR_CONFIG)
        (work / "index.html").write_text(FLOOR_HTML)
        (work / "main.ts").write_text(FLOOR_MAIN)
        vite = PWA / "node_modules" / ".bin" / "vite"
        subprocess.run(
            [str(vite), "build", "--outDir", str(out), "--emptyOutDir", "--logLevel", "error"],
            cwd=work,
            check=True,
        )
    finally:
        shutil.rmtree(work)
    return out


def initial_bytes(dist: Path) -> tuple[int, int]:
    """(raw, gzipped) bytes of the JS and CSS that the page's index.html loads."""
    html = (dist / "index.html").read_text()
    refs = re.findall(r'(?:src|href)="/app/([^"]+\.(?:js|css))"', html)
    raw = gz = 0
    for ref in refs:
        data = (dist / ref).read_bytes()
        raw += len(data)
        gz += len(gzip.compress(data, compresslevel=9))
    return raw, gz


def serve_from(dist: Path) -> Any:
    """A Playwright route handler answering /app/* from ``dist`` (no network)."""

    def handle(route: Any) -> None:
        path = route.request.url.split("/app/", 1)[1].split("?")[0] or "index.html"
        file = dist / path
        if not file.is_file():
            file = dist / "index.html"
        kind = {".js": "text/javascript", ".css": "text/css", ".html": "text/html"}
        route.fulfill(body=file.read_bytes(), content_type=kind.get(file.suffix, "text/plain"))

    return handle


def median_paint(page: Any, url: str, probe: str, runs: int) -> float:
    times = []
    for _ in range(runs):
        page.goto(url)
        page.wait_for_function("window.__painted !== null", timeout=30_000)
        times.append(float(page.evaluate("window.__painted")))
    return statistics.median(times)


def bench_offline(floor: Path, runs: int) -> tuple[float, float]:
    from playwright.sync_api import sync_playwright

    with (
        tempfile.TemporaryDirectory() as data,
        demo_server(Path(data)) as server,
        sync_playwright() as p,
    ):
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport=PHONE, locale="zh-CN")
        context.add_init_script(PAINT_PROBE)
        page = context.new_page()
        page.goto(f"{server.base}/app/")
        page.fill("input[name=username]", "engineer1")
        page.fill("input[name=password]", "demo1234")
        page.click("button[type=submit]")
        page.wait_for_selector("[data-testid=job-list]", timeout=60_000)
        page.wait_for_function("navigator.serviceWorker.controller !== null", timeout=30_000)
        context.set_offline(True)
        ours = median_paint(page, f"{server.base}/app/jobs", "[data-testid=job-list]", runs)
        context.close()

        floor_context = browser.new_context(viewport=PHONE, service_workers="block")
        floor_context.add_init_script("window.__probe = '#painted'\n" + PAINT_PROBE)
        floor_context.route("http://floor.invalid/app/**", serve_from(floor))
        floor_page = floor_context.new_page()
        baseline = median_paint(floor_page, "http://floor.invalid/app/", "#painted", runs)
        browser.close()
    return ours, baseline


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, help="write the figures to this file")
    parser.add_argument("--quick", action="store_true", help="fewer runs")
    args = parser.parse_args()
    if not (DIST / "index.html").is_file():
        print("building pwa/dist …", flush=True)
        subprocess.run(["make", "pwa"], cwd=ROOT, check=True)
    runs = 3 if args.quick else 7
    with tempfile.TemporaryDirectory() as tmp:
        floor = build_floor(Path(tmp) / f"floor-{uuid.uuid4().hex[:6]}")
        _, app_gz = initial_bytes(DIST)
        _, floor_gz = initial_bytes(floor)
        ours, baseline = bench_offline(floor, runs)
    rows = [
        row(
            "initial JS+CSS, gzipped",
            app_gz / 1024,
            "KB",
            "empty Vite page",
            floor_gz / 1024,
            app_gz / floor_gz,
            "<= 250 KB",
            app_gz <= 250 * 1024,
        ),
        row(
            "first painted job list, offline (median)",
            ours,
            "ms",
            "empty Vite page first paint",
            baseline,
            ours / baseline,
            "<= 1000 ms",
            ours <= 1000,
        ),
    ]
    print(f"{'figure':<44} {'value':>10} {'baseline':>12} {'ratio':>7}  target       met")
    for r in rows:
        print(
            f"{r['name']:<44} {r['value']:>7} {r['unit']:<3}"
            f" {r['baseline_value']:>8} {r['unit']:<3} {r['ratio']!s:>7}  {r['target']:<12}"
            f" {'yes' if r['met'] else 'NO'}"
        )
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
