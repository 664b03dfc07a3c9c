"""Local users meet Django: auth signals, concurrent first requests, migrations, user models."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection
from django.test import Client

from django_lamba._internal.session import resolve_access_token
from django_lamba.models import LambaIdentity
from django_lamba.testing import EmulatedUser, LambaEmulator
from django_lamba.testing.pytest_plugin import LAMBA_USER_PASSWORD
from django_lamba.user import LambaUser
from tests.conftest import skip_or_fail

LOGIN = "/auth/login/"
REPO_ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def local_users(lamba: LambaEmulator, settings: Any) -> None:
    settings.LAMBA_LOCAL_USERS = True


@pytest.mark.django_db
def test_a_sign_in_sends_user_logged_in_with_the_row_and_updates_last_login(
    local_users: None,
    lamba: LambaEmulator,
    lamba_user: EmulatedUser,
    heard: dict[str, list[dict[str, Any]]],
) -> None:
    client = Client()
    response = client.post(LOGIN, {"login": lamba_user.email, "password": LAMBA_USER_PASSWORD})
    assert response.status_code == 302
    (event,) = heard["in"]
    user = get_user_model().objects.get()
    assert event["user"] == user and isinstance(event["user"], LambaUser)
    # Named as django.contrib.auth names it, so `connect(..., sender=User)` hears it.
    assert event["sender"] is get_user_model()
    # Django's update_last_login receiver saved the row through the user model itself.
    assert user.last_login is not None
    assert event["user"].last_login == user.last_login

    assert client.post("/auth/logout/").status_code == 302
    (event,) = heard["out"]
    assert event["user"] == user
    assert event["sender"] is get_user_model()


@pytest.mark.django_db
def test_a_refused_sign_in_sends_user_login_failed_and_creates_nobody(
    local_users: None,
    lamba: LambaEmulator,
    lamba_user: EmulatedUser,
    heard: dict[str, list[dict[str, Any]]],
) -> None:
    response = Client().post(LOGIN, {"login": lamba_user.email, "password": "wrong-password"})
    assert response.status_code == 401
    assert len(heard["failed"]) == 1
    assert heard["in"] == []
    assert get_user_model().objects.count() == 0


@pytest.mark.django_db
def test_the_backends_authenticate_returns_the_local_row(
    local_users: None, lamba: LambaEmulator, lamba_user: EmulatedUser
) -> None:
    from django.contrib.auth import authenticate

    from django_lamba.types import TokenSet

    tokens = lamba.issue_session(
        lamba_user.email,
        workspace_id=lamba.workspace_id,
        project_id=lamba.project_id,
        environment=lamba.environment,
    )
    user = authenticate(None, lamba_tokens=TokenSet(access_token=tokens["access_token"]))
    assert isinstance(user, get_user_model()) and isinstance(user, LambaUser)
    assert user.pk == get_user_model().objects.get().pk
    assert user.get_all_permissions() == {"members.read"}


@pytest.mark.django_db(transaction=True)
def test_concurrent_first_requests_create_one_user(
    local_users: None, lamba: LambaEmulator, lamba_user: EmulatedUser, settings: Any
) -> None:
    if connection.vendor != "postgresql":
        skip_or_fail(
            "concurrent first sign-ins need a database server (set LAMBA_TEST_PG_HOST; "
            "SQLite in memory serializes everything)"
        )
    settings.LAMBA_LOCAL_USER_CACHE_TTL = 0  # every thread goes to the database
    threads = 8
    tokens = [
        lamba.issue_session(
            lamba_user.email,
            workspace_id=lamba.workspace_id,
            project_id=lamba.project_id,
            environment=lamba.environment,
        )["access_token"]
        for _ in range(threads)
    ]
    barrier = threading.Barrier(threads)

    def first_request(token: str) -> Any:
        try:
            barrier.wait()
            user = resolve_access_token(token)  # each thread has its own connection
            return user.pk
        finally:
            connection.close()

    with ThreadPoolExecutor(threads) as pool:
        pks = list(pool.map(first_request, tokens))
    assert get_user_model().objects.count() == 1
    assert LambaIdentity.objects.count() == 1
    assert set(pks) == {get_user_model().objects.get().pk}


@pytest.mark.django_db
def test_makemigrations_finds_no_missing_migration() -> None:
    # Raises SystemExit(1) when a model change has no migration (the local users' too).
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)


@pytest.mark.django_db
def test_local_users_work_with_a_custom_user_model_without_username() -> None:
    """Run tests/test_local_users_email.py under ``AUTH_USER_MODEL = "emailusers.EmailUser"``.

    The swapped model must be in place before any model is loaded, hence another process
    (on SQLite: this process's PostgreSQL test database is its own).
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("LAMBA_TEST_PG_")}
    env["PYTHONPATH"] = str(REPO_ROOT)
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
    command += ["--ds=tests.settings_emailusers", "tests/test_local_users_email.py"]
    done = subprocess.run(
        command, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert " passed" in done.stdout and "skipped" not in done.stdout
