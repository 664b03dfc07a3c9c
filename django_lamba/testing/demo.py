"""Demo users for the example project and ``python -m django_lamba.testing``."""

from __future__ import annotations

from .emulator import LambaEmulator

DEMO_PASSWORD = "demo-password"
DEMO_MFA_CODE = "123456"


def seed_demo_users(emu: LambaEmulator) -> list[tuple[str, str, str]]:
    """Add the demo users to ``emu``; return ``(email, password, description)`` for each."""
    emu.add_user(
        "admin@example.com",
        DEMO_PASSWORD,
        username="admin",
        display_name="Ada Admin",
        phone="+15550000001",
        roles=["owner"],
        permissions=["members.read", "members.write", "billing.manage"],
        is_project_admin=True,
    )
    emu.add_user(
        "member@example.com",
        DEMO_PASSWORD,
        username="member",
        display_name="Mel Member",
        phone="+15550000002",
        roles=["member"],
        permissions=["members.read"],
    )
    emu.add_user(
        "viewer@example.com",
        DEMO_PASSWORD,
        username="viewer",
        display_name="Vic Viewer",
        phone="+15550000003",
        roles=["viewer"],
    )
    emu.add_user(
        "mfa@example.com",
        DEMO_PASSWORD,
        username="mfa",
        display_name="Mo Factor",
        phone="+15550000004",
        mfa_code=DEMO_MFA_CODE,
        roles=["member"],
        permissions=["members.read"],
    )
    return [
        ("admin@example.com", DEMO_PASSWORD, "project admin, role owner, members/billing perms"),
        ("member@example.com", DEMO_PASSWORD, "role member, permission members.read"),
        ("viewer@example.com", DEMO_PASSWORD, "role viewer, no permissions"),
        ("mfa@example.com", DEMO_PASSWORD, f"role member, MFA required (code {DEMO_MFA_CODE})"),
    ]
