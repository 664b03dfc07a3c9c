"""Every sign-in path in a real browser: headless Chromium drives the example project.

The example site runs in a subprocess (``manage.py rundemo`` with ``LAMBA_*`` pointing at an
emulator this module owns), so it is exactly what ``tox -e demo`` serves. Chromium is Debian's
``/usr/bin/chromium`` driven by the ``playwright`` package; ``playwright install`` is never run.
After each sign-in the browser is searched for the tokens: they must live only in HttpOnly
cookies, never in the page, the address bar, the URLs fetched, Web Storage or ``document.cookie``.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests

from django_lamba.testing import LambaEmulator
from django_lamba.testing.demo import DEMO_MFA_CODE, DEMO_PASSWORD, seed_demo_users
from tests.conftest import pick_free_port, skip_or_fail

pytestmark = pytest.mark.browser

REPO_ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ACCESS_COOKIE = "lamba_access_token"
REFRESH_COOKIE = "lamba_refresh_token"
CLIENT_ID = "browser-test-client"
START_TIMEOUT = 30.0
STEP_TIMEOUT_MS = 10_000
# Anything shaped like a JWT (access token, ID token): base64url JSON header and payload.
JWT = re.compile(r"eyJ[\w-]{8,}\.eyJ[\w-]{8,}\.")


@dataclass
class Site:
    url: str
    log: Path

    def log_tail(self) -> str:
        """Return the end of the site's output (shown when a step fails)."""
        return self.log.read_text(errors="replace")[-4000:] if self.log.exists() else ""


@dataclass
class Browsing:
    """One fresh browser context (its own cookie jar) and every URL it requested."""

    page: Any
    context: Any
    urls: list[str] = field(default_factory=list)


# --- fixtures ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def emulator() -> Iterator[LambaEmulator]:
    """Run a private emulator; each test re-seeds it."""
    with LambaEmulator() as emu:
        yield emu


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    """Launch one headless Chromium for the module, or skip (fail in CI) when it is missing."""
    try:
        from playwright.sync_api import Error as PlaywrightError
        from playwright.sync_api import sync_playwright
    except ImportError:
        skip_or_fail("the playwright package is not installed (pip install playwright)")
    if not os.access(CHROMIUM, os.X_OK):
        skip_or_fail(f"{CHROMIUM} is missing (apt-get install chromium)")
    with sync_playwright() as playwright:
        try:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        except PlaywrightError as exc:
            skip_or_fail(f"Chromium did not start: {str(exc).splitlines()[0]}")
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture(scope="module")
def site(emulator: LambaEmulator, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """Serve example_project with ``rundemo`` against the module's emulator."""
    port = pick_free_port()
    url = f"http://127.0.0.1:{port}"
    workdir = tmp_path_factory.mktemp("example_site")
    log = workdir / "site.log"
    # pytest-django exported DJANGO_SETTINGS_MODULE=tests.settings: the site uses its own.
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("LAMBA_") and name != "DJANGO_SETTINGS_MODULE"
    }
    env.update(
        LAMBA_CUSTOMER_AUTH_BASE_URL=emulator.auth_url,
        LAMBA_CUSTOMER_API_BASE_URL=emulator.api_url,
        LAMBA_CUSTOMER_WORKSPACE_ID=emulator.workspace_id,
        LAMBA_CUSTOMER_PROJECT_ID=emulator.project_id,
        LAMBA_CUSTOMER_ENV=emulator.environment,
        # The site serves two Projects of the demo Workspace (see ``seeded``).
        LAMBA_ALLOWED_PROJECTS=(
            f"{emulator.workspace_id}/{emulator.project_id},{emulator.workspace_id}/prj_second"
        ),
        LAMBA_CLIENT_ID=CLIENT_ID,
        EXAMPLE_DATABASE=str(workdir / "db.sqlite3"),
        # The debug toolbar's tab would sit over the pages these tests click through.
        EXAMPLE_DEBUG_TOOLBAR="0",
        PYTHONUNBUFFERED="1",
    )
    command = [sys.executable, "example_project/manage.py", "rundemo", "--port", str(port)]
    with log.open("wb") as out:
        process = subprocess.Popen(
            command, cwd=REPO_ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
        )
    try:
        _wait_until_serving(url, process, log)
        yield Site(url, log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


def _wait_until_serving(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"rundemo exited with {process.returncode}:\n{log.read_text()[-4000:]}")
        try:
            if requests.get(url + "/", timeout=2).status_code == 200:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.1)
    pytest.fail(f"rundemo did not serve {url} within {START_TIMEOUT}s:\n{log.read_text()[-4000:]}")


