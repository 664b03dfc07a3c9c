"""What ``rundemo`` seeds into its emulator, and the accounts the home page then lists."""

from __future__ import annotations

from dataclasses import dataclass

from django_lamba.testing import LambaEmulator
from django_lamba.testing.demo import DEMO_MFA_CODE, seed_demo_users

MOBILE_PROJECT = ("prj_mobile", "Mobile App")
LABS_WORKSPACE = ("ws_labs", "Labs Workspace")
LABS_PROJECT = ("prj_labs", "Labs Sandbox")


@dataclass(frozen=True)
class DemoAccount:
    """A seeded emulator user, as the home page and the console show it."""

    email: str
    password: str
    description: str
    phone: str


#: Filled by ``rundemo`` when it runs the embedded emulator; empty with a real Lamba.
DEMO_ACCOUNTS: list[DemoAccount] = []


def seed_demo(emu: LambaEmulator) -> list[DemoAccount]:
    """Add the demo users and two more Projects (for the context switcher); return the users."""
    users = seed_demo_users(emu)
    mobile_id, mobile_name = MOBILE_PROJECT
    emu.add_project(emu.workspace_id, mobile_id, mobile_name)
    emu.add_workspace(*LABS_WORKSPACE)
    emu.add_project(LABS_WORKSPACE[0], *LABS_PROJECT)
    # The same people hold different roles elsewhere, so switching visibly changes the menu.
    emu.grant("admin@example.com", project_id=mobile_id, roles=["viewer"])
    emu.grant(
        "admin@example.com",
        project_id=LABS_PROJECT[0],
        roles=["member"],
        permissions=["members.read"],
    )
    emu.grant(
        "member@example.com",
        project_id=mobile_id,
        roles=["owner"],
        permissions=["members.read", "members.write"],
        is_project_admin=True,
    )
    accounts = [
        DemoAccount(email, password, description, emu.get_user(email).phone or "")
        for email, password, description in users
    ]
    DEMO_ACCOUNTS[:] = accounts
    return accounts


__all__ = ["DEMO_ACCOUNTS", "DEMO_MFA_CODE", "DemoAccount", "seed_demo"]
