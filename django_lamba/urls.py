"""URLs for every sign-in flow; include under any prefix with namespace ``lamba``."""

from __future__ import annotations

from django.urls import path

from . import oidc, passwordless, scopes, views, webhooks
from .account import profile as account_profile
from .account import views as account_views

app_name = "lamba"

urlpatterns = [
    path("login/", views.login, name="login"),
    path("register/", views.register, name="register"),
    path("logout/", views.logout, name="logout"),
    path("magic-link/", passwordless.magic_link_request, name="magic_link_request"),
    path("magic-link/verify/", passwordless.magic_link_verify, name="magic_link_verify"),
    path("phone/", passwordless.phone_request, name="phone_request"),
    path("phone/verify/", passwordless.phone_verify, name="phone_verify"),
    path("oidc/login/", oidc.oidc_login, name="oidc_login"),
    path("oidc/callback/", oidc.oidc_callback, name="oidc_callback"),
    path("switch-context/", scopes.switch_context, name="switch_context"),
    path("webhook/", webhooks.webhook, name="webhook"),
    path("account/", account_views.account, name="account"),
    path("account/profile/", account_profile.profile, name="profile"),
    path("account/security/", account_views.security, name="security"),
    path("account/memberships/", account_views.memberships, name="memberships"),
]