@pytest.fixture
def seeded(emulator: LambaEmulator, site: Site) -> LambaEmulator:
    """Reset the emulator: demo users, a second Project, the site's OIDC client."""
    emulator.reset()
    seed_demo_users(emulator)
    emulator.add_project(emulator.workspace_id, "prj_second", "Second Project")
    emulator.grant("admin@example.com", project_id="prj_second", roles=["viewer"])
    emulator.add_oidc_client(CLIENT_ID, [f"{site.url}/auth/oidc/callback/"])
    return emulator


@pytest.fixture
def browsing(chromium: Any, site: Site, seeded: LambaEmulator) -> Iterator[Browsing]:
    """Open a fresh browser context on the site; print the site's log if the test fails."""
    context = chromium.new_context(base_url=site.url)
    context.set_default_timeout(STEP_TIMEOUT_MS)
    page = context.new_page()
    browsing = Browsing(page, context)
    context.on("request", lambda request: browsing.urls.append(request.url))
    try:
        yield browsing
    except Exception:  # pragma: no cover - diagnostics only
        print(site.log_tail())
        raise
    finally:
        context.close()


# --- helpers -------------------------------------------------------------------------------


def lamba_cookies(browsing: Browsing) -> dict[str, dict[str, Any]]:
    """Return the browser's Lamba token cookies by name."""
    names = (ACCESS_COOKIE, REFRESH_COOKIE)
    return {c["name"]: c for c in browsing.context.cookies() if c["name"] in names}


def assert_signed_in_safely(browsing: Browsing, email: str) -> None:
    """Check the dashboard shows ``email`` and the tokens are only in HttpOnly cookies."""
    page = browsing.page
    page.wait_for_url("**/dashboard/")
    assert page.get_by_test_id("email").inner_text().startswith(email)
    cookies = lamba_cookies(browsing)
    assert set(cookies) == {ACCESS_COOKIE, REFRESH_COOKIE}
    for cookie in cookies.values():
        assert cookie["httpOnly"] is True, cookie["name"]
        assert cookie["sameSite"] == "Lax", cookie["name"]
        assert cookie["path"] == "/", cookie["name"]
    tokens = [cookie["value"] for cookie in cookies.values()]
    exposed = page.evaluate(
        """() => JSON.stringify({
            local: Object.entries(localStorage),
            session: Object.entries(sessionStorage),
            cookie: document.cookie,
        })"""
    )
    html = page.content()
    for where, text in [("page", html), ("storage", exposed), ("address bar", page.url)] + [
        ("requested URL", url) for url in browsing.urls
    ]:
        for token in tokens:
            assert token not in text, f"a token is visible in the {where}"
        assert not JWT.search(text), f"something JWT-shaped is visible in the {where}"
    assert ACCESS_COOKIE not in exposed and REFRESH_COOKIE not in exposed


def sign_in_with_password(browsing: Browsing, email: str, password: str = DEMO_PASSWORD) -> None:
    """Sign in through the site's sign-in chooser and the password form."""
    page = browsing.page
    page.goto("/sign-in/")
    page.get_by_role("link", name="Email and password").click()
    page.get_by_label("Email or username").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


# --- flows ---------------------------------------------------------------------------------


def test_register_then_sign_out(browsing: Browsing) -> None:
    page = browsing.page
    page.goto("/")
    page.get_by_role("link", name="Sign up").click()
    page.get_by_label("Email").fill("newcomer@example.com")
    page.get_by_label("Password").fill("a-long-new-password")
    page.get_by_label("Display name").fill("New Comer")
    page.get_by_role("button", name="Create account").click()
    assert_signed_in_safely(browsing, "newcomer@example.com")
    assert page.get_by_test_id("project").inner_text().startswith("Demo Project")

    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(re.compile(r"^http://127\.0\.0\.1:\d+/$"))
    assert lamba_cookies(browsing) == {}
    page.goto("/dashboard/")
    assert "/auth/login/?next=/dashboard/" in page.url


def test_password_sign_in_shows_what_the_role_allows(
    browsing: Browsing, seeded: LambaEmulator
) -> None:
    page = browsing.page
    sign_in_with_password(browsing, "member@example.com")
    assert_signed_in_safely(browsing, "member@example.com")
    nav = page.get_by_role("navigation", name="Main")
    assert nav.get_by_role("link", name="Members").is_visible()
    assert nav.get_by_role("link", name="Project admin").count() == 0
    assert "members.read" in page.get_by_test_id("permissions").inner_text()
    assert page.get_by_test_id("django-perm").inner_text() == "True"  # via LambaBackend

    nav.get_by_role("link", name="Members").click()
    rows = page.get_by_test_id("members").locator("tbody tr")
    assert rows.count() == 3  # MEMBERS_PAGE_SIZE; the fourth member is on the next page
    page.get_by_role("link", name="Next page").click()
    assert "cursor=" in page.url
    assert page.get_by_test_id("members").locator("tbody tr").count() == 1

    response = page.goto("/project-admin/")
    assert response is not None and response.status == 403

    # The example's DRF endpoint answers from the same cookies.
    api = page.request.get("/api/members/", headers={"Accept": "application/json"})
    assert api.status == 200
    assert len(api.json()["items"]) == 4


