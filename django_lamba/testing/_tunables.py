"""The settable knobs of ``LambaEmulator``: token lifetimes, clock, outbox hook, limits."""

from __future__ import annotations

from collections.abc import Callable

from ._models import PlanLimit
from ._session_records import OutboxMessage
from ._state import DEFAULT_PROJECT_ID, EmulatorState, TokenFormat


class EmulatorTunables:
    """Properties that read and write the emulator's tunables under its lock."""

    _state: EmulatorState

    @property
    def token_format(self) -> TokenFormat:
        """Return ``"jwt"`` or ``"opaque"``."""
        return self._state.token_format

    @property
    def access_token_ttl(self) -> float:
        """Return the lifetime of new access tokens in seconds (restored by ``reset()``)."""
        return self._state.access_token_ttl

    @access_token_ttl.setter
    def access_token_ttl(self, value: float) -> None:
        with self._state.lock:
            self._state.access_token_ttl = value

    @property
    def refresh_token_ttl(self) -> float:
        """Return the lifetime of new refresh tokens in seconds (restored by ``reset()``)."""
        return self._state.refresh_token_ttl

    @refresh_token_ttl.setter
    def refresh_token_ttl(self, value: float) -> None:
        with self._state.lock:
            self._state.refresh_token_ttl = value

    @property
    def clock(self) -> Callable[[], float]:
        """Return the emulator's time source (``time.time``; restored by ``reset()``)."""
        return self._state.clock

    @clock.setter
    def clock(self, value: Callable[[], float]) -> None:
        with self._state.lock:
            self._state.clock = value

    @property
    def on_outbox(self) -> Callable[[OutboxMessage], None] | None:
        """Return the hook called (outside the lock) with each message sent."""
        return self._state.on_outbox

    @on_outbox.setter
    def on_outbox(self, value: Callable[[OutboxMessage], None] | None) -> None:
        self._state.on_outbox = value

    def configure(self, **values: float) -> None:
        """Set ``magic_link_ttl``, ``phone_code_ttl``, ``auth_code_ttl``, ``rate_limit``..."""
        allowed = {"magic_link_ttl", "phone_code_ttl", "auth_code_ttl", "rate_limit"}
        allowed |= {"rate_limit_window"}
        with self._state.lock:
            for name, value in values.items():
                if name not in allowed:
                    raise TypeError(f"Unknown emulator setting {name!r}.")
                setattr(self._state, name, int(value) if name == "rate_limit" else float(value))

    def exceed_plan_limit(
        self,
        project_id: str | None = None,
        *,
        limit: str = "mau",
        allowed: int = 1000,
        current: int = 1000,
        plan: str = "free",
        legacy_body: bool = False,
    ) -> None:
        """Make switch-context into ``project_id`` (default: the demo Project) answer 402.

        The answer is a ``PLAN_LIMIT_EXCEEDED`` ProblemDetails with ``limit``, ``allowed``,
        ``current`` and ``plan``; ``legacy_body=True`` gives the older bare
        ``{"error": "PLAN_LIMIT_EXCEEDED", ..., "message"}`` instead. Lasts until
        ``clear_plan_limit()`` or ``reset()``.
        """
        wanted = project_id or DEFAULT_PROJECT_ID
        with self._state.lock:
            if wanted not in self._state.projects:
                raise ValueError(f"Unknown project {wanted!r}.")
            self._state.plan_limits[wanted] = PlanLimit(
                limit, allowed, current, plan, legacy_body=legacy_body
            )

    def clear_plan_limit(self, project_id: str | None = None) -> None:
        """Let switch-context into ``project_id`` (default: the demo Project) succeed again."""
        with self._state.lock:
            self._state.plan_limits.pop(project_id or DEFAULT_PROJECT_ID, None)
