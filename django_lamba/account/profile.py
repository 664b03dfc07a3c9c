"""``lamba:profile``: show and edit the customer's profile with ``PATCH /v1/me/profile``.

Only the fields the customer changed are sent (the form remembers what the page showed); a
submission that changes nothing says so and calls nobody. JSON callers ``PATCH`` (or ``POST``)
the fields to change, in Lamba's names; sending none is a 400, never an empty PATCH. Lamba's
field errors land on the matching fields (``displayName`` on Display name); a username someone
else has is a field error too. Any other 409 means the profile changed elsewhere since the page
was shown: the page reloads it and asks for the changes again. After a save, the session's
cached context and account pages are dropped, so the new name shows on the very next page.
"""

from __future__ import annotations

from typing import Any

from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    HttpResponseRedirect,
    JsonResponse,
)
from django.utils.decorators import method_decorator
from django.views.decorators.csrf import csrf_protect

from .._internal.responses import ErrorAnswer, answer_for, problem, request_data, wants_json
from ..client import get_client
from ..exceptions import LambaError, LambaUnauthorized, code_key
from ..selfservice import PROFILE_FIELDS
from . import cache
from .forms import FIELD_TO_LAMBA, LAMBA_TO_FIELD, ProfileForm
from .views import AccountView

SAVED = "Your profile was saved."
NOTHING_CHANGED = "Nothing changed, so there was nothing to save."
CHANGED_ELSEWHERE = (
    "Your profile was changed somewhere else while you were editing it. This is how it looks "
    "now: please make your changes again."
)
USERNAME_TAKEN = "That username is taken. Please choose another."
#: Lamba's keys for errors that belong to no one field.
_NON_FIELD = {"non_field_errors", "__all__", ""}


@method_decorator(csrf_protect, name="dispatch")
class ProfileView(AccountView):
    """Show the profile form; save the changed fields."""

    template_name = "django_lamba/account/profile.html"
    form_class = ProfileForm
    http_method_names = ["get", "head", "post", "patch", "options"]

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        profile = get_client().get_profile(self.access_token)
        if wants_json(request):
            return JsonResponse(profile.to_json())
        form = self.form_class(initial=ProfileForm.initial_for(profile))
        return self.render_form(form, notice=SAVED if request.GET.get("saved") else "")

    def render_form(self, form: ProfileForm, status: int = 200, **extra: Any) -> HttpResponse:
        return self.render_page(status=status, form=form, **extra)

    def patch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        return self.post(request, *args, **kwargs)

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if request.content_type == "application/json":
            return self.post_json(request_data(request))
        # The HTML form, submitted by a browser or by htmx (which wants JSON back).
        form = self.form_class(data=request.POST)
        as_json = wants_json(request)
        if not form.is_valid():
            return invalid(form, list(form.fields)) if as_json else self.render_form(form, 400)
        changes = form.changes()
        if not changes:
            if as_json:
                return JsonResponse({"ok": True, "changed": [], "detail": NOTHING_CHANGED})
            return self.render_form(form, notice=NOTHING_CHANGED)
        if as_json:
            return self.save_json(changes)
        try:
            get_client().update_profile(self.access_token, changes)
        except LambaError as error:
            if isinstance(error, LambaUnauthorized):
                raise  # the session ended: AccountView answers as for anyone signed out
            return self.refused(form, error)
        cache.profile_changed(self.access_token)
        return HttpResponseRedirect(f"{request.path}?saved=1")

    def post_json(self, data: dict[str, Any]) -> HttpResponse:
        """Validate the fields a script sent (Lamba's names) and PATCH exactly those."""
        names = [LAMBA_TO_FIELD[key] for key in data if key in LAMBA_TO_FIELD]
        errors = {key: ["Unknown profile field."] for key in data if key not in LAMBA_TO_FIELD}
        if not names and not errors:
            errors["__all__"] = [f"Send at least one of: {', '.join(PROFILE_FIELDS)}."]
        form = self.form_class(data={LAMBA_TO_FIELD.get(k, k): v for k, v in data.items()})
        if errors or not form.is_valid():
            return invalid(form, names, errors)
        return self.save_json(form.changes(names))

    def save_json(self, changes: dict[str, Any]) -> HttpResponse:
        """PATCH ``changes`` and answer JSON: the saved profile, or ProblemDetails."""
        try:
            profile = get_client().update_profile(self.access_token, changes)
        except LambaError as error:
            if isinstance(error, LambaUnauthorized):
                raise
            answer = answer_for(error, messages=self.messages_for(error))
            if answer.status == 409 and not self.username_taken(error):
                fresh = get_client().get_profile(self.access_token)
                return answer.problem(profile=fresh.to_json())
            return answer.problem()
        cache.profile_changed(self.access_token)
        return JsonResponse({"ok": True, "changed": sorted(changes), "profile": profile.to_json()})

    @staticmethod
    def username_taken(error: LambaError) -> bool:
        return error.status == 409 and code_key(error.error_code) == "identity_already_exists"

    def messages_for(self, error: LambaError) -> dict[str, str]:
        if self.username_taken(error):
            return {error.error_code: USERNAME_TAKEN}
        if error.status == 409:
            return {error.error_code or "conflict": CHANGED_ELSEWHERE}
        return {}

    def refused(self, form: ProfileForm, error: LambaError) -> HttpResponse:
        """Show why Lamba refused the changes: on the fields, or reload after a stale edit."""
        answer = answer_for(error, messages=self.messages_for(error))
        if self.username_taken(error):
            form.add_error("username", USERNAME_TAKEN)
            return answer.apply(self.render_form(form, status=409))
        if answer.status == 409:
            fresh = get_client().get_profile(self.access_token)
            reloaded = self.form_class(initial=ProfileForm.initial_for(fresh))
            return self.render_form(reloaded, status=409, error_message=CHANGED_ELSEWHERE)
        if not place_field_errors(form, answer):
            form.add_error(None, answer.message)
        return answer.apply(self.render_form(form, status=answer.status))


def invalid(
    form: ProfileForm, names: list[str], errors: dict[str, list[str]] | None = None
) -> HttpResponse:
    """A 400 ProblemDetails with the form's errors on ``names``, under Lamba's field names."""
    found = dict(errors or {})
    for name, texts in form.errors.items():
        if name in names or name == "__all__":
            found[FIELD_TO_LAMBA.get(name, name)] = [str(text) for text in texts]
    return problem(
        400,
        "Invalid request",
        error_code="validation_failed",
        detail="Please correct the errors.",
        errors=found,
    )


def place_field_errors(form: ProfileForm, answer: ErrorAnswer) -> bool:
    """Put Lamba's field errors on the form's fields; return whether any was placed."""
    placed = False
    for key, texts in answer.field_errors.items():
        name = LAMBA_TO_FIELD.get(key, key if key in form.fields else "")
        if not name and key not in _NON_FIELD:
            continue  # nothing the customer can fix here; the generic message says so
        for text in texts:
            form.add_error(name or None, text)
            placed = True
    return placed


profile = ProfileView.as_view()
