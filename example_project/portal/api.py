"""A small JSON API with Django REST framework (``pip install django-lamba[drf]``).

The same session cookies work here (with CSRF on unsafe methods), and so does
``Authorization: Bearer <access token>`` for other clients.
"""

from __future__ import annotations

from typing import Any

from django.urls import path
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from django_lamba.client import get_client
from django_lamba.contrib.drf import (
    HasLambaPermission,
    IsLambaAuthenticated,
    IsLambaProjectAdmin,
    LambaAuthentication,
    api_exception,
)
from django_lamba.exceptions import LambaError

from .views import access_token


class MeView(APIView):
    """GET /api/me/: who is signed in, and where."""

    authentication_classes = [LambaAuthentication]
    permission_classes = [IsLambaAuthenticated]

    def get(self, request: Request) -> Response:
        user: Any = request.user
        context = user.context
        return Response(
            {
                "id": user.id,
                "email": user.email,
                "displayName": user.display_name,
                "workspace": context.active_workspace.id if context.active_workspace else None,
                "project": context.active_project.id if context.active_project else None,
                "environment": context.environment or None,
                "roles": list(context.role_keys),
            }
        )


class MemberListView(APIView):
    """GET /api/members/?cursor=...: one page of the Project's members."""

    authentication_classes = [LambaAuthentication]
    permission_classes = [HasLambaPermission("members.read") | IsLambaProjectAdmin]

    def get(self, request: Request) -> Response:
        # Bearer callers: request.auth is their TokenSet; cookie callers: the middleware's token.
        token = request.auth.access_token if request.auth else access_token(request._request)
        cursor = request.query_params.get("cursor") or None
        try:
            page = get_client().list_page("/v1/admin/members", token, limit=20, cursor=cursor)
        except LambaError as error:
            raise api_exception(error) from None
        return Response({"items": page.items, "nextCursor": page.next_cursor})


urlpatterns = [
    path("me/", MeView.as_view(), name="api_me"),
    path("members/", MemberListView.as_view(), name="api_members"),
]
