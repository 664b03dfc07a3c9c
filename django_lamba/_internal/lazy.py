"""``LazyUser``: ``request.user`` built on first use, without an exception on every read.

Django's ``SimpleLazyObject`` answers each attribute read by first failing to find it on the
proxy (``AttributeError``, raised and caught) and only then asking the wrapped object: a few
microseconds per ``request.user.is_authenticated``. ``LazyUser`` behaves the same (it *is* a
``SimpleLazyObject``: same proxied methods, ``isinstance`` and ``copy`` behaviour) but sends a
read straight to the wrapped object, so a view pays for building the user once and for nothing
else.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from django.utils.functional import SimpleLazyObject, empty


class LazyUser(SimpleLazyObject):  # type: ignore[type-arg]
    """A ``SimpleLazyObject`` whose attribute reads go straight to the wrapped object."""

    def __init__(self, func: Callable[[], Any]) -> None:
        # What SimpleLazyObject.__init__ stores, without two trips through __setattr__.
        state = object.__getattribute__(self, "__dict__")
        state["_setupfunc"] = func
        state["_wrapped"] = empty

    def _setup(self) -> None:
        state = object.__getattribute__(self, "__dict__")
        state["_wrapped"] = state["_setupfunc"]()

    def __getattribute__(self, name: str) -> Any:
        if name in _OWN:
            return object.__getattribute__(self, name)
        wrapped = object.__getattribute__(self, "_wrapped")
        if wrapped is empty:
            object.__getattribute__(self, "_setup")()
            wrapped = object.__getattribute__(self, "_wrapped")
        return getattr(wrapped, name)


def _own_names(cls: type) -> frozenset[str]:
    """What ``LazyObject`` answers itself: its state and every attribute that is no proxy."""
    names = {"_wrapped", "_setupfunc", "__getattribute__"}
    for name in dir(cls):
        if getattr(inspect.getattr_static(cls, name), "_mask_wrapped", True):
            names.add(name)
    return frozenset(names)


_OWN = _own_names(SimpleLazyObject)
