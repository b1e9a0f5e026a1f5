"""Driving the office console (/office/) in a page: the steps the e2e tests and the docs'
screenshots share."""

from __future__ import annotations

from typing import Any

from tests.e2e.app import open_page
from tests.e2e.conftest import DEMO_PASSWORD

DESKTOP = {"width": 1440, "height": 900}
DEPARTMENT_ZONE = "Asia/Shanghai"
"""The demo department's time zone: the console's "this month" must be the server's."""


def open_console(browser: Any, base: str, locale: str = "en-US") -> tuple[Any, Any]:
    """A desk PC (browser context) with the console's login page open."""
    context = browser.new_context(viewport=DESKTOP, locale=locale, timezone_id=DEPARTMENT_ZONE)
    return context, open_page(context, f"{base}/office/")


def console_login(page: Any, username: str) -> None:
    page.wait_for_selector("input[name=username]")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("[data-testid=menu]", timeout=30_000)


def go(page: Any, menu: str) -> None:
    """Open a screen from the menu (a client-side navigation, no reload)."""
    page.click(f"[data-testid=menu-{menu}]")


def choose(page: Any, select: str, option: str) -> None:
    """Pick ``option`` (its visible text) in the Element Plus select ``[data-testid=select]``."""
    page.click(f"[data-testid={select}]")
    page.locator(".el-select-dropdown__item:visible", has_text=option).first.click()
