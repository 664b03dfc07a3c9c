"""The printed tables."""

from __future__ import annotations

import statistics
from collections.abc import Sequence

from .harness import Configuration
from .scenarios import Storm, WarmCalls

#: django_lamba's warm-request cost over no auth, as a share of the no-auth request itself.
OVERHEAD_TARGET_PERCENT = 20.0
#: How many times as many warm requests per second as Django's session authentication.
RATIO_TARGET = 6.0


def _verdict(ok: bool) -> str:
    return "meets target" if ok else "MISSES target"


def _calls(calls: dict[str, int]) -> str:
    if not calls:
        return "0"
    listed = ", ".join(f"{key} x{count}" for key, count in sorted(calls.items()))
    return f"{sum(calls.values())} ({listed})"


def rates(configurations: Sequence[Configuration]) -> str:
    """Return the req/s table and the derived figures (ratio, overhead in us and in %)."""
    by_key = {configuration.key: configuration for configuration in configurations}
    width = max(len(configuration.label) for configuration in configurations)
    lines = [
        f"{'configuration':<{width}}  {'median req/s':>12}  {'us/request':>10}  {'CPU us':>7}"
        f"  {'best us':>7}  {'floor us':>8}  rounds (req/s)",
        f"{'-' * width}  {'-' * 12}  {'-' * 10}  {'-' * 7}  {'-' * 7}  {'-' * 8}  {'-' * 14}",
    ]
    for configuration in configurations:
        rounds = " ".join(f"{rate:,.0f}" for rate in configuration.rates)
        lines.append(
            f"{configuration.label:<{width}}  {configuration.median_rate:>12,.0f}"
            f"  {configuration.micros:>10.1f}  {configuration.median_cpu_micros:>7.1f}"
            f"  {configuration.best_micros:>7.1f}  {configuration.floor_micros:>8.1f}  {rounds}"
        )
    lamba, session, none = by_key["lamba"], by_key["session"], by_key["none"]
    ratio = lamba.median_rate / session.median_rate
    overhead = lamba.micros - none.micros
    share = overhead / none.micros * 100
    best = lamba.best_micros - none.best_micros
    best_share = best / none.best_micros * 100
    cpu_overhead = lamba.median_cpu_micros - none.median_cpu_micros
    cpu_share = cpu_overhead / none.median_cpu_micros * 100
    paired = [
        (1e6 / with_lamba - 1e6 / without, (without / with_lamba - 1) * 100)
        for with_lamba, without in zip(lamba.rates, none.rates, strict=True)
    ]
    paired_overhead = statistics.median(micros for micros, _ in paired)
    paired_share = statistics.median(percent for _, percent in paired)
    floor = lamba.floor_micros - none.floor_micros
    floor_share = floor / none.floor_micros * 100
    target = f"target <= {OVERHEAD_TARGET_PERCENT:.0f} %:"
    lines += [
        "",
        f"lamba / django-session req/s   {ratio:6.2f}x   (target >= {RATIO_TARGET:.1f}: "
        f"{_verdict(ratio >= RATIO_TARGET)})",
        f"lamba - no-auth per request    {overhead:6.1f} us = {share:5.1f} % of no-auth "
        f"({target} {_verdict(share <= OVERHEAD_TARGET_PERCENT)})",
        f"  same from the best rounds    {best:6.1f} us = {best_share:5.1f} % of no-auth "
        f"({target} {_verdict(best_share <= OVERHEAD_TARGET_PERCENT)})",
        f"  same in CPU time (medians)   {cpu_overhead:6.1f} us = {cpu_share:5.1f} % of no-auth",
        f"  same round by round (median) {paired_overhead:6.1f} us = {paired_share:5.1f} % "
        f"of no-auth ({target} {_verdict(paired_share <= OVERHEAD_TARGET_PERCENT)})",
        f"  same from the floors         {floor:6.1f} us = {floor_share:5.1f} % of no-auth "
        f"({target} {_verdict(floor_share <= OVERHEAD_TARGET_PERCENT)})",
        f"django-session - no-auth       {session.micros - none.micros:6.1f} us (for comparison)",
    ]
    if "lamba+django" in by_key:
        stacked = by_key["lamba+django"]
        lines.append(
            f"(a') - no-auth per request     {stacked.micros - none.micros:6.1f} us = "
            f"{(stacked.micros - none.micros) / none.micros * 100:5.1f} % of no-auth "
            "(Lamba plus Django's session middleware, installed but unused)"
        )
    return "\n".join(lines) + "\n"


def upstream(warm: WarmCalls, storm: Storm) -> str:
    """Return the upstream-call figures."""
    served = storm.statuses.get("200", 0)
    refreshes = storm.calls.get("POST /v1/auth/refresh", 0)
    lines = [
        f"Upstream calls, {warm.requests:,} requests of one new session (cold caches):",
        f"  request 1                   {_calls(warm.first)}",
        f"  requests 2-{warm.requests:<,}          {_calls(warm.rest)}   (target 0: "
        f"{_verdict(not warm.rest)})",
        f"  answers not 200 + email     {warm.bad_answers}",
        f"Refresh storm, {storm.threads} threads, one expired access token + its refresh token:",
        f"  POST /v1/auth/refresh       {refreshes}   (target 1: {_verdict(refreshes == 1)})",
        f"  revoked sessions            {len(storm.revoked)}   (target 0: "
        f"{_verdict(not storm.revoked)})",
        f"  answered 200                {served}/{storm.threads}",
        f"  set the rotated cookies     {storm.cookies_set}/{storm.threads}, "
        f"{storm.rotated_refresh_tokens} distinct refresh token(s)",
        f"  all upstream calls          {_calls(storm.calls)}",
    ]
    return "\n".join(lines) + "\n"


def steps(instrumented_micros: float, timings: Sequence[tuple[str, float]]) -> str:
    """Return the per-step timings of the warm path (inclusive: a step contains those below)."""
    width = max(len(name) for name, _ in timings)
    lines = [
        "Warm django_lamba request, time inside each step (inclusive, us per request; "
        f"instrumented run: {instrumented_micros:.1f} us/request):"
    ]
    lines += [f"  {name:<{width}}  {micros:7.2f}" for name, micros in timings]
    return "\n".join(lines) + "\n"
