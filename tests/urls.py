from __future__ import annotations

from django.contrib import admin
from django.urls import include, path

from tests import views

urlpatterns = [
    path("auth/", include("django_lamba.urls")),
    path("public/", views.public, name="public"),
    path("whoami/", views.whoami, name="whoami"),
    path("protected/", views.protected, name="protected"),
    path("django-protected/", views.django_login_required, name="django_login_required"),
    path("admin/", admin.site.urls),
    path("local/", include("tests.localapp.urls")),
]
