"""Magic-link and phone one-time-code sign-in.

Both flows answer HTML forms and JSON, like every ``LambaFormView``. The request steps answer the
same whether or not Lamba knows the address (no account enumeration), and every send and every
verification also counts against a per-IP limit here (Lamba limits per account). A magic link's
GET never spends the token: mail scanners fetch links, so signing in takes one POST.

The flows live in ``magic_link`` and ``phone_code``, on the base in ``passwordless_base``;
import the views from here, which also makes the ones ``django_lamba.urls`` routes to.
"""

from __future__ import annotations

from .magic_link import MagicLinkRequestView as MagicLinkRequestView
from .magic_link import MagicLinkVerifyView as MagicLinkVerifyView
from .passwordless_base import CODE_EXPIRED as CODE_EXPIRED
from .passwordless_base import CODE_SENT as CODE_SENT
from .passwordless_base import CODE_WRONG as CODE_WRONG
from .passwordless_base import LINK_INVALID as LINK_INVALID
from .passwordless_base import LINK_SENT as LINK_SENT
from .passwordless_base import MAGIC_LINK_COOKIE as MAGIC_LINK_COOKIE
from .passwordless_base import PasswordlessView as PasswordlessView
from .phone_code import PhoneCodeForm as PhoneCodeForm
from .phone_code import PhoneRequestView as PhoneRequestView
from .phone_code import PhoneVerifyView as PhoneVerifyView

magic_link_request = MagicLinkRequestView.as_view()
magic_link_verify = MagicLinkVerifyView.as_view()
phone_request = PhoneRequestView.as_view()
phone_verify = PhoneVerifyView.as_view()
