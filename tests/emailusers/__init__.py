"""A custom user model keyed by email, with no ``username`` (``tests.settings_emailusers``)."""
