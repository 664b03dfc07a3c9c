"""``python -m tests.benchmarks``: django_lamba vs Django session auth vs no auth, side by side.

Prints figures; asserts nothing about time. It exits non-zero only if a configuration stops
answering 200 with the right email (a broken benchmark, not a slow one). See docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
from pathlib import Path

from django_lamba.testing import LambaEmulator


def _load() -> str:
    try:
        return " ".join(f"{value:.2f}" for value in os.getloadavg())
    except OSError:
        return "n/a"


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tests.benchmarks", description=__doc__)
    parser.add_argument("--rounds", type=int, default=20, help="interleaved rounds (default 20)")
    parser.add_argument(
        "--requests", type=int, default=2000, help="requests per configuration per round"
    )
    parser.add_argument("--warmup", type=int, default=500, help="untimed requests first")
    parser.add_argument(
        "--redis", metavar="URL", help="use RedisCache at URL instead of LocMemCache"
    )
    parser.add_argument("--profile", action="store_true", help="also profile the warm path")
    return parser.parse_args(argv)


def _setup(args: argparse.Namespace, db_path: Path) -> LambaEmulator:
    """Start the emulator, configure and set up Django, create the tables. Return the emulator."""
    emulator = LambaEmulator().start()
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "tests.benchmarks.settings",
            "LAMBA_BENCH_DB": str(db_path),
            "LAMBA_BENCH_AUTH_URL": emulator.auth_url,
            "LAMBA_BENCH_API_URL": emulator.api_url,
            "LAMBA_BENCH_WORKSPACE_ID": emulator.workspace_id,
            "LAMBA_BENCH_PROJECT_ID": emulator.project_id,
        }
    )
    if args.redis:
        os.environ["LAMBA_BENCH_REDIS_URL"] = args.redis
    import django
    from django.core.management import call_command

    django.setup()
    if args.redis:
        from django.core.cache import caches

        try:
            caches["default"].set("lamba-bench-ping", 1, timeout=5)
        except Exception as exc:  # the redis client's connection errors
            emulator.stop()
            raise SystemExit(f"Cannot use Redis at {args.redis}: {exc}") from None
    call_command("migrate", verbosity=0, interactive=False)
    return emulator


def main(argv: list[str] | None = None) -> int:
    """Run every measurement and print the tables."""
    args = _parse(argv)
    with tempfile.TemporaryDirectory(prefix="lamba-bench-") as tmp:
        emulator = _setup(args, Path(tmp) / "bench.sqlite3")
        try:
            return _run(args, emulator)
        finally:
            emulator.stop()


def _run(args: argparse.Namespace, emu: LambaEmulator) -> int:
    import django
    from django.conf import settings

    from . import harness, localusers, report, scenarios
    from .harness import AUTHENTICATION, LAMBA, SESSION, Configuration
    from .urls import NO_AUTH_BODY

    emu.add_user(scenarios.EMAIL, scenarios.PASSWORD, roles=["member"])
    email = scenarios.EMAIL.encode()
    lamba_environ = harness.environ_for(scenarios.lamba_cookies(emu))
    configurations = [
        Configuration(
            "lamba",
            "(a) django_lamba warm: LambaMiddleware",
            harness.build_handler([LAMBA]),
            lamba_environ,
            email,
        ),
        Configuration(
            "session",
            "(b) Django session auth: Session+Authentication, db sessions",
            harness.build_handler([SESSION, AUTHENTICATION]),
            harness.environ_for(scenarios.django_session_cookies()),
            email,
        ),
        Configuration(
            "none",
            "(c) no auth middleware",
            harness.build_handler([]),
            harness.environ_for({}),
            NO_AUTH_BODY.encode(),
        ),
        Configuration(
            "lamba+django",
            "(a') django_lamba behind Session+Authentication",
            harness.build_handler([SESSION, AUTHENTICATION, LAMBA]),
            lamba_environ,
            email,
        ),
        Configuration(
            "lamba+local",
            "(a'') django_lamba warm, LAMBA_LOCAL_USERS: a user row per customer",
            localusers.build_handler([LAMBA]),
            lamba_environ,
            email,
        ),
    ]
    cache = settings.CACHES["default"]["BACKEND"].rsplit(".", 1)[-1]
    print(
        f"django_lamba benchmark: Python {platform.python_version()}, Django {django.__version__},"
        f" {platform.machine()} x{os.cpu_count()}; cache {cache}; sessions: "
        f"{settings.SESSION_ENGINE} on SQLite (file, persistent connection)"
    )
    print(
        f"{args.rounds} interleaved rounds x {args.requests} requests per configuration "
        f"(+{args.warmup} warm-up), GET /whoami/ through WSGIHandler, one thread; "
        f"load average at start {_load()}\n",
        flush=True,
    )
    harness.measure(
        configurations,
        rounds=args.rounds,
        requests=args.requests,
        warmup=args.warmup,
        progress=lambda line: print(f"  {line}", file=sys.stderr, flush=True),
    )
    lamba_handler = configurations[0].handler
    warm = scenarios.warm_calls(lamba_handler, emu, 1000)
    storm = scenarios.refresh_storm(lamba_handler, emu, 50)
    print(report.rates(configurations))
    print(f"load average at end {_load()} (figures from a busy machine are not comparable)\n")
    print(report.upstream(warm, storm))
    if args.profile:
        from . import profiling

        print(report.steps(*profiling.breakdown(lamba_handler, lamba_environ, args.requests)))
        print(profiling.profile(lamba_handler, lamba_environ, args.requests))
    broken = warm.bad_answers or storm.statuses.get("200", 0) != storm.threads
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
