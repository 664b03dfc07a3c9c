"""A small app whose model has a ``ForeignKey`` to ``AUTH_USER_MODEL`` (local users' tests)."""
