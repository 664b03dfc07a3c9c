"""The admin API (``/v1/admin/*``), one module per family of calls.

Use it through :class:`django_lamba.management_client.LambaManagementClient`; the result types
are importable from there too.
"""
