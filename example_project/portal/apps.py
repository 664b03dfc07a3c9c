"""The example site's one app: pages, the DRF API and the ``rundemo`` command."""

from __future__ import annotations

from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = "Example portal"
