"""The sign-in pictures in README.md and docs/sign-in-flows.md, taken from the example site.

Each run walks the sign-in steps in headless Chromium at 800x600 and checks that every committed
picture (``docs/img/signin-*.png``) still exists, is a PNG of that size and stays small. To
retake them after changing a page, run this module with ``LAMBA_WRITE_PICTURES=1``:

    LAMBA_WRITE_PICTURES=1 pytest tests/test_signin_pictures.py

Same harness as ``test_browser``: ``rundemo`` against an emulator, Debian's Chromium.
"""

from __future__ import annotations

import os
import struct
from pathlib import Path
from typing import Any

import pytest

from django_lamba.testing import LambaEmulator
from django_lamba.testing.demo import DEMO_MFA_CODE, DEMO_PASSWORD
from tests.test_browser import REPO_ROOT, Site, chromium, emulator, seeded, site

pytestmark = pytest.mark.browser

__all__ = ["chromium", "emulator", "seeded", "site"]  # the fixtures this module reuses

PICTURES = REPO_ROOT / "docs" / "img"
SIZE = (800, 600)
MAX_BYTES = 120_000
STEPS = ("signin-1-choose", "signin-2-password", "signin-3-code", "signin-4-signed-in")


def png_size(path: Path) -> tuple[int, int]:
    """Return a PNG's width and height from its header."""
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n", f"{path.name} is not a PNG"
    width, height = struct.unpack(">II", header[16:24])
    return width, height


def test_sign_in_pictures(
    chromium: Any, site: Site, seeded: LambaEmulator, tmp_path: Path
) -> None:
    write = os.environ.get("LAMBA_WRITE_PICTURES") == "1"
    folder = PICTURES if write else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    width, height = SIZE
    context = chromium.new_context(base_url=site.url, viewport={"width": width, "height": height})
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        page.goto("/sign-in/")
        page.screenshot(path=str(folder / f"{STEPS[0]}.png"))

        page.get_by_role("link", name="Email and password").click()
        page.get_by_label("Email or username").fill("mfa@example.com")
        page.get_by_label("Password").fill(DEMO_PASSWORD)
        page.screenshot(path=str(folder / f"{STEPS[1]}.png"))

        page.get_by_role("button", name="Sign in").click()
        page.get_by_label("Verification code").fill(DEMO_MFA_CODE)
        assert "authenticator app" in page.content()
        page.screenshot(path=str(folder / f"{STEPS[2]}.png"))

        page.get_by_role("button", name="Verify").click()
        page.wait_for_url("**/dashboard/")
        page.screenshot(path=str(folder / f"{STEPS[3]}.png"))
    finally:
        context.close()
    for step in STEPS:
        for taken in (folder / f"{step}.png", PICTURES / f"{step}.png"):
            assert taken.exists(), f"{taken} is missing (LAMBA_WRITE_PICTURES=1 takes it)"
            assert png_size(taken) == SIZE, taken
            assert taken.stat().st_size <= MAX_BYTES, f"{taken} is too large"


@pytest.mark.parametrize("page", ["README.md", "docs/sign-in-flows.md"])
def test_the_pictures_are_shown(page: str) -> None:
    text = (REPO_ROOT / page).read_text()
    for step in STEPS:
        assert f"img/{step}.png" in text, f"{page} does not show {step}"
