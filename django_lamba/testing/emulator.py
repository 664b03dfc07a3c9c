"""``LambaEmulator``: the Lamba auth and API hosts, served on loopback for tests and demos."""

from __future__ import annotations

import threading
from collections.abc import Callable
from types import TracebackType

from . import (
    _admin_catalog_routes,
    _admin_domain_routes,
    _admin_ops_routes,
    _admin_routes,
    _api_routes,
    _auth_routes,
    _oidc,
    _selfservice_routes,
)
from ._admin_controls import EmulatorAdminControls
from ._dispatch import Dispatcher
from ._http import RouteTable
from ._inspection import EmulatorInspection
from ._models import EmulatedUser as EmulatedUser  # re-exported: the controls return these
from ._models import ManagementClient as ManagementClient
from ._models import OidcClient as OidcClient
from ._request_records import HostKind
from ._server import EmulatorHTTPServer
from ._session_controls import EmulatorSessionControls
from ._session_records import OutboxMessage
from ._state import (
    DEFAULT_MANAGEMENT_CLIENT_ID,
    DEFAULT_MANAGEMENT_CLIENT_SECRET,
    DEFAULT_PROJECT_ID,
    DEFAULT_WORKSPACE_ID,
    EmulatorState,
    TokenFormat,
)
from ._tunables import EmulatorTunables
from ._user_controls import EmulatorUserControls
from ._webhook_controls import EmulatorWebhooks

AUTH_ROUTES: RouteTable = {**_auth_routes.ROUTES, **_oidc.ROUTES}
API_ROUTES: RouteTable = {
    **_api_routes.ROUTES,
    **_selfservice_routes.ROUTES,
    # The admin families (/v1/admin/*): a management token needs the scope, a customer session
    # the matching permission.
    **_admin_routes.ROUTES,
    **_admin_catalog_routes.ROUTES,
    **_admin_ops_routes.ROUTES,
    **_admin_domain_routes.ROUTES,
}


class LambaEmulator(
    EmulatorTunables,
    EmulatorInspection,
    EmulatorWebhooks,
    EmulatorAdminControls,
    EmulatorUserControls,
    EmulatorSessionControls,
):
    """A strict, thread-safe emulation of Lamba's public auth host and API host.

    Each host is a real ``ThreadingHTTPServer`` on its own loopback port speaking the public
    customer contract (auth, OIDC, ``/v1/me/*``, ``/v1/admin/*``). Tests drive it over
    sockets and steer it with the methods below and those of its mixins (directory in
    ``_user_controls``, sessions and keys in ``_session_controls``)::

        with LambaEmulator() as emu:
            emu.add_user("ada@example.com", "correct-horse", roles=["member"])
            tokens = emu.issue_session("ada@example.com", project_id=emu.project_id)
            emu.inject_fault("/v1/me/context", status=503)

    ``reset()`` returns it to a fresh state (default Workspace ``ws_demo``, Project
    ``prj_demo``, management client ``mgmt_demo``) without rebinding ports or new keys.
    """

    workspace_id = DEFAULT_WORKSPACE_ID
    project_id = DEFAULT_PROJECT_ID
    environment = "test"
    management_client_id = DEFAULT_MANAGEMENT_CLIENT_ID
    management_client_secret = DEFAULT_MANAGEMENT_CLIENT_SECRET

    def __init__(
        self,
        host: str = "127.0.0.1",
        auth_port: int = 0,
        api_port: int = 0,
        access_token_ttl: float = 300,
        refresh_token_ttl: float = 30 * 86400,
        token_format: TokenFormat = "jwt",
        on_outbox: Callable[[OutboxMessage], None] | None = None,
    ) -> None:
        if token_format not in ("jwt", "opaque"):
            raise ValueError("token_format must be 'jwt' or 'opaque'.")
        self.host = host
        self._ports = (auth_port, api_port)
        self._state = EmulatorState(
            access_token_ttl=access_token_ttl,
            refresh_token_ttl=refresh_token_ttl,
            token_format=token_format,
        )
        self._state.on_outbox = on_outbox
        self._init_webhooks()
        # Sessions ended by an HTTP call send Lamba's events after the answer.
        self._state.after_request = lambda: self._send_lamba_events(background=True)
        self._stopping = threading.Event()
        self._servers: list[EmulatorHTTPServer] = []
        self._threads: list[threading.Thread] = []
        self._urls: tuple[str, str] | None = None
        self._dispatcher = Dispatcher(
            self._state,
            {"auth": AUTH_ROUTES, "api": API_ROUTES},
            self._current_urls,
            self._stopping,
        )

    # --- lifecycle -----------------------------------------------------------------------

    def start(self) -> LambaEmulator:
        """Bind both ports and start serving in daemon threads."""
        if self._servers:
            raise RuntimeError("The emulator is already running.")
        self._stopping.clear()
        kinds: tuple[HostKind, HostKind] = ("auth", "api")
        try:
            for kind, port in zip(kinds, self._ports, strict=True):
                self._servers.append(EmulatorHTTPServer((self.host, port), kind, self._dispatcher))
        except OSError:
            self._close_servers()
            raise
        display_host = f"[{self.host}]" if ":" in self.host else self.host
        auth_port, api_port = (server.server_address[1] for server in self._servers)
        self._urls = (f"http://{display_host}:{auth_port}", f"http://{display_host}:{api_port}")
        with self._state.lock:
            self._state.issuer = self._urls[0]
        for server in self._servers:
            thread = threading.Thread(
                target=server.serve_forever,
                kwargs={"poll_interval": 0.05},
                name=f"lamba-emulator-{server.host_kind}",
                daemon=True,
            )
            thread.start()
            self._threads.append(thread)
        return self

    def stop(self) -> None:
        """Stop serving, drop open connections and release both ports."""
        self._stopping.set()
        for server in self._servers:
            server.shutdown()
        self._close_servers()
        for thread in self._threads:
            thread.join(timeout=5)
        self._threads.clear()

    def _close_servers(self) -> None:
        for server in self._servers:
            server.close_connections()
            server.server_close()
        self._servers.clear()

    def __enter__(self) -> LambaEmulator:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        """Return whether the servers are up."""
        return bool(self._servers)

    def _current_urls(self) -> tuple[str, str]:
        if self._urls is None:
            raise RuntimeError("The emulator has not been started.")
        return self._urls

    @property
    def auth_url(self) -> str:
        """Return the auth host's base URL (no trailing slash); also the tokens' ``iss``."""
        return self._current_urls()[0]

    @property
    def api_url(self) -> str:
        """Return the API host's base URL (no trailing slash)."""
        return self._current_urls()[1]

    def reset(self) -> None:
        """Forget users, sessions, codes, clients, faults, calls, outbox, webhook endpoint."""
        self._reset_webhooks()
        self._state.clear()

    def __repr__(self) -> str:
        where = f"{self._urls[0]} {self._urls[1]}" if self._urls and self._servers else "stopped"
        return f"<LambaEmulator {where} token_format={self.token_format!r}>"
