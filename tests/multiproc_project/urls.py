from __future__ import annotations

from django.urls import include, path

from tests.multiproc_project import views

urlpatterns = [
    path("ping/", views.ping, name="ping"),
    path("whoami/", views.whoami, name="whoami"),
    path("session/", views.session, name="session"),
    path("lamba/", include("django_lamba.urls")),
]
