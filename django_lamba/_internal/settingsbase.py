"""The machinery behind ``django_lamba.conf``: resolve each ``LAMBA_*`` setting once, keep it.

A setting is read from ``django.conf.settings``, else from the environment variable of the same
name (or an alias), else its default (``_raw``), then parsed (``_split``, ``_bool``, ``_float``).
``KeptSettings`` keeps each resolved value until the settings change; ``setting`` and
``list_setting`` declare its properties. ``conf`` says when kept values are dropped.
"""

from __future__ import annotations

import math
import os
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, overload

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.functional import empty

_MISSING = object()

# ``django.conf.settings`` keeps the settings object it stands for in its own ``__dict__``
# (``_wrapped``). ``override_settings`` (and pytest-django's ``settings`` fixture, which deletes
# through it without sending ``setting_changed``) put a new object there and the old one back
# afterwards; comparing identities is one dict lookup. Read the dict without going through
# ``LazySettings.__getattribute__``, which costs a Python call per attribute.
_SETTINGS_STATE: dict[str, Any] = object.__getattribute__(settings, "__dict__")


def _settings_source() -> object:
    """The settings object ``django.conf.settings`` currently stands for (``empty`` if none)."""
    return _SETTINGS_STATE.get("_wrapped", empty)


#: Aliases the vendor's pages also use for the same values.
_ALIASES: dict[str, tuple[str, ...]] = {
    "LAMBA_CUSTOMER_AUTH_BASE_URL": ("LAMBA_CUSTOMER_AUTH_BASE",),
    "LAMBA_CUSTOMER_API_BASE_URL": ("LAMBA_CUSTOMER_API_BASE",),
    "LAMBA_CUSTOMER_WORKSPACE_ID": ("LAMBA_WORKSPACE_ID",),
    "LAMBA_CUSTOMER_PROJECT_ID": ("LAMBA_PROJECT_ID",),
    "LAMBA_CUSTOMER_ENV": ("LAMBA_ENV",),
}


def _raw(name: str, default: Any = _MISSING) -> Any:
    """Return the setting ``name``, else its environment variable (or alias), else ``default``."""
    # Ask the wrapped settings object directly: LazySettings.__getattr__ raises and catches an
    # AttributeError for every unset name, and most LAMBA_* settings are unset (defaults).
    wrapped = _settings_source()
    value = getattr(settings if wrapped is empty else wrapped, name, _MISSING)
    if value is not _MISSING:
        return value
    for env_name in (name, *_ALIASES.get(name, ())):
        env_value = os.environ.get(env_name)
        if env_value not in (None, ""):
            return env_value
    return default


def _split(value: Any) -> list[str]:
    """A list setting, given as a list/tuple or as a comma-separated string."""
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return [str(part).strip() for part in value]


def parse_project_pair(entry: str) -> tuple[str, str] | None:
    """``"ws_1/prj_1"`` → ``("ws_1", "prj_1")``; ``None`` when it is not exactly that shape."""
    parts = str(entry).strip().split("/")
    if len(parts) != 2 or not all(part.strip() for part in parts):
        return None
    return parts[0].strip(), parts[1].strip()


def _bool(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in {"1", "true", "yes", "on"}
    return bool(value)


def _float(name: str, value: Any) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = math.nan
    if not math.isfinite(number):
        raise ImproperlyConfigured(f"{name} must be a finite number, got {value!r}.")
    return number


class _Setting(property):
    """A ``KeptSettings`` property whose value is resolved once and kept until a reload.

    Still a ``property`` (read-only, documented by its getter), so tools that list the settings
    by their properties keep working. A kept value is one dict lookup away.
    """

    def __init__(self, fget: Callable[[Any], Any]) -> None:
        super().__init__(fget)
        self.name = fget.__name__
        self.compute = fget

    @overload
    def __get__(self, instance: None, owner: type | None = None, /) -> _Setting: ...

    @overload
    def __get__(self, instance: KeptSettings, owner: type | None = None, /) -> Any: ...

    def __get__(self, instance: KeptSettings | None, owner: type | None = None, /) -> Any:
        if instance is None:
            return self
        if _SETTINGS_STATE.get("_wrapped", empty) is instance._source:
            value = instance._values.get(self.name, _MISSING)
            if value is not _MISSING:
                return value
        return instance._resolve(self)


class _ListSetting(_Setting):
    """A kept list setting, handed out as a new list each time (callers may change theirs)."""

    def __get__(self, instance: KeptSettings | None, owner: type | None = None, /) -> Any:
        if instance is None:
            return self
        return list(super().__get__(instance, owner))


if TYPE_CHECKING:
    # Type checkers see plain properties, typed by their getters.
    setting = property
    list_setting = property
else:
    setting = _Setting
    list_setting = _ListSetting


class KeptSettings:
    """Settings whose values are resolved on first read and kept until ``reload()``."""

    def __init__(self) -> None:
        #: The settings object the kept values were resolved from, and the values by property.
        self._source: object = None
        self._values: dict[str, Any] = {}
        #: Bumped by every reload, so a read that started before one keeps nothing.
        self._generation = 0
        self._lock = threading.Lock()

    def reload(self) -> None:
        """Drop every kept value: the next read of each setting resolves it again.

        Call it after changing ``os.environ``, or ``django.conf.settings`` directly, at run
        time. Changes through ``override_settings`` or pytest-django's ``settings`` fixture
        need no call.
        """
        with self._lock:
            self._drop()

    def stamp(self) -> object | None:
        """Return a token that stays the same (``is``) until a kept value is dropped.

        ``None`` while ``django.conf.settings`` stands for another settings object than the
        kept values came from. For memos judged under the current settings (``warm``).
        """
        if _SETTINGS_STATE.get("_wrapped", empty) is not self._source:
            return None
        return self._values

    def _drop(self) -> None:
        self._generation += 1
        self._values = {}

    def _resolve(self, prop: _Setting) -> Any:
        """Resolve ``prop``; keep its value unless the settings changed meanwhile."""
        with self._lock:
            source = _settings_source()
            if source is not self._source:
                self._drop()
                self._source = source
            generation = self._generation
        value = prop.compute(self)
        with self._lock:
            if generation == self._generation and source is _settings_source():
                self._values[prop.name] = value
        return value
