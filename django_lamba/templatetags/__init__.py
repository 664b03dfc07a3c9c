"""Template tags: ``{% load lamba %}``."""

from __future__ import annotations
