"""``flask consent validate|audit|diff|ledger``: the consent commands with the app's own settings."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import pytest
from conftest import registry_data
from flask import Flask
from flask_helpers import ORIGIN

from consent import Consent
from consent.ledger import derive_key
from consent.loader import load_registry


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    # Nothing from the operator's shell: whatever the commands know comes from the app.
    for name in ("CONSENT_LEDGER_URL", "CONSENT_LEDGER_KEY", "CONSENT_LEDGER_SPOOL", "SECRET_KEY"):
        monkeypatch.delenv(name, raising=False)


def registry_file(tmp_path: Path, name: str = "vendors.json", **changes: Any) -> Path:
    data = registry_data(4)
    data["privacy_policy_url"] = "https://www.mysite.org/privacy"
    data["vendors"][0].update(changes)
    path = tmp_path / name
    path.write_text(json.dumps(data))
    return path


def make_app(tmp_path: Path, registry: Path | None = None, **config: Any) -> Flask:
    app = Flask(__name__, instance_path=str(tmp_path / "instance"))
    app.config.update(
        {
            "TESTING": True,
            "SECRET_KEY": "the-site-secret",
            "CONSENT_REGISTRY": str(registry or registry_file(tmp_path)),
            "CONSENT_COOKIE_SECURE": False,
            **config,
        }
    )
    Consent(app)
    return app


def invoke(app: Flask, *args: str) -> Any:
    return app.test_cli_runner().invoke(args=["consent", *args])


def test_validate_checks_the_apps_registry(tmp_path: Path) -> None:
    result = invoke(make_app(tmp_path), "validate")

    assert result.exit_code == 0, result.output
    assert f"{tmp_path / 'vendors.json'}: ok (4 vendors in 4 categories" in result.output


def test_validate_takes_other_files_too(tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps({"name": "x", "categories": []}))

    result = invoke(make_app(tmp_path), "validate", str(broken))

    assert result.exit_code == 2
    assert "at least one category is needed" in result.output


def test_audit_names_the_consent_cookie_as_the_app_sets_it(tmp_path: Path) -> None:
    app = make_app(tmp_path, CONSENT_COOKIE_SECURE=True, CONSENT_COOKIE_MAX_AGE=180)

    result = invoke(app, "audit", "--format", "json", "--fail-on", "never")

    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert (report["consent_cookie"]["name"], report["consent_cookie"]["lifetime"]) == (
        "__Host-consent",
        "180d",
    )


@pytest.mark.parametrize(("fail_on", "code"), [("warning", 1), ("error", 0), ("never", 0)])
def test_audit_passes_fail_on_through(tmp_path: Path, fail_on: str, code: int) -> None:
    # A cookie without a lifetime is a warning.
    app = make_app(tmp_path, registry_file(tmp_path, "x.json", cookies=[{"name": "a"}]))

    assert invoke(app, "audit", "--fail-on", fail_on).exit_code == code


def test_diff_compares_an_old_file_with_the_apps_registry(tmp_path: Path) -> None:
    old = registry_file(tmp_path, "old.json", description="Measures traffic.")
    app = make_app(tmp_path)

    result = invoke(app, "diff", str(old))

    assert result.exit_code == 3, result.output  # the description changed: a person must review it
    assert "description (review): 'Measures traffic.' -> ''" in result.output


def test_a_registry_given_as_an_object_asks_for_a_file(tmp_path: Path) -> None:
    app = Flask(__name__)
    app.config.update(SECRET_KEY="s", CONSENT_COOKIE_SECURE=False)
    Consent(app, registry=load_registry(registry_file(tmp_path)))

    result = invoke(app, "validate")

    assert result.exit_code == 1
    assert "CONSENT_REGISTRY is not a file" in result.output


# -- the ledger -------------------------------------------------------------------------------------------


def decide_once(app: Flask) -> None:
    client = app.test_client()
    response = client.post("/consent/", data={"action": "accept_all"}, headers=ORIGIN)
    assert response.status_code == 303
    ledger = app.extensions["consent"].ledger
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not ledger.history(_id(app, client)):
        time.sleep(0.05)
    ledger.close()


def _id(app: Flask, client: Any) -> str:
    codec = app.extensions["consent"].codec
    state = codec.decode(client.get_cookie(codec.name).value)
    assert state.consent_id
    return state.consent_id


@pytest.mark.parametrize("own_key", [None, "a-ledger-key-of-its-own"])
def test_ledger_commands_use_the_apps_url_and_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, own_key: str | None
) -> None:
    url = f"sqlite:///{tmp_path / 'ledger.sqlite3'}"
    config: dict[str, Any] = {"CONSENT_LEDGER_URL": url}
    if own_key:
        config["CONSENT_LEDGER_KEY"] = own_key
    app = make_app(tmp_path, **config)

    assert invoke(app, "ledger", "init").exit_code == 0
    decide_once(app)
    # A key in the operator's shell does not replace the app's own.
    monkeypatch.setenv("CONSENT_LEDGER_KEY", "a-wrong-key-from-the-shell")

    result = invoke(app, "ledger", "verify")

    assert result.exit_code == 0, result.output
    assert result.output.startswith("ok: 1 record")
    assert os.environ["CONSENT_LEDGER_KEY"] == "a-wrong-key-from-the-shell"  # restored afterwards
    assert "SECRET_KEY" not in os.environ


def test_the_ledger_environment_derives_the_key_the_app_uses(tmp_path: Path) -> None:
    from consent.flask.cli import ledger_environment
    from consent.ledger.cli import key_from_environment

    app = make_app(tmp_path, CONSENT_LEDGER_URL="sqlite:///x.db")
    env = ledger_environment(app)

    assert env["CONSENT_LEDGER_URL"] == "sqlite:///x.db"
    assert env["CONSENT_LEDGER_SPOOL"] == str(tmp_path / "instance" / "consent-ledger.spool")
    os.environ.update(env)
    try:
        assert key_from_environment() == derive_key("the-site-secret")
    finally:
        for name in env:
            os.environ.pop(name, None)
