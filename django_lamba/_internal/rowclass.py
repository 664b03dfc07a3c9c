"""The class of a local user: the user model and the ``LambaUser`` class in one (``localusers``).

It is made once per (user model, Lamba user class) pair, with the user model first in the MRO
(fields, ``save()``, ``has_perm()`` are the model's) and the ``LambaUser`` class after it
(``context``, ``authorization``, ``has_lamba_permission()``...), so every check that asks
``isinstance(user, LambaUser)`` keeps working and a ``ForeignKey(AUTH_USER_MODEL)`` accepts it.
It is built with ``type.__new__``, not through ``ModelBase``: it registers no model, needs no
migration, and shares the user model's ``_meta`` (saves, queries, content types and admin log
entries all see the user model itself).
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models.base import ModelState

from ..user import LambaUser

_classes: dict[tuple[type, type], type] = {}


class LocalUserMixin:
    """First in a local user's MRO: saves and deletes as the user model itself.

    Django sends ``pre_save``/``post_save`` with ``sender=self.__class__``: the plain model
    class is put back for the call, so receivers registered for the user model hear it.
    """

    _row_class: type[models.Model]

    def save(self, *args: Any, **kwargs: Any) -> None:
        local_class = type(self)
        object.__setattr__(self, "__class__", local_class._row_class)
        try:
            self.save(*args, **kwargs)
        finally:
            object.__setattr__(self, "__class__", local_class)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        local_class = type(self)
        object.__setattr__(self, "__class__", local_class._row_class)
        try:
            return self.delete(*args, **kwargs)
        finally:
            object.__setattr__(self, "__class__", local_class)


def combined(row: models.Model, lamba_user: LambaUser) -> LambaUser:
    """A per-request copy of ``row`` that is also ``lamba_user`` (its context, its loader)."""
    user: LambaUser = object.__new__(local_class(type(row), type(lamba_user)))
    user.__dict__.update(lamba_user.__dict__)
    user.__dict__.update(row.__dict__)
    # Each request gets its own caches (related objects, permissions), as a fresh read would.
    state = ModelState()
    state.db, state.adding = row._state.db, False
    state.fields_cache = dict(row._state.fields_cache)
    user.__dict__["_state"] = state
    return user


def local_class(model: type[models.Model], lamba_class: type[LambaUser]) -> type:
    """Return the class of ``model`` rows that are also ``lamba_class`` users (made once)."""
    key = (model, lamba_class)
    found = _classes.get(key)
    if found is None:
        name = f"LocalLamba{model.__name__}"
        namespace = {"__module__": model.__module__, "__qualname__": name, "_row_class": model}
        bases = (LocalUserMixin, model, lamba_class)
        found = _classes.setdefault(key, type.__new__(type(model), name, bases, namespace))
    return found
