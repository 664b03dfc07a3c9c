"""``request.user`` built on first use: a plain attribute once built, or a cheap lazy object.

``LazyRequestClasses`` gives a request a class of its own (a subclass of its class, same name)
whose ``user`` is resolved by the first read and then stored on the request, so every later read
is an ordinary attribute read and ``request.user`` is the user itself, not a proxy. Assigning
``request.user`` works as on any request. Where a request's class cannot be changed,
``LazyUser`` stands in.

Django's ``SimpleLazyObject`` answers each attribute read by first failing to find it on the
proxy (``AttributeError``, raised and caught) and only then asking the wrapped object: a few
microseconds per ``request.user.is_authenticated``. ``LazyUser`` behaves the same (it *is* a
``SimpleLazyObject``: same proxied methods, ``isinstance`` and ``copy`` behaviour) but sends a
read straight to the wrapped object, so a view pays for building the user once and for nothing
else.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject, empty

Resolve = Callable[[HttpRequest], Any]
AsyncResolve = Callable[[HttpRequest], Awaitable[Any]]


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


class _UserOnFirstRead:
    """``request.user`` of a request class of ours: the first read resolves it and stores the
    answer on the request, where later reads find it (an instance attribute wins over a
    descriptor without ``__set__``). A read that raises stores nothing, so the next read asks
    again."""

    __slots__ = ("_resolve",)

    def __init__(self, resolve: Resolve) -> None:
        self._resolve = resolve

    def __get__(self, request: HttpRequest | None, owner: type | None = None) -> Any:
        if request is None:
            return self
        user = self._resolve(request)
        request.__dict__["user"] = user
        return user


class LazyRequestClasses:
    """Request classes whose ``user`` is ``resolve(request)`` on first read and whose
    ``auser()`` is ``aresolve(request)``; one per concrete request class, built on first use."""

    def __init__(self, resolve: Resolve, aresolve: AsyncResolve) -> None:
        self._resolve = resolve
        self._aresolve = aresolve
        self._classes: dict[type, type] = {}

    def attach(self, request: HttpRequest) -> bool:
        """Give ``request`` the lazy ``user`` and ``auser``; False if its class cannot change.

        What the request had as ``user`` or ``auser`` (e.g. from ``AuthenticationMiddleware``)
        must have been taken off it first: an attribute on the request hides the class's.
        """
        cls = type(request)
        lazy = self._classes.get(cls)
        if lazy is None:
            lazy = self._classes.setdefault(cls, self._build(cls))
            self._classes.setdefault(lazy, lazy)  # a request that passes here twice
        try:
            request.__class__ = lazy
        except TypeError:  # a request class with __slots__ or another layout: no subclass
            return False
        return True

    def _build(self, cls: type) -> type:
        aresolve = self._aresolve

        async def auser(request: HttpRequest) -> Any:
            return await aresolve(request)

        namespace = {
            "__module__": cls.__module__,
            "__qualname__": cls.__qualname__,
            "__doc__": cls.__doc__,
            "user": _UserOnFirstRead(self._resolve),
            "auser": auser,
        }
        return type(cls.__name__, (cls,), namespace)
