"""The customer's own account pages (``lamba:account``, ``lamba:profile``, ``lamba:security``,
``lamba:memberships``): views, the profile form, and what they keep in the cache.

See docs/account.md. The typed client methods they use live in ``django_lamba.apihost`` (part
of ``LambaClient``) and their result types in ``django_lamba.selfservice``.
"""
