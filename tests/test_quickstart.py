"""docs/quickstart.md, followed as written: a fresh project signs in against the emulator.

Each block the page marks with ``<!-- quickstart: WHAT [PATH] -->`` is applied in order in a
temporary directory: ``shell`` blocks run (the ``pip install`` line is skipped: the package is
installed already), ``append``/``write`` blocks go into the named file, the ``emulator`` block
starts the emulator, whose printed block is pasted into a shell, and the ``site`` block runs
there. Only ports differ from the page (free ones, so parallel runs do not collide).
"""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import pytest
import requests

import django_lamba
from django_lamba.testing.__main__ import settings_block
from django_lamba.testing.demo import DEMO_PASSWORD
from tests.conftest import pick_free_port

REPO_ROOT = Path(__file__).resolve().parent.parent
QUICKSTART = REPO_ROOT / "docs" / "quickstart.md"
MARKED = re.compile(
    r"^<!-- quickstart: (?P<what>[\w-]+)(?: (?P<path>\S+))? -->\n```[\w+-]*\n(?P<body>.*?)^```",
    re.DOTALL | re.MULTILINE,
)
TIMEOUT = 30.0


@dataclass(frozen=True)
class Block:
    what: str
    path: str
    body: str


def blocks() -> list[Block]:
    """Return the page's marked blocks in order."""
    text = QUICKSTART.read_text()
    return [Block(m["what"], m["path"] or "", m["body"]) for m in MARKED.finditer(text)]


def commands(block: Block) -> list[str]:
    """Return a console block's commands, without their trailing comments."""
    return [line.split("  #")[0].strip() for line in block.body.splitlines() if line.strip()]


