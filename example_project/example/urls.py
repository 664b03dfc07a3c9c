"""URLs of the example site; django_lamba's sign-in views live under /auth/."""

from __future__ import annotations

from django.conf import settings
from django.urls import URLPattern, URLResolver, include, path
from portal import invitations, notes, views, webhook_demo

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.home, name="home"),
    path("sign-in/", views.sign_in, name="sign_in"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("members/", views.members, name="members"),
    path("members/invite/", invitations.invite, name="invite"),
    path("project-admin/", views.project_admin, name="project_admin"),
    path("notes/", notes.notes, name="notes"),  # a model with a ForeignKey to the customer
    path("sessions/", webhook_demo.sessions, name="sessions"),
    # django_lamba: lamba:login, lamba:register, lamba:logout, lamba:magic_link_request,
    # lamba:phone_request, lamba:oidc_login, lamba:switch_context, ...
    path("auth/", include("django_lamba.urls")),
]

if settings.HAS_DEBUG_TOOLBAR:
    urlpatterns += [path("__debug__/", include("debug_toolbar.urls"))]

if settings.HAS_DRF:
    from portal import api

    urlpatterns += [path("api/", include(api.urlpatterns))]
