"""Every page the widget produces, in every state, is valid HTML by the W3C Nu Html Checker (vnu.jar)."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from flask_helpers import PAGE, ROOT, example_app, post

VNU = ROOT / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
REGISTRY = ROOT / "examples" / "reviews" / "vendors.toml"
REGION = "X-Region"
GPC = {"Sec-GPC": "1"}
#: The panel fragment is served into the dialog: it is checked inside the smallest valid document.
FRAGMENT_PAGE = (
    '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>dialog</title></head>'
    '<body><dialog open aria-label="Privacy preferences">{}</dialog></body></html>'
)


def decide(**fields: Any) -> Callable[[FlaskClient], None]:
    def act(client: FlaskClient) -> None:
        response = post(client, fields)
        assert response.status_code == 303, response.get_data(as_text=True)

    return act


def undecided(client: FlaskClient) -> None:
    """A first visit: nothing decided yet."""


#: name -> (app config, what the visitor did first, path, request headers, is a fragment)
PAGES: dict[str, tuple[dict[str, Any], Callable[[FlaskClient], None], str, dict[str, str], bool]] = {
    "first-visit-article": ({}, undecided, PAGE, {}, False),
    "first-visit-home": ({}, undecided, "/", {}, False),
    "first-visit-privacy": ({}, undecided, "/privacy", {}, False),
    "first-visit-gpc": ({}, undecided, PAGE, GPC, False),
    "accepted": ({}, decide(action="accept_all"), PAGE, {}, False),
    "rejected": ({}, decide(action="reject_all"), PAGE, {}, False),
    "custom": ({}, decide(action="custom", category="statistics"), PAGE, {}, False),
    "one-embed-granted": ({}, decide(action="grant", vendor="google-youtube"), PAGE, {}, False),
    "withdrawn": ({}, decide(action="withdraw"), PAGE, {}, False),
    "preferences-first-visit": ({}, undecided, "/consent/preferences", {}, False),
    "preferences-accepted": ({}, decide(action="accept_all"), "/consent/preferences", {}, False),
    "preferences-rejected": ({}, decide(action="reject_all"), "/consent/preferences", {}, False),
    "panel-first-visit": ({}, undecided, "/consent/preferences?fragment=1", {}, True),
    "panel-custom": (
        {},
        decide(action="custom", category="statistics"),
        "/consent/preferences?fragment=1",
        {},
        True,
    ),
    "opt-out-notice": ({"CONSENT_REGION_HEADER": REGION}, undecided, PAGE, {REGION: "US-CA"}, False),
    "opt-out-notice-gpc": (
        {"CONSENT_REGION_HEADER": REGION},
        undecided,
        PAGE,
        {REGION: "US-CA", **GPC},
        False,
    ),
    "opt-out-panel": (
        {"CONSENT_REGION_HEADER": REGION},
        undecided,
        "/consent/preferences?fragment=1",
        {REGION: "US-CA"},
        True,
    ),
    "opt-out-preferences": (
        {"CONSENT_REGION_HEADER": REGION},
        undecided,
        "/consent/preferences",
        {REGION: "US-CA"},
        False,
    ),
    "notice-only": ({"notice": True}, undecided, PAGE, {}, False),
    "notice-only-preferences": ({"notice": True}, undecided, "/consent/preferences", {}, False),
    "dark-theme": ({"CONSENT_THEME": "dark"}, undecided, PAGE, {}, False),
    "dark-theme-preferences": ({"CONSENT_THEME": "dark"}, undecided, "/consent/preferences", {}, False),
}


def notice_only_registry(folder: Path) -> Path:
    """The example's registry where every visitor gets notice only (no region of the example has it)."""
    text = REGISTRY.read_text(encoding="utf-8")
    assert 'default_policy = "opt-in"' in text
    path = folder / "vendors-notice.toml"
    path.write_text(
        text.replace('default_policy = "opt-in"', 'default_policy = "notice"', 1), encoding="utf-8"
    )
    return path


def render(name: str, folder: Path) -> str:
    config, act, path, headers, fragment = PAGES[name]
    config = dict(config)
    if config.pop("notice", False):
        config["CONSENT_REGISTRY"] = notice_only_registry(folder)
    client = example_app(**config).test_client()
    act(client)
    response = client.get(path, headers=headers)
    assert response.status_code == 200, (name, response.status_code)
    html = response.get_data(as_text=True)
    return FRAGMENT_PAGE.format(html) if fragment else html


@pytest.fixture(scope="module")
def checked(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[dict[str, Any]]]:
    """vnu's errors per page, from one run over every page (the checker's JVM starts once)."""
    java = shutil.which("java")
    if java is None:
        pytest.fail(
            "java is missing: the Nu Html Checker needs `apt-get install default-jre-headless`", pytrace=False
        )
    if not VNU.exists():
        pytest.fail(f"{VNU} is missing: run `npm ci`", pytrace=False)
    folder = tmp_path_factory.mktemp("pages")
    files = {}
    for name in PAGES:
        files[name] = folder / f"{name}.html"
        files[name].write_text(render(name, folder), encoding="utf-8")
    result = subprocess.run(
        [
            java,
            "-jar",
            str(VNU),
            "--errors-only",
            "--format",
            "json",
            "--exit-zero-always",
            *map(str, files.values()),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    messages = json.loads(result.stderr)["messages"]
    by_page: dict[str, list[dict[str, Any]]] = {name: [] for name in PAGES}
    for message in messages:
        page = Path(message.get("url", "").removeprefix("file:")).stem
        by_page.setdefault(page, []).append(message)
    return by_page


@pytest.mark.parametrize("name", list(PAGES))
def test_the_page_is_valid_html(checked: dict[str, list[dict[str, Any]]], name: str) -> None:
    errors = [
        f"line {m.get('lastLine')}: {m.get('message')} [{m.get('extract', '').strip()}]"
        for m in checked[name]
    ]
    assert errors == [], f"{name}:\n" + "\n".join(errors)


def test_the_checker_finds_errors() -> None:
    """The check is not vacuous: vnu reports a form nested in a form (what placeholders once made)."""
    java = shutil.which("java")
    assert java is not None and VNU.exists()
    bad = '<!doctype html><html lang="en"><head><title>x</title></head><body><form><form></form></form></body></html>'
    result = subprocess.run(
        [java, "-jar", str(VNU), "--errors-only", "--format", "json", "--exit-zero-always", "-"],
        input=bad,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    messages = json.loads(result.stderr)["messages"]
    assert any("form" in m["message"] for m in messages), messages