def clean_env(workdir: Path) -> dict[str, str]:
    """This environment minus LAMBA_* and the suite's settings, with this django_lamba first."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("LAMBA_") and name != "DJANGO_SETTINGS_MODULE"
    }
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    # The django_lamba under test is the one this process imports (the wheel under tox).
    env["PYTHONPATH"] = os.pathsep.join(
        [str(Path(django_lamba.__file__).resolve().parent.parent), str(workdir)]
    )
    env["PYTHONUNBUFFERED"] = "1"
    return env


def run(command: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", "-c", command], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )


def read_until(stream: IO[str], marker: str) -> str:
    """Return what ``stream`` printed up to the line that starts with ``marker``."""
    lines: list[str] = []
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        line = stream.readline()
        if not line:
            break
        if line.startswith(marker):
            return "".join(lines)
        lines.append(line)
    pytest.fail("the emulator did not print its settings:\n" + "".join(lines))


def stop(process: subprocess.Popen[str]) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)


@dataclass
class Project:
    root: Path
    env: dict[str, str]
    site_commands: list[str]


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Project]:
    """Build the quickstart's project and start its emulator; yield the pasted environment."""
    root = tmp_path_factory.mktemp("quickstart")
    env = clean_env(root)
    emulator_block = site_block = None
    for block in blocks():
        if block.what == "shell":
            for command in commands(block):
                if command.startswith("python -m pip install"):
                    continue
                result = run(command, root, env)
                assert result.returncode == 0, (command, result.stderr)
        elif block.what == "append":
            with (root / block.path).open("a") as out:
                out.write("\n" + block.body)
        elif block.what == "write":
            (root / block.path).parent.mkdir(parents=True, exist_ok=True)
            (root / block.path).write_text(block.body)
        elif block.what == "emulator":
            emulator_block = block
        elif block.what == "site":
            site_block = block
    assert emulator_block is not None and site_block is not None
    [emulator_command] = commands(emulator_block)
    site_port = pick_free_port()
    ports = f" --auth-port {pick_free_port()} --api-port {pick_free_port()}"
    ports += f" --site-url http://127.0.0.1:{site_port}"
    emulator = subprocess.Popen(
        ["bash", "-c", "exec " + emulator_command + ports],
        cwd=root,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert emulator.stdout is not None
        printed = read_until(emulator.stdout, "# Demo users:")
        # Paste the printed block into a shell, as the page says, and keep what it exported.
        pasted = run(printed + "\nenv -0", root, env)
        assert pasted.returncode == 0, pasted.stderr
        assert pasted.stderr == ""
        exported = dict(item.split("=", 1) for item in pasted.stdout.split("\0") if "=" in item)
        env = {**env, **{k: v for k, v in exported.items() if k.startswith("LAMBA_")}}
        env["SITE_PORT"] = str(site_port)
        yield Project(root, env, commands(site_block))
    finally:
        stop(emulator)


def test_the_emulator_block_pastes_into_a_shell(project: Project) -> None:
    assert project.env["LAMBA_CUSTOMER_AUTH_BASE_URL"].startswith("http://127.0.0.1:")
    assert project.env["LAMBA_COOKIE_SECURE"] == "False"


def test_the_quickstart_project_signs_in(project: Project) -> None:
    check, migrate, runserver = project.site_commands
    assert (check, migrate, runserver) == (
        "python manage.py check",
        "python manage.py migrate",
        "python manage.py runserver",
    )
    checked = run(check, project.root, project.env)
    assert checked.returncode == 0, checked.stderr
    assert "System check identified no issues" in checked.stdout
    migrated = run(migrate, project.root, project.env)
    assert migrated.returncode == 0, migrated.stderr

    port = project.env["SITE_PORT"]
    server = subprocess.Popen(
        ["bash", "-c", f"exec {runserver} 127.0.0.1:{port} --noreload"],
        cwd=project.root,
        env=project.env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(url, server)
        browser = requests.Session()
        home = browser.get(url + "/", timeout=10)
        assert home.status_code == 200
        assert "Sign in" in home.text
        browser.get(url + "/auth/login/", timeout=10)
        signed_in = browser.post(
            url + "/auth/login/",
            {
                "login": "admin@example.com",
                "password": DEMO_PASSWORD,
                "csrfmiddlewaretoken": browser.cookies["csrftoken"],
            },
            timeout=10,
        )
        assert signed_in.status_code == 200, signed_in.text[-2000:]
        assert signed_in.url == url + "/dashboard/"
        assert "Hello, Ada Admin" in signed_in.text
        assert "You are in Demo Project." in signed_in.text
        members = browser.get(url + "/members/", timeout=10)
        assert members.status_code == 200
        assert "member@example.com" in members.text
        assert "Signed in as Ada Admin" in browser.get(url + "/", timeout=10).text
        signed_out = browser.post(
            url + "/auth/logout/",
            {"csrfmiddlewaretoken": browser.cookies["csrftoken"]},
            timeout=10,
        )
        assert signed_out.url == url + "/"
        assert "You are signed out." in signed_out.text
    finally:
        stop(server)


def wait_until_serving(url: str, server: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        assert server.poll() is None, "runserver exited"
        try:
            requests.get(url + "/", timeout=2)
            return
        except requests.ConnectionError:
            time.sleep(0.1)
    pytest.fail(f"runserver did not serve {url}")


def test_a_missing_required_app_is_named(project: Project) -> None:
    settings = project.root / "mysite" / "settings.py"
    original = settings.read_text()
    try:
        settings.write_text(original + '\nINSTALLED_APPS.remove("django.contrib.auth")\n')
        result = run("python manage.py check", project.root, project.env)
    finally:
        settings.write_text(original)
    assert result.returncode != 0
    last = result.stderr.strip().splitlines()[-1]
    assert "django_lamba needs 'django.contrib.auth' in INSTALLED_APPS" in last


def test_settings_can_be_printed_as_python() -> None:
    values = {"LAMBA_CUSTOMER_ENV": "test", "LAMBA_COOKIE_SECURE": "False"}
    block = settings_block(values, ["http://127.0.0.1:8000/cb/"], python=True)
    assigned: dict[str, object] = {}
    exec(compile(ast.parse(block), "<settings>", "exec"), {}, assigned)  # noqa: S102
    assert assigned == {"LAMBA_CUSTOMER_ENV": "test", "LAMBA_COOKIE_SECURE": False}
    shell = settings_block(values, ["http://127.0.0.1:8000/cb/"], python=False)
    assert all(line.startswith(("#", "export ")) for line in shell.splitlines())
