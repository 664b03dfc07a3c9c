"""The ``lamba_clock`` fixture: tokens expire when the test says so, without sleeping."""

from __future__ import annotations

from django_lamba.testing import EmulatedUser, FrozenClock, LambaEmulator, client_with_tokens


def test_advancing_the_clock_expires_the_access_token_and_refreshes_it(
    lamba: LambaEmulator, lamba_user: EmulatedUser, lamba_clock: FrozenClock
) -> None:
    tokens = lamba.issue_session(
        lamba_user.email,
        workspace_id=lamba.workspace_id,
        project_id=lamba.project_id,
        access_token_ttl=60,
    )
    client = client_with_tokens(tokens)
    assert client.get("/whoami/").content == lamba_user.email.encode()
    assert lamba.call_count("POST", "/v1/auth/refresh") == 0

    lamba_clock.advance(600)  # well past the token's lifetime and the verification leeway

    assert client.get("/whoami/").content == lamba_user.email.encode()
    assert lamba.call_count("POST", "/v1/auth/refresh") == 1
