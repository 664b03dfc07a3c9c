"""The account pages in a real browser: headless Chromium drives the example project.

Reuses ``tests/test_browser.py``'s fixtures (a private emulator, ``manage.py rundemo`` in a
subprocess, Debian's ``/usr/bin/chromium``). Each page is also photographed at 800x600; the
pictures go to pytest's temporary directory, or, with ``LAMBA_UPDATE_SCREENSHOTS=1``, over
``docs/img/account-*.png`` (the ones docs/account.md shows)::

    LAMBA_UPDATE_SCREENSHOTS=1 pytest tests/test_browser_account.py
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from django_lamba.testing import LambaEmulator
from tests.test_browser import (  # noqa: F401  (fixtures)
    JWT,
    REPO_ROOT,
    Browsing,
    browsing,
    chromium,
    emulator,
    lamba_cookies,
    seeded,
    sign_in_with_password,
    site,
)

pytestmark = pytest.mark.browser

VIEWPORT = {"width": 800, "height": 600}


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    """Where the screenshots go: docs/img when asked to update them, else a temporary dir."""
    if os.environ.get("LAMBA_UPDATE_SCREENSHOTS") == "1":
        return REPO_ROOT / "docs" / "img"
    return tmp_path


def snap(browsing: Browsing, shots: Path, name: str) -> None:  # noqa: F811
    path = shots / f"account-{name}.png"
    browsing.page.screenshot(path=str(path))
    assert path.stat().st_size > 1000


def test_account_pages_edit_profile_and_switch_project(
    browsing: Browsing,  # noqa: F811  (the fixture imported above)
    seeded: LambaEmulator,  # noqa: F811
    shots: Path,
) -> None:
    seeded.add_project(seeded.workspace_id, "prj_partner", "Partner Portal")
    seeded.grant("admin@example.com", project_id="prj_partner", roles=["member"])
    page = browsing.page
    page.set_viewport_size(VIEWPORT)
    sign_in_with_password(browsing, "admin@example.com")
    page.wait_for_url("**/dashboard/")

    page.get_by_role("link", name="Ada Admin").click()
    page.wait_for_url("**/auth/account/")
    assert page.get_by_role("heading", name="Your account", exact=True).is_visible()
    assert "Demo Project" in page.locator("dl").inner_text()
    snap(browsing, shots, "overview")

    # Edit the display name: saved, and the header shows it at once.
    page.get_by_role("navigation", name="Your account").get_by_role("link", name="Profile").click()
    page.get_by_label("Display name").fill("Ada Lovelace")
    page.get_by_role("button", name="Save changes").click()
    page.wait_for_url("**/auth/account/profile/?saved=1")
    assert page.get_by_role("status").inner_text() == "Your profile was saved."
    assert page.get_by_role("link", name="Ada Lovelace").is_visible()

    # An invalid username: Lamba's field error, summarised, focused, linked to the field.
    page.get_by_label("Username").fill("not valid!")
    page.get_by_role("button", name="Save changes").click()
    summary = page.get_by_role("alert")
    assert "There is a problem" in summary.inner_text()
    assert page.evaluate("document.activeElement.className") == "lamba-error-summary"
    snap(browsing, shots, "profile")
    summary.get_by_role("link", name="Username: Use 3 to 32").click()
    assert page.evaluate("document.activeElement.id") == "id_username"
    assert page.get_by_label("Username").get_attribute("aria-invalid") == "true"

    page.get_by_role("navigation", name="Your account").get_by_role(
        "link", name="Security"
    ).click()
    assert "Password" in page.locator(".lamba-signin-methods").inner_text()
    snap(browsing, shots, "security")

    # Switch Project from the memberships page.
    page.get_by_role("navigation", name="Your account").get_by_role(
        "link", name="Projects"
    ).click()
    partner = page.get_by_role("row", name="Partner Portal")
    assert "This site does not serve this Project." in partner.inner_text()
    assert partner.get_by_role("button").count() == 0
    snap(browsing, shots, "memberships")
    page.get_by_role("button", name="Switch to Second Project").click()
    page.wait_for_url("**/auth/account/memberships/")
    second = page.get_by_role("row", name="Second Project")
    assert "You are using this Project now." in second.inner_text()
    page.get_by_role("navigation", name="Your account").get_by_role(
        "link", name="Overview"
    ).click()
    assert "Second Project" in page.locator("dl").inner_text()
    html = page.content()
    assert not JWT.search(html)
    assert all(c["value"] not in html for c in lamba_cookies(browsing).values())
