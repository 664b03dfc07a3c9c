"""Optional integrations with other frameworks (``django_lamba.contrib.drf``)."""

from __future__ import annotations
