"""A URLconf that forgot ``include("django_lamba.urls")`` (system check E015)."""

from __future__ import annotations

from django.urls import path

from tests import views

urlpatterns = [
    path("public/", views.public, name="public"),
]
