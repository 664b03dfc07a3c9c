"""Auth-host passwordless routes: magic-link and phone-code sign-in."""

from __future__ import annotations

import secrets
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

from ._directory import E164, EMAIL
from ._errors import Problem, validation_failed
from ._fields import same, text_field
from ._http import RequestContext, Response, json_response
from ._session_records import MagicLink, OutboxMessage, PhoneCode
from ._sessions import login
from ._tokens import random_token

MAX_PHONE_ATTEMPTS = 5
ACCEPTED: dict[str, Any] = {"status": "accepted"}


def _with_token(redirect_uri: str, token: str) -> str:
    parts = urlsplit(redirect_uri)
    query = f"{parts.query}&token={quote(token)}" if parts.query else f"token={quote(token)}"
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))


def magic_link_request(ctx: RequestContext) -> Response:
    """POST /v1/auth/login/magic-link/request: email a single-use sign-in link."""
    state = ctx.state
    data = ctx.json()
    errors: dict[str, list[str]] = {}
    email = text_field(data, "email", errors)
    redirect_uri = text_field(data, "redirectUri", errors)
    if email is not None and not EMAIL.match(email):
        errors.setdefault("email", []).append("Enter a valid email address.")
    if redirect_uri is not None:
        parts = urlsplit(redirect_uri)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            errors.setdefault("redirectUri", []).append("Use an absolute http(s) URL.")
    if errors or email is None or redirect_uri is None:
        raise validation_failed(errors)
    state.hit_rate_limit(f"magic-link:{email.strip().casefold()}")
    user = state.user_by_email(email)
    if user is not None and not user.disabled:
        now = state.now()
        token = random_token()
        state.magic_links[token] = MagicLink(token, user.id, now + state.magic_link_ttl)
        url = _with_token(redirect_uri, token)
        state.send(OutboxMessage("magic_link", user.email, token, url, now))
    return json_response(202, ACCEPTED)


def magic_link_verify(ctx: RequestContext) -> Response:
    """POST /v1/auth/login/magic-link/verify: exchange a link token for a session, once."""
    state = ctx.state
    errors: dict[str, list[str]] = {}
    token = text_field(ctx.json(), "token", errors)
    if errors or token is None:
        raise validation_failed(errors)
    link = state.magic_links.get(token)
    if link is None or link.used:
        raise Problem(401, "invalid_token", "This sign-in link is not valid or was already used.")
    link.used = True
    user = state.users.get(link.user_id)
    if link.expires_at <= state.now() or user is None or user.disabled:
        raise Problem(401, "invalid_token", "This sign-in link has expired.")
    user.email_verified = True
    return json_response(200, login(state, user, amr=["email"]))


def _phone(data: dict[str, Any], errors: dict[str, list[str]]) -> str | None:
    phone = text_field(data, "phone", errors)
    if phone is not None and not E164.match(phone):
        errors.setdefault("phone", []).append("Use an E.164 number such as +15551234567.")
        return None
    return phone


def phone_request(ctx: RequestContext) -> Response:
    """POST /v1/auth/login/phone/request: text a six-digit code."""
    state = ctx.state
    errors: dict[str, list[str]] = {}
    phone = _phone(ctx.json(), errors)
    if errors or phone is None:
        raise validation_failed(errors)
    state.hit_rate_limit(f"phone:{phone}")
    user = state.user_by_phone(phone)
    if user is not None and not user.disabled:
        now = state.now()
        code = f"{secrets.randbelow(10**6):06d}"
        state.phone_codes[phone] = PhoneCode(phone, code, user.id, now + state.phone_code_ttl)
        state.send(OutboxMessage("sms", phone, code, None, now))
    return json_response(202, ACCEPTED)


def phone_verify(ctx: RequestContext) -> Response:
    """POST /v1/auth/login/phone/verify: exchange a texted code for a session, once."""
    state = ctx.state
    data = ctx.json()
    errors: dict[str, list[str]] = {}
    phone = _phone(data, errors)
    code = text_field(data, "code", errors)
    if errors or phone is None or code is None:
        raise validation_failed(errors)
    pending = state.phone_codes.get(phone)
    if pending is None or pending.expires_at <= state.now():
        state.phone_codes.pop(phone, None)
        raise Problem(401, "invalid_code", "The code is not valid. Request a new one.")
    if not same(code, pending.code):
        pending.attempts += 1
        if pending.attempts >= MAX_PHONE_ATTEMPTS:
            del state.phone_codes[phone]
        raise Problem(401, "invalid_code", "The code is incorrect.")
    del state.phone_codes[phone]
    user = state.users.get(pending.user_id)
    if user is None or user.disabled:
        raise Problem(401, "invalid_code", "The code is not valid. Request a new one.")
    user.phone_verified = True
    return json_response(200, login(state, user, amr=["sms"]))
