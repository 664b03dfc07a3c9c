"""Keep docs/ (and the README) in agreement with the code.

Every ``LAMBA_*`` setting in ``django_lamba.conf`` is documented in docs/settings.md with its type,
its real default and its environment variables; every page is reachable from docs/index.md and
every relative link resolves; every Python block compiles; every ``lamba:`` URL name resolves.
"""

from __future__ import annotations

import ast
import inspect
import re
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.urls import NoReverseMatch, reverse

from django_lamba import conf

REPO_ROOT = Path(__file__).resolve().parent.parent
DOCS = REPO_ROOT / "docs"
PAGES = sorted(DOCS.glob("*.md"))
README = REPO_ROOT / "README.md"
SETTINGS_PAGE = DOCS / "settings.md"

#: Settings whose default is another setting's value; the doc must name that setting.
DERIVED_DEFAULTS = {
    "LAMBA_OIDC_ISSUER": "LAMBA_CUSTOMER_AUTH_BASE_URL",
    "LAMBA_JWT_ISSUER": "LAMBA_CUSTOMER_AUTH_BASE_URL",
    "LAMBA_LOGIN_REDIRECT_URL": "LOGIN_REDIRECT_URL",
    "LAMBA_LOGOUT_REDIRECT_URL": "LOGOUT_REDIRECT_URL",
    "LAMBA_ALLOWED_PROJECTS": "LAMBA_CUSTOMER_PROJECT_ID",
    "LAMBA_TOTAL_TIMEOUT": "LAMBA_CONNECT_TIMEOUT",
}

LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
PYTHON_BLOCK = re.compile(r"^```python\n(.*?)^```", re.DOTALL | re.MULTILINE)
URL_NAME = re.compile(
    r"""(?:\{%\s*url\s+|reverse\(|resolve_url\(|redirect\(|reverse_lazy\()['"](lamba:\w+)['"]"""
    r"|`(lamba:\w+)`"
)
SECTION = re.compile(r"^### `(LAMBA_\w+)`\n(.*?)(?=^#{1,3} |\Z)", re.DOTALL | re.MULTILINE)
FACTS = re.compile(r"\*\*Type\*\* `([^`]+)`.*?\*\*Default\*\* (.+?) · \*\*Env\*\* (.+)$", re.M)


def _settings_in_code() -> dict[str, tuple[str, str]]:
    """Map each ``LAMBA_*`` name to (property name, return annotation) in ``LambaSettings``."""
    found: dict[str, tuple[str, str]] = {}
    members = {}
    for group in reversed(conf.LambaSettings.__mro__):  # the class and its grouped bases
        members.update(vars(group))
    for prop, member in members.items():
        if not isinstance(member, property) or member.fget is None:
            continue
        names = re.findall(r'"(LAMBA_[A-Z0-9_]+)"', inspect.getsource(member.fget))
        assert names, f"LambaSettings.{prop} reads no LAMBA_* setting"
        found[names[0]] = (prop, str(member.fget.__annotations__["return"]))
    return found


SETTINGS = _settings_in_code()


def _documented() -> dict[str, str]:
    text = SETTINGS_PAGE.read_text()
    return {match[1]: match[2] for match in SECTION.finditer(text)}


def _default(prop: str, settings: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """Return ``lamba_settings.<prop>`` with no LAMBA_* setting or variable anywhere."""
    for name in SETTINGS:
        for env_name in (name, *conf._ALIASES.get(name, ())):
            monkeypatch.delenv(env_name, raising=False)
        if hasattr(settings, name):
            delattr(settings, name)
    return getattr(conf.lamba_settings, prop)


# --- settings --------------------------------------------------------------------------------


def test_settings_page_documents_exactly_the_settings_in_code() -> None:
    documented = set(_documented())
    assert sorted(set(SETTINGS) - documented) == [], "add these to docs/settings.md"
    assert sorted(documented - set(SETTINGS)) == [], "these are documented but gone from conf.py"


@pytest.mark.parametrize("name", sorted(SETTINGS))
def test_setting_type_default_and_env_are_documented(
    name: str, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    section = _documented().get(name)
    if section is None:
        pytest.fail(f"{name} is not documented in docs/settings.md")
    facts = FACTS.search(section)
    assert facts, f"{name}: expected a '**Type** `...` · **Default** ... · **Env** ...' line"
    doc_type, doc_default, doc_env = facts.groups()
    prop, annotation = SETTINGS[name]
    assert doc_type == annotation, f"{name}: type is {annotation}"
    assert all(f"`{env}`" in doc_env for env in (name, *conf._ALIASES.get(name, ()))), (
        f"{name}: list the environment variable and its aliases"
    )

    if name in DERIVED_DEFAULTS:
        assert DERIVED_DEFAULTS[name] in doc_default, f"{name}: name where the default comes from"
        return
    try:
        default = _default(prop, settings, monkeypatch)
    except ImproperlyConfigured:
        assert "required" in doc_default, f"{name} has no default: say it is required"
        return
    literal = re.fullmatch(r"`([^`]*)`", doc_default.strip())
    assert literal, f"{name}: write the default as one code span, e.g. `{default!r}`"
    assert ast.literal_eval(literal[1]) == default, f"{name}: the default is {default!r}"


# --- pages and links -------------------------------------------------------------------------


def test_index_links_every_page_and_every_link_exists() -> None:
    index = DOCS / "index.md"
    linked = {
        (DOCS / target.split("#")[0]).resolve()
        for target in LINK.findall(index.read_text())
        if not re.match(r"[a-z]+:", target) and target.split("#")[0]
    }
    missing = sorted(str(path.relative_to(REPO_ROOT)) for path in linked if not path.exists())
    assert missing == [], "docs/index.md links to pages that do not exist"
    orphans = sorted(page.name for page in PAGES if page.resolve() not in linked | {index})
    assert orphans == [], "link these pages from docs/index.md"


def _anchors(page: Path) -> set[str]:
    """Return the GitHub-style anchors of a page's headings."""
    text = re.sub(r"^```.*?^```", "", page.read_text(), flags=re.DOTALL | re.MULTILINE)
    headings = re.findall(r"^#{1,6} (.+)$", text, re.MULTILINE)
    return {re.sub(r"[^\w\- ]", "", h.strip().lower()).replace(" ", "-") for h in headings}


@pytest.mark.parametrize("page", [README, *PAGES], ids=lambda p: p.name)
def test_relative_links_and_anchors_resolve(page: Path) -> None:
    broken = []
    for target in LINK.findall(page.read_text()):
        if re.match(r"[a-z]+:", target):
            continue
        path, _, anchor = target.partition("#")
        linked = (page.parent / path) if path else page
        if not linked.exists() or (
            anchor and linked.suffix == ".md" and anchor not in _anchors(linked)
        ):
            broken.append(target)
    assert broken == []


@pytest.mark.parametrize("page", [README, *PAGES], ids=lambda p: p.name)
def test_python_blocks_compile(page: Path) -> None:
    for number, block in enumerate(PYTHON_BLOCK.findall(page.read_text()), start=1):
        compile(block, f"{page.name} python block {number}", "exec")


@pytest.mark.parametrize("page", [README, *PAGES], ids=lambda p: p.name)
def test_lamba_url_names_resolve(page: Path) -> None:
    names = {a or b for a, b in URL_NAME.findall(page.read_text())}
    unknown = []
    for name in sorted(names):
        try:
            reverse(name)
        except NoReverseMatch:
            unknown.append(name)
    assert unknown == []
