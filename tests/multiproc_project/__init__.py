"""A tiny Django project that ``tests/test_multiprocess.py`` serves with gunicorn."""
