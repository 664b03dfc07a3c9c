"""The example site's /notes/: rows with a ``ForeignKey`` to the customer, with local users on."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from django_lamba.testing.demo import DEMO_PASSWORD
from tests.conftest import pick_free_port
from tests.test_example_project import (
    MANAGE,
    REPO_ROOT,
    START_TIMEOUT,
    Demo,
    _clean_env,
    _post_form,
)


def _start(tmp_path: Path, local_users: bool) -> Demo:
    port = pick_free_port()
    command = [sys.executable, MANAGE, "rundemo", "--port", str(port)]
    command += ["--auth-port", str(pick_free_port()), "--api-port", str(pick_free_port())]
    env = _clean_env(tmp_path)
    if local_users:
        env["LAMBA_LOCAL_USERS"] = "1"
    log = tmp_path / "rundemo.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            command, cwd=REPO_ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
        )
    demo = Demo(f"http://127.0.0.1:{port}", 0, 0, process, log)
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        assert process.poll() is None, f"rundemo exited:\n{demo.output()[-4000:]}"
        assert time.monotonic() < deadline, f"rundemo never served:\n{demo.output()[-4000:]}"
        try:
            if requests.get(demo.url + "/", timeout=2).status_code == 200:
                return demo
        except requests.ConnectionError:
            time.sleep(0.1)


@pytest.fixture(params=[True, False], ids=["local-users", "default"])
def site(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Demo, bool]]:
    demo = _start(tmp_path, request.param)
    try:
        yield demo, request.param
    finally:
        demo.process.kill()
        demo.process.wait(timeout=5)


def test_notes_belong_to_the_signed_in_customer_only_with_local_users(
    site: tuple[Demo, bool],
) -> None:
    demo, local_users = site
    browsers = {}
    for email in ("member@example.com", "admin@example.com"):
        browser = requests.Session()
        signed_in = _post_form(
            browser, demo.url + "/auth/login/", {"login": email, "password": DEMO_PASSWORD}
        )
        assert signed_in.url == demo.url + "/dashboard/"
        browsers[email] = browser
    member, admin = browsers["member@example.com"], browsers["admin@example.com"]
    if not local_users:
        assert "LAMBA_LOCAL_USERS=1" in member.get(demo.url + "/notes/", timeout=5).text
        return
    added = _post_form(member, demo.url + "/notes/", {"text": "a note of the member"})
    assert added.url == demo.url + "/notes/"
    assert "a note of the member" in added.text
    assert "a note of the member" not in admin.get(demo.url + "/notes/", timeout=5).text