def test_viewer_sees_no_member_pages(browsing: Browsing) -> None:
    page = browsing.page
    sign_in_with_password(browsing, "viewer@example.com")
    assert_signed_in_safely(browsing, "viewer@example.com")
    assert (
        page.get_by_role("navigation", name="Main").get_by_role("link", name="Members").count()
        == 0
    )
    assert page.get_by_test_id("actions").get_by_role("link", name="View members").count() == 0
    assert page.get_by_test_id("django-perm").inner_text() == "False"
    response = page.goto("/members/")
    assert response is not None and response.status == 403
    api = page.request.get("/api/members/", headers={"Accept": "application/json"})
    assert api.status == 403


def test_wrong_password_then_mfa(browsing: Browsing) -> None:
    page = browsing.page
    sign_in_with_password(browsing, "mfa@example.com", "not-the-password")
    assert page.get_by_role("alert").is_visible()
    assert lamba_cookies(browsing) == {}

    page.get_by_label("Email or username").fill("mfa@example.com")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    code = page.get_by_label("Verification code")
    code.fill("000000")
    page.get_by_role("button", name="Verify").click()
    assert page.get_by_role("alert").is_visible()
    assert lamba_cookies(browsing) == {}
    # The password never went back to the browser for the second step.
    assert DEMO_PASSWORD not in page.content()

    page.get_by_label("Verification code").fill(DEMO_MFA_CODE)
    page.get_by_role("button", name="Verify").click()
    assert_signed_in_safely(browsing, "mfa@example.com")
    assert page.get_by_test_id("mfa").inner_text() == "Done"


def test_magic_link(browsing: Browsing, seeded: LambaEmulator) -> None:
    page = browsing.page
    page.goto("/sign-in/")
    page.get_by_role("link", name="Email me a sign-in link").click()
    page.get_by_label("Email").fill("admin@example.com")
    page.get_by_role("button", name="Send me a link").click()
    page.get_by_text("sign-in link is on its way").wait_for()

    link = seeded.last_magic_link("admin@example.com")
    page.goto(link)
    # Opening the link (as a mail scanner would) signs nobody in and drops the token from the URL.
    assert "token=" not in page.url
    assert lamba_cookies(browsing) == {}
    page.get_by_role("button", name="Sign in").click()
    assert_signed_in_safely(browsing, "admin@example.com")

    # The link works once.
    browsing.context.clear_cookies()
    page.goto(link)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("alert").wait_for()
    assert lamba_cookies(browsing) == {}


def test_phone_code(browsing: Browsing, seeded: LambaEmulator) -> None:
    page = browsing.page
    phone = seeded.get_user("member@example.com").phone
    assert phone
    page.goto("/sign-in/")
    page.get_by_role("link", name="Text me a code").click()
    page.get_by_label("Phone number").fill("555 123")
    page.get_by_role("button", name="Send me a code").click()
    assert "international format" in page.content()

    page.get_by_label("Phone number").fill(phone)
    page.get_by_role("button", name="Send me a code").click()
    page.get_by_label("Code").fill(seeded.last_sms_code(phone))
    page.get_by_role("button", name="Verify").click()
    assert_signed_in_safely(browsing, "member@example.com")


def test_oidc_hosted_sign_in(browsing: Browsing, seeded: LambaEmulator) -> None:
    page = browsing.page
    page.goto("/sign-in/")
    page.get_by_role("link", name=re.compile("Continue with Lamba")).click()
    page.wait_for_url(seeded.auth_url + "/connect/authorize**")
    page.get_by_label("Email or username").fill("admin@example.com")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    assert_signed_in_safely(browsing, "admin@example.com")
    # Exchanged into a session scoped to the configured Project.
    assert "prj_demo" in page.get_by_test_id("project").inner_text()


def test_switch_context(browsing: Browsing) -> None:
    page = browsing.page
    sign_in_with_password(browsing, "admin@example.com")
    assert_signed_in_safely(browsing, "admin@example.com")
    before = lamba_cookies(browsing)[ACCESS_COOKIE]["value"]
    nav = page.get_by_role("navigation", name="Main")
    assert nav.get_by_role("link", name="Project admin").is_visible()

    page.locator('tr[data-project="prj_second"]').get_by_role("button", name="Switch").click()
    assert_signed_in_safely(browsing, "admin@example.com")
    assert "prj_second" in page.get_by_test_id("project").inner_text()
    assert page.get_by_test_id("roles").inner_text().split() == ["viewer"]
    # New cookies, and the menu follows the role in the new Project.
    assert lamba_cookies(browsing)[ACCESS_COOKIE]["value"] != before
    assert nav.get_by_role("link", name="Project admin").count() == 0
    assert nav.get_by_role("link", name="Members").count() == 0
