"""The README's demo command: ``manage.py rundemo`` serves the example site on its own emulator."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from django_lamba.testing.demo import DEMO_PASSWORD
from tests.conftest import pick_free_port

REPO_ROOT = Path(__file__).resolve().parent.parent
MANAGE = "example_project/manage.py"
START_TIMEOUT = 30.0


def _clean_env(tmp_path: Path) -> dict[str, str]:
    """Return this environment minus LAMBA_* and the test suite's settings module."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("LAMBA_") and name != "DJANGO_SETTINGS_MODULE"
    }
    env.update(EXAMPLE_DATABASE=str(tmp_path / "db.sqlite3"), PYTHONUNBUFFERED="1")
    return env


@dataclass
class Demo:
    url: str
    auth_port: int
    api_port: int
    process: subprocess.Popen[bytes]
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace")


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[Demo]:
    """Start ``rundemo`` with the embedded emulator on free ports."""
    port, auth_port, api_port = pick_free_port(), pick_free_port(), pick_free_port()
    log = tmp_path / "rundemo.log"
    command = [sys.executable, MANAGE, "rundemo", "--port", str(port)]
    command += ["--auth-port", str(auth_port), "--api-port", str(api_port)]
    with log.open("wb") as out:
        process = subprocess.Popen(
            command, cwd=REPO_ROOT, env=_clean_env(tmp_path), stdout=out, stderr=subprocess.STDOUT
        )
    demo = Demo(f"http://127.0.0.1:{port}", auth_port, api_port, process, log)
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            assert process.poll() is None, f"rundemo exited:\n{demo.output()[-4000:]}"
            assert time.monotonic() < deadline, f"rundemo never served:\n{demo.output()[-4000:]}"
            try:
                if requests.get(demo.url + "/", timeout=2).status_code == 200:
                    break
            except requests.ConnectionError:
                time.sleep(0.1)
        yield demo
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=5)


def _port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _post_form(session: requests.Session, url: str, data: dict[str, str]) -> requests.Response:
    session.get(url, timeout=5)
    data = {**data, "csrfmiddlewaretoken": session.cookies["csrftoken"]}
    return session.post(url, data=data, timeout=10)


def test_check_is_clean(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, MANAGE, "check"],
        cwd=REPO_ROOT,
        env=_clean_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


def test_rundemo_serves_the_site_on_its_emulator(demo: Demo) -> None:
    output = demo.output()
    assert f"open {demo.url}/" in output
    assert re.search(rf"admin@example\.com +{DEMO_PASSWORD} +\+1555", output)
    home = requests.get(demo.url + "/", timeout=5).text
    assert "member@example.com" in home  # the demo accounts table

    browser = requests.Session()
    signed_in = _post_form(
        browser,
        demo.url + "/auth/login/",
        {"login": "member@example.com", "password": DEMO_PASSWORD},
    )
    assert signed_in.url == demo.url + "/dashboard/"
    assert "Demo Project" in signed_in.text  # switched into the emulator's Project at sign-in
    assert "View members" in signed_in.text

    admin = requests.Session()
    dashboard = _post_form(
        admin, demo.url + "/auth/login/", {"login": "admin@example.com", "password": DEMO_PASSWORD}
    ).text
    # Tenant binding: the Labs Workspace's Project is listed but cannot be entered here.
    labs_row = re.search(r'<tr data-project="prj_labs">.*?</tr>', dashboard, re.DOTALL)
    assert labs_row and "not served by this site" in labs_row[0]
    assert 'name="projectId" value="prj_labs"' not in dashboard
    assert 'name="projectId" value="prj_mobile"' in dashboard
    # Customer words, and the verified phone shown as a masked number.
    assert '<dd data-testid="amr">Password</dd>' in dashboard
    phone = re.search(r'<dd data-testid="phone">(.*?)</dd>', dashboard, re.DOTALL)
    assert phone and "••••••••••01" in phone[1] and "+15550000001" not in dashboard

    # The members page: admins also see invitations, read and sent with the admin API.
    assert "Pending invitations" not in browser.get(demo.url + "/members/", timeout=10).text
    assert "Pending invitations" in admin.get(demo.url + "/members/", timeout=10).text
    invited = _post_form(admin, demo.url + "/members/invite/", {"email": "friend@example.com"})
    assert "Invited friend@example.com" in invited.text
    assert re.search(r"<title>Members[^<]*</title>", invited.text)  # the card is in the page
    assert re.search(r'data-testid="invitations".*friend@example\.com', invited.text, re.DOTALL)

    sent = _post_form(browser, demo.url + "/auth/magic-link/", {"email": "admin@example.com"})
    assert sent.status_code == 200
    link = re.compile(
        rf"\[outbox\] sign-in link for admin@example\.com: {re.escape(demo.url)}/auth/magic-link/"
    )
    deadline = time.monotonic() + 10
    while not link.search(demo.output()):
        assert time.monotonic() < deadline, demo.output()[-2000:]
        time.sleep(0.05)


def test_ctrl_c_stops_the_site_and_the_emulator(demo: Demo) -> None:
    assert _port_open(demo.auth_port)
    demo.process.send_signal(signal.SIGINT)
    assert demo.process.wait(timeout=15) == 0
    assert not _port_open(demo.auth_port)
    assert not _port_open(demo.api_port)


def test_sign_out_everywhere_ends_the_other_browsers_session_through_a_webhook(
    demo: Demo,
) -> None:
    login = {"login": "member@example.com", "password": DEMO_PASSWORD}
    laptop, phone = requests.Session(), requests.Session()
    for browser in (laptop, phone):
        assert (
            _post_form(browser, demo.url + "/auth/login/", login).url == demo.url + "/dashboard/"
        )
    assert phone.get(demo.url + "/dashboard/", timeout=5).url == demo.url + "/dashboard/"

    done = _post_form(laptop, demo.url + "/sessions/", {})

    assert 'data-testid="revoked"' in done.text
    assert 'data-testid="signed-out"' in done.text
    assert re.search(r"session\.revoked</td><td>processed", done.text)
    # The phone's context was cached a moment ago; the webhook ended it anyway.
    assert phone.get(demo.url + "/dashboard/", timeout=5).url.startswith(demo.url + "/auth/login/")
