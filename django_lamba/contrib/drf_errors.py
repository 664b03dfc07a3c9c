"""Lamba errors as Django REST framework exceptions: the status ``answer_for`` gives them.

Part of ``django_lamba.contrib.drf`` (import the names from there).
"""

from __future__ import annotations

from rest_framework import exceptions

from .._internal.responses import (
    PLAN_LIMIT_MESSAGE,
    UNAVAILABLE_CODE,
    UNAVAILABLE_MESSAGE,
    ErrorAnswer,
    answer_for,
)
from ..exceptions import PLAN_LIMIT_EXCEEDED, LambaError, LambaPaymentRequired, LambaUnavailable


class LambaAPIError(exceptions.APIException):
    """A Lamba error as ``answer_for`` maps it: its status, ``Retry-After`` and ``errorCode``.

    The body is DRF's ``{"detail": ...}`` plus ``errorCode`` and, when Lamba sent one,
    ``traceId``; DRF's exception handler turns ``wait`` into the ``Retry-After`` header.
    """

    status_code = 503
    default_detail = UNAVAILABLE_MESSAGE
    default_code = UNAVAILABLE_CODE

    def __init__(self, answer: ErrorAnswer) -> None:
        body = {"detail": answer.message, "errorCode": answer.code}
        if answer.trace_id:
            body["traceId"] = answer.trace_id
        super().__init__(body, answer.code)
        self.status_code = answer.status
        self.answer = answer
        self.wait = answer.retry_after


class LambaServiceUnavailable(LambaAPIError):
    """503: Lamba could not answer; ``Retry-After`` says when to try again."""

    def __init__(
        self, retry_after: float | None = None, answer: ErrorAnswer | None = None
    ) -> None:
        super().__init__(answer or answer_for(LambaUnavailable(retry_after=retry_after)))


class LambaPlanLimitReached(LambaAPIError):
    """402: a Lamba plan or usage limit; a business state, not something to retry."""

    status_code = 402
    default_detail = PLAN_LIMIT_MESSAGE
    default_code = PLAN_LIMIT_EXCEEDED

    def __init__(self, answer: ErrorAnswer | None = None) -> None:
        super().__init__(answer or answer_for(LambaPaymentRequired()))


def api_exception(error: LambaError) -> exceptions.APIException:
    """Return the DRF exception for a ``LambaError`` met while authenticating or checking."""
    return exception_for(answer_for(error))


def exception_for(answer: ErrorAnswer) -> exceptions.APIException:
    """Return the DRF exception that gives ``answer`` (401 stays DRF's, for its header)."""
    if answer.status == 401:
        return exceptions.NotAuthenticated()
    if answer.status == 402:
        return LambaPlanLimitReached(answer)
    if answer.status == 503:
        return LambaServiceUnavailable(answer=answer)
    return LambaAPIError(answer)
