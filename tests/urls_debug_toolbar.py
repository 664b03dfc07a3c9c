"""``tests.urls`` plus django-debug-toolbar's URLs (``tests/test_debug_toolbar.py``)."""

from __future__ import annotations

from debug_toolbar.toolbar import debug_toolbar_urls

from tests.urls import urlpatterns as base

urlpatterns = [*base, *debug_toolbar_urls()]
