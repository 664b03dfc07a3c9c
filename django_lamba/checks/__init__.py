"""System checks (``manage.py check``): configuration mistakes caught before the first request.

Each id is raised by one module of this package: ``hosts`` (E001, E002, E008-E010, W001),
``install`` (E003-E005), ``cookies`` (E006, E007, W002-W004), ``binding`` (E011-E013, W005),
``placeholders`` (W007), ``urls`` (E015) and, with ``--deploy``, ``cache`` (E014, W006).
``python manage.py lamba_check`` runs them all, then asks Lamba itself.
"""

from __future__ import annotations

from typing import Any

from django.core.checks import CheckMessage, Tags, register

from .binding import check_binding, check_site_url
from .cache import CACHE_CHECK_TIMEOUT, check_cache, round_trip
from .cookies import check_cookies
from .hosts import base_url, check_environment
from .install import AUTH_MIDDLEWARE, BACKEND, MIDDLEWARE, check_backend, check_middleware
from .placeholders import check_placeholders, looks_like_placeholder
from .urls import check_url_names

__all__ = [
    "AUTH_MIDDLEWARE",
    "BACKEND",
    "CACHE_CHECK_TIMEOUT",
    "MIDDLEWARE",
    "check_cache",
    "check_settings",
    "check_url_names",
    "looks_like_placeholder",
    "round_trip",
]


@register(Tags.security, Tags.compatibility)
def check_settings(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Check the base URLs, the middleware, the backend, the cookies and the environment."""
    messages: list[CheckMessage] = []
    auth_url, found = base_url("LAMBA_CUSTOMER_AUTH_BASE_URL", "AUTH_BASE_URL")
    messages += found
    api_url, found = base_url("LAMBA_CUSTOMER_API_BASE_URL", "API_BASE_URL")
    messages += found
    messages += check_middleware()
    messages += check_backend()
    messages += check_cookies()
    messages += check_environment(auth_url, api_url)
    messages += check_binding()
    messages += check_site_url()
    messages += check_placeholders()
    return messages
