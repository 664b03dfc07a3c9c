"""One matcher for permissions and roles: every entry point gives the same answer.

The rule, documented in docs/authorization.md: requiring all of no keys passes, requiring one of
no keys fails (Django's ``has_perms([])``, Python's ``all()``/``any()``); a key that is not a
non-empty string is held by nobody; a single string is one key, never its characters. Places
where a requirement is declared (decorators, mixins, DRF classes) refuse an empty one instead.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ImproperlyConfigured
from django.template import Context, Template
from django.test import RequestFactory
from django.views import View

from django_lamba import types
from django_lamba._internal import perms
from django_lamba.decorators import lamba_permission_required, lamba_role_required
from django_lamba.mixins import LambaPermissionRequiredMixin
from django_lamba.types import LambaAuthorization, LambaContext, LambaProfile
from django_lamba.user import LambaUser

GRANTED = ("members.read", "members.invite")
ROLES = ("member",)


def customer() -> LambaUser:
    authz = LambaAuthorization(
        role_keys=frozenset(ROLES), effective_permissions=frozenset(GRANTED)
    )
    context = LambaContext(user=LambaProfile(id="usr_1", email="u@example.com"))
    return LambaUser(context, authorization_loader=lambda: authz)


def _tag(user: LambaUser, keys: Iterable[str], any: bool) -> bool:
    arguments = "".join(f' "{key}"' for key in keys) + (" any=True" if any else "")
    source = "{% load lamba %}{% has_lamba_permission user" + arguments + " as ok %}{{ ok }}"
    return Template(source).render(Context({"user": user})) == "True"


#: Every way to ask "does this customer hold these permissions?".
PERMISSION_CHECKS: dict[str, Callable[[LambaUser, tuple[str, ...], bool], bool]] = {
    "types.matches": lambda user, keys, any: types.matches(GRANTED, keys, any),
    "perms.matches": lambda user, keys, any: perms.matches(GRANTED, keys, any),
    "LambaAuthorization.has_permissions": lambda user, keys, any: (
        user.authorization.has_permissions(keys, any)
    ),
    "LambaUser.has_lamba_permissions": lambda user, keys, any: user.has_lamba_permissions(
        keys, any=any
    ),
    "perms.has_permissions": lambda user, keys, any: perms.has_permissions(user, keys, any),
    "perms.safe_has_permissions": lambda user, keys, any: perms.safe_has_permissions(
        user, keys, any
    ),
    "{% has_lamba_permission %}": _tag,
}

#: (wanted, any) -> the one right answer for a customer holding GRANTED.
CASES = [
    ((), False, True),
    ((), True, False),
    (("members.read",), False, True),
    (("members.read",), True, True),
    (("members.read", "billing.manage"), False, False),
    (("members.read", "billing.manage"), True, True),
    (("billing.manage",), True, False),
]


@pytest.mark.parametrize("check", PERMISSION_CHECKS.values(), ids=PERMISSION_CHECKS.keys())
@pytest.mark.parametrize(("wanted", "any", "expected"), CASES)
def test_every_permission_check_gives_the_same_answer(
    check: Callable[[LambaUser, tuple[str, ...], bool], bool],
    wanted: tuple[str, ...],
    any: bool,
    expected: bool,
) -> None:
    assert check(customer(), wanted, any) is expected


@pytest.mark.parametrize(("wanted", "any", "expected"), [((), False, True), ((), True, False)])
def test_role_checks_follow_the_same_rule(
    wanted: tuple[str, ...], any: bool, expected: bool
) -> None:
    user = customer()
    assert user.authorization.has_roles(wanted, any) is expected
    assert user.has_lamba_roles(wanted, any=any) is expected
    assert perms.has_roles(user, wanted, any) is expected
    assert perms.safe_has_roles(user, wanted, any) is expected


def test_djangos_has_perms_agrees_on_an_empty_list() -> None:
    assert customer().has_perms([]) is True
    assert customer().has_lamba_permissions([]) is True


def test_a_single_string_is_one_key_not_its_letters() -> None:
    assert types.matches(GRANTED, "members.read")
    assert not types.matches({"m", "e", "b", "r", "s", ".", "a", "d"}, "members.read")
    assert customer().has_lamba_permissions("members.read")
    assert not customer().has_lamba_permissions("members.write")


@pytest.mark.parametrize("missing", ["", None, 7])
def test_a_missing_key_is_held_by_nobody(missing: Any) -> None:
    user = customer()
    assert not perms.safe_has_permissions(user, ["members.read", missing])
    assert perms.safe_has_permissions(user, ["members.read", missing], any=True)
    assert not perms.safe_has_permissions(user, [missing], any=True)
    assert not types.matches({""}, [""])


def test_a_missing_template_variable_does_not_drop_the_requirement() -> None:
    source = "{% load lamba %}{% has_lamba_permission user 'members.read' nope as ok %}{{ ok }}"
    assert Template(source).render(Context({"user": customer()})) == "False"


@pytest.mark.parametrize("any", [False, True])
def test_non_customers_fail_even_an_empty_check(any: bool) -> None:
    for nobody in (AnonymousUser(), None):
        assert not perms.has_permissions(nobody, [], any)
        assert not perms.safe_has_permissions(nobody, [], any)
        assert not perms.has_roles(nobody, [], any)


def test_declaring_an_empty_requirement_is_a_mistake() -> None:
    with pytest.raises(ValueError, match="at least one permission"):
        lamba_permission_required([])
    with pytest.raises(ValueError, match="at least one role"):
        lamba_role_required(())

    class EmptyView(LambaPermissionRequiredMixin, View):
        permission_required = ()

    with pytest.raises(ValueError, match="at least one permission"):
        EmptyView.as_view()(RequestFactory().get("/"))

    class MissingView(LambaPermissionRequiredMixin, View):
        pass

    with pytest.raises(ImproperlyConfigured):
        MissingView.as_view()(RequestFactory().get("/"))


def test_drf_factories_refuse_an_empty_requirement() -> None:
    drf = pytest.importorskip("django_lamba.contrib.drf")
    with pytest.raises(ValueError, match="at least one permission"):
        drf.HasLambaPermission()
    with pytest.raises(ValueError, match="at least one role"):
        drf.HasLambaRole()
