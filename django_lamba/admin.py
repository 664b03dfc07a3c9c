"""The admin: Lamba identities and webhook events, read-only; the identity on each user's page.

``LambaIdentityInline`` is added to the ``UserAdmin`` registered for ``AUTH_USER_MODEL`` when
this module is loaded (``django.contrib.auth``'s, if ``django_lamba`` comes after it in
``INSTALLED_APPS``). A project that registers its own ``UserAdmin`` later adds the inline
itself::

    from django_lamba.admin import LambaIdentityInline


    @admin.register(User)
    class UserAdmin(auth_admin.UserAdmin):
        inlines = [*auth_admin.UserAdmin.inlines, LambaIdentityInline]

Everything here is what Lamba said; it is changed by signing in, by ``sync_local_user`` and by
webhooks, never by hand, so no page here adds, changes or deletes a row.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest

from .models import LambaIdentity, LambaWebhookEvent

IDENTITY_FIELDS = (
    "lamba_user_id",
    "email",
    "username",
    "display_name",
    "role_keys",
    "workspace_id",
    "project_id",
    "environment",
    "created_at",
    "synced_at",
)


class ReadOnlyAdminMixin:
    """Let staff with the view permission look, and nobody add, change or delete."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class LambaIdentityInline(ReadOnlyAdminMixin, admin.StackedInline):  # type: ignore[type-arg]
    """The Lamba identity on a user's admin page (add it to your own ``UserAdmin.inlines``)."""

    model = LambaIdentity
    fields = IDENTITY_FIELDS
    readonly_fields = IDENTITY_FIELDS
    can_delete = False
    extra = 0
    verbose_name_plural = "Lamba identity"


@admin.register(LambaIdentity)
class LambaIdentityAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("lamba_user_id", "email", "display_name", "user", "project_id", "synced_at")
    list_filter = ("environment", "project_id")
    search_fields = ("email", "lamba_user_id", "username", "display_name")
    list_select_related = ("user",)
    fields = ("user", *IDENTITY_FIELDS, "fingerprint")
    readonly_fields = fields
    date_hierarchy = "synced_at"


@admin.register(LambaWebhookEvent)
class LambaWebhookEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("event_id", "type", "outcome", "received_at", "processed_at")
    list_filter = ("type", "outcome", "received_at")
    search_fields = ("event_id", "type")
    fields = (
        "event_id",
        "type",
        "outcome",
        "workspace_id",
        "project_id",
        "environment",
        "received_at",
        "processed_at",
        "payload",
    )
    readonly_fields = fields
    date_hierarchy = "received_at"


def add_identity_inline(site: admin.AdminSite = admin.site) -> bool:
    """Add ``LambaIdentityInline`` to the registered user admin; return whether there is one."""
    try:
        user_model = get_user_model()
    except ImproperlyConfigured:
        # No auth app: the admin's autodiscovery runs before django_lamba's ready(), which then
        # names the missing app instead of this obscure error.
        return False
    model_admin = site._registry.get(user_model)
    if model_admin is None:
        return False
    inlines = list(model_admin.inlines)
    if LambaIdentityInline not in inlines:
        # On this instance only: the UserAdmin class may be registered on other sites too.
        setattr(model_admin, "inlines", [*inlines, LambaIdentityInline])  # noqa: B010
    return True


add_identity_inline()
