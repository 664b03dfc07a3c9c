"""Local users with a custom user model keyed by email and without ``username``.

Run by ``test_local_users_signin.py`` in another process with ``--ds=tests.settings_emailusers``;
skipped under the default settings.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model

from django_lamba.localusers import get_local_user
from django_lamba.models import LambaIdentity
from django_lamba.testing import EmulatedUser, LambaEmulator, client_with_tokens
from tests.localapp.models import Note

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        settings.AUTH_USER_MODEL != "emailusers.EmailUser",
        reason="needs --ds=tests.settings_emailusers (run by test_local_users_signin.py)",
    ),
]


def test_an_email_keyed_user_model_gets_a_row_per_customer(
    lamba: LambaEmulator, lamba_user: EmulatedUser, settings: Any
) -> None:
    settings.LAMBA_LOCAL_USERS = True
    tokens = lamba.issue_session(
        lamba_user.email,
        workspace_id=lamba.workspace_id,
        project_id=lamba.project_id,
        environment=lamba.environment,
    )
    client = client_with_tokens(tokens)
    found = client.get("/local/who/").json()
    user = get_user_model().objects.get()
    assert type(user).__name__ == "EmailUser"
    assert found["pk"] == user.pk and found["is_row"] and found["is_lamba_user"]
    assert found["username"] == lamba_user.email  # USERNAME_FIELD is the email
    assert user.first_name == "Test User"  # type: ignore[attr-defined]
    # No PermissionsMixin on this model: Lamba's permissions answer has_perm.
    assert found["has_perm"] is True and found["has_other_perm"] is False
    assert LambaIdentity.objects.get().user_id == user.pk
    assert client.post("/local/notes/add/", {"text": "mine"}).status_code == 200
    assert Note.objects.get().owner == get_local_user(lamba_user.id)
