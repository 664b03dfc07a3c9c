"""Benchmarks of django_lamba against Django's session auth: ``python -m tests.benchmarks``.

They print figures and assert nothing about time (see docs/benchmarks.md).
"""
