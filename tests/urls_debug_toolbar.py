"""``tests.urls`` plus django-debug-toolbar's URLs (``tests/test_debug_toolbar.py``)."""

from __future__ import annotations

from django.urls import include, path

from tests.urls import urlpatterns as base

urlpatterns = [*base, path("__debug__/", include("debug_toolbar.urls"))]
