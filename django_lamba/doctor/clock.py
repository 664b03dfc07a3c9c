"""The doctor's clock check: Lamba's ``Date`` header against this server's clock."""

from __future__ import annotations

from ..conf import lamba_settings
from .network import Probe
from .results import Finding

#: A skew up to this many seconds is fine; beyond it a warning; beyond the JWT leeway a failure.
CLOCK_WARN_SECONDS = 5.0


def clock_skew(result: Probe) -> Finding:
    """Compare Lamba's ``Date`` header with this server's clock."""
    call = result.call
    if call is None or call.server_date is None:
        return Finding("clock", "skip", "Lamba sent no Date header to compare with")
    # Date has whole seconds (rounded down): compare with the middle of the call.
    skew = round(call.server_date + 0.5 - (result.finished - call.duration_ms / 2000), 1)
    leeway = lamba_settings.JWT_LEEWAY
    way = "ahead of" if skew > 0 else "behind"
    summary = f"Lamba's clock is {abs(skew):.1f} s {way} this server's"
    if abs(skew) < 1:
        summary = "Lamba's clock agrees with this server's (within the Date header's 1 s)"
    facts = {"skew_seconds": skew, "leeway_seconds": leeway}
    if abs(skew) <= CLOCK_WARN_SECONDS:
        return Finding("clock", "ok", summary, facts=facts)
    if abs(skew) <= leeway:
        return Finding(
            "clock",
            "warn",
            f"{summary} (within LAMBA_JWT_LEEWAY, {leeway:.0f} s)",
            fix="Tokens still verify, but sync this server's clock with NTP "
            "(timedatectl set-ntp true, or chrony) before the skew grows.",
            facts=facts,
        )
    return Finding(
        "clock",
        "fail",
        f"{summary}: beyond LAMBA_JWT_LEEWAY ({leeway:.0f} s)",
        fix="Fresh tokens look expired or not yet valid here, so requests refresh or ask the "
        "API host instead of verifying locally, and webhooks may fall outside their window. "
        "Sync this server's clock with NTP (timedatectl set-ntp true, or chrony).",
        facts=facts,
    )
