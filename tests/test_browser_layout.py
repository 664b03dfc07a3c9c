"""The example site on a phone-sized screen (390 px wide) in a real browser.

Nothing scrolls sideways, buttons stay inside their cards, the cards of one grid row line up,
and a disabled button does not look clickable. Same harness as ``test_browser``: the example
project served by ``rundemo`` against an emulator, Debian's Chromium through playwright.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from django_lamba.testing import LambaEmulator
from tests.test_browser import (
    Browsing,
    Site,
    assert_signed_in_safely,
    chromium,
    emulator,
    seeded,
    sign_in_with_password,
    site,
)

pytestmark = pytest.mark.browser

__all__ = ["chromium", "emulator", "seeded", "site"]  # the fixtures this module reuses

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def phone(chromium: Any, site: Site, seeded: LambaEmulator) -> Iterator[Browsing]:
    """A fresh browser context with a phone-sized viewport."""
    context = chromium.new_context(base_url=site.url, viewport=PHONE)
    context.set_default_timeout(10_000)
    browsing = Browsing(context.new_page(), context)
    try:
        yield browsing
    except Exception:  # pragma: no cover - diagnostics only
        print(site.log_tail())
        raise
    finally:
        context.close()


def assert_no_sideways_scroll(page: Any) -> None:
    widths = page.evaluate(
        "() => [document.documentElement.scrollWidth, window.innerWidth,"
        " document.body.scrollWidth]"
    )
    document_width, viewport, body_width = widths
    assert document_width <= viewport, f"{page.url}: content is {document_width}px wide"
    assert body_width <= viewport, f"{page.url}: body is {body_width}px wide"


def buttons_outside_cards(page: Any) -> list[str]:
    """Return a description of every visible button or button-styled link not inside its card."""
    found: list[str] = page.evaluate(
        """() => {
            const out = [];
            for (const el of document.querySelectorAll('.card button, .card .btn')) {
                const card = el.closest('.card');
                const b = el.getBoundingClientRect(), c = card.getBoundingClientRect();
                if (b.width === 0) continue;
                if (b.left < c.left - 0.5 || b.right > c.right + 0.5
                    || b.top < c.top - 0.5 || b.bottom > c.bottom + 0.5) {
                    out.push(`${el.textContent.trim()}: ${b.left}-${b.right}`
                             + ` in ${c.left}-${c.right}`);
                }
            }
            return out;
        }"""
    )
    return found


def first_row_tops(page: Any) -> list[float]:
    """Return the top edges of the cards in the first row of the page's first grid."""
    tops: list[float] = page.evaluate(
        """() => {
            const cards = [...document.querySelectorAll('.grid > .card')];
            if (!cards.length) return [];
            const rects = cards.map(c => c.getBoundingClientRect());
            const rowTop = Math.min(...rects.map(r => r.top));
            const height = Math.min(...rects.map(r => r.height));
            return rects.filter(r => r.top < rowTop + height / 2).map(r => r.top);
        }"""
    )
    return tops


def test_home_page_fits_a_phone(phone: Browsing) -> None:
    page = phone.page
    page.goto("/")
    assert_no_sideways_scroll(page)
    assert buttons_outside_cards(page) == []


def test_dashboard_fits_a_phone_and_its_cards_line_up(phone: Browsing) -> None:
    page = phone.page
    sign_in_with_password(phone, "admin@example.com")
    assert_signed_in_safely(phone, "admin@example.com")
    assert_no_sideways_scroll(page)
    switch = page.locator('tr[data-project="prj_second"]').get_by_role("button", name="Switch")
    assert switch.is_visible()
    assert buttons_outside_cards(page) == []


def test_first_row_cards_line_up_on_a_wide_screen(
    chromium: Any, site: Site, seeded: LambaEmulator
) -> None:
    context = chromium.new_context(base_url=site.url, viewport={"width": 1280, "height": 900})
    try:
        browsing = Browsing(context.new_page(), context)
        sign_in_with_password(browsing, "admin@example.com")
        assert_signed_in_safely(browsing, "admin@example.com")
        tops = first_row_tops(browsing.page)
        assert len(tops) >= 2
        assert max(tops) - min(tops) < 1, tops
    finally:
        context.close()


def test_disabled_buttons_do_not_look_clickable(phone: Browsing) -> None:
    page = phone.page
    sign_in_with_password(phone, "admin@example.com")
    assert_signed_in_safely(phone, "admin@example.com")
    disabled = page.locator("button:disabled").first
    enabled = page.get_by_role("button", name="Sign out")
    style = "el => [getComputedStyle(el).cursor, getComputedStyle(el).opacity]"
    disabled_cursor, disabled_opacity = disabled.evaluate(style)
    enabled_cursor, enabled_opacity = enabled.evaluate(style)
    assert enabled_cursor == "pointer"
    assert disabled_cursor == "not-allowed"
    assert float(disabled_opacity) < float(enabled_opacity)
