"""Driving the engineer app in a page: the steps the e2e tests share."""

from __future__ import annotations

import io
from typing import Any

from PIL import Image

from tests.e2e.conftest import DEMO_PASSWORD, OPEN_PAGES, PHONE


def jpeg(width: int, height: int, color: tuple[int, int, int]) -> bytes:
    """A photo-sized JPEG (larger than the app's 2048 px limit, so the app must shrink it)."""
    image = Image.new("RGB", (width, height), color)
    for x in range(0, width, 97):
        image.paste((255 - color[0], color[1], 255 - color[2]), (x, 0, x + 20, height))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=80)
    return out.getvalue()


def open_page(context: Any, url: str) -> Any:
    """A new page of ``context`` at ``url``, collecting its errors in ``page.page_errors``: the
    uncaught ones and those logged to the console."""
    page = context.new_page()
    OPEN_PAGES.append(page)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))

    def logged(message: Any) -> None:
        # Vue logs an error thrown while a screen sets up (console.error), not as an uncaught
        # one: a screen that failed that way showed nothing while page errors stayed empty.
        # A refused request logs "Failed to load resource" too: the tests check those answers.
        text = str(message.text)
        if message.type == "error" and not text.startswith("Failed to load resource"):
            errors.append(f"console: {text}")

    page.on("console", logged)
    page.goto(url)
    page.page_errors = errors
    return page


def open_app(browser: Any, base: str, **options: Any) -> tuple[Any, Any]:
    """A new phone (browser context) with the app open; returns (context, page)."""
    context = browser.new_context(viewport=PHONE, locale="en-US", **options)
    return context, open_page(context, f"{base}/app/")


def offline_phones(browser: Any, base: str, username: str, number: str) -> list[tuple[Any, Any]]:
    """Two phones of ``username`` that received job ``number``, now offline on its page."""
    phones = [open_app(browser, base) for _ in range(2)]
    for context, page in phones:
        log_in(page, username)
        page.click("text=All jobs")
        page.wait_for_selector(f"[data-testid=job-{number}]", timeout=30_000)
        context.set_offline(True)
        open_job(page, number)
    return phones


def offline_with_job(browser: Any, base: str, username: str, number: str) -> tuple[Any, Any]:
    """A phone of ``username`` that received job ``number`` with the app installed (the service
    worker controls it), now offline on the job's page; returns (context, page)."""
    context, page = open_app(browser, base)
    log_in(page, username)
    wait_controlled(page)
    page.click("text=All jobs")
    page.wait_for_selector(f"[data-testid=job-{number}]", timeout=30_000)
    context.set_offline(True)
    open_job(page, number)
    return context, page


def arrive(page: Any) -> None:
    """Accept the job and arrive on site (offline or not)."""
    page.click("button:has-text('Accept')")
    page.click("button:has-text('Arrive')")
    page.wait_for_selector("[data-testid=job-status]:has-text('On site')")


def log_in(page: Any, username: str) -> None:
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("[data-testid=job-list], .van-empty", timeout=30_000)


def wait_controlled(page: Any) -> None:
    """The service worker controls the page and has precached the shell."""
    page.wait_for_function(
        "navigator.serviceWorker.controller !== null", timeout=30_000, polling=100
    )
    page.evaluate("navigator.serviceWorker.ready")


def open_job(page: Any, number: str) -> None:
    page.click("text=All jobs")
    page.click(f"[data-testid=job-{number}]")
    page.wait_for_selector("[data-testid=job-status]")


def back_to_job(page: Any, job_id: str) -> None:
    page.click(".van-nav-bar__left")
    page.wait_for_url(f"**/app/jobs/{job_id}")


def record(page: Any, job_id: str, field: str, text: str) -> None:
    page.click("[data-testid=go-record]")
    box = page.locator(f"[data-testid=record-{field}] textarea")
    box.fill(text)
    page.wait_for_function(
        "document.querySelector('[data-testid=record-state]').textContent.includes('Saved')"
    )
    back_to_job(page, job_id)


def add_part(page: Any, code: str) -> None:
    page.fill("[data-testid=part-search] input", code)
    page.click(f"[data-testid=add-{code}]")
    page.wait_for_selector(f"[data-testid=line-{code}]")


def take_photo(
    page: Any, color: tuple[int, int, int], width: int = 1600, height: int = 1200
) -> None:
    """On the photos screen, take a photo (a JPEG of ``color``) and wait until it is listed."""
    before = page.locator("[data-testid=photo-grid] figure").count()
    photo = {"name": "p.jpg", "mimeType": "image/jpeg", "buffer": jpeg(width, height, color)}
    page.set_input_files("[data-testid=photo-input]", files=[photo])
    page.wait_for_function(
        "n => document.querySelectorAll('[data-testid=photo-grid] figure').length === n",
        arg=before + 1,
    )


def confirm_dialog(page: Any) -> str:
    """Tap the confirm button of the app's question (Vant's dialog); returns the question."""
    dialog = page.locator(".van-dialog")
    dialog.wait_for()
    question = str(dialog.locator(".van-dialog__message").inner_text())
    dialog.locator(".van-dialog__confirm").click()
    dialog.wait_for(state="hidden")
    return question


def mark_work_done(page: Any) -> None:
    """Tap "Work done" on a job whose record has no "work done" text: the app asks first."""
    page.click("[data-testid=work-done]")
    assert "work done" in confirm_dialog(page)
    page.wait_for_selector("[data-testid=job-status]:has-text('Work done')")


def draw_signature(page: Any, pad: str) -> None:
    """Sign with the mouse: a zigzag of about 30 points over the pad."""
    canvas = page.locator(f"[data-testid=pad-{pad}] canvas")
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    x0, y0 = box["x"] + 20, box["y"] + box["height"] / 2
    page.mouse.move(x0, y0)
    page.mouse.down()
    for i in range(1, 30):
        page.mouse.move(x0 + i * 9, y0 + (25 if i % 2 else -25), steps=2)
    page.mouse.up()


def text_of(page: Any, testid: str) -> str:
    return str(page.locator(f"[data-testid={testid}]").inner_text()).strip()


PUSHED = """() => document.querySelector('[data-testid=pending-count] .van-cell__value')
  .textContent.trim() === '0'"""


def sync_now(context: Any, page: Any) -> None:
    """Back online, "sync now" on the sync tab, and wait until the outbox is empty."""
    context.set_offline(False)
    page.click("[data-testid=sync-tab]")
    page.click("[data-testid=sync-now]")
    page.wait_for_function(PUSHED, timeout=60_000)
