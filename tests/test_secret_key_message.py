"""A missing signing key fails at ``init_app`` (not on the first request) with a message that names the fix."""

from __future__ import annotations

import pytest
from conftest import registry_data
from flask import Flask

from consent import Consent
from consent.errors import ConfigurationError
from consent.registry import Registry


@pytest.mark.parametrize("secret", [None, ""])
def test_init_app_names_both_keys_and_the_fix(secret: str | None) -> None:
    app = Flask(__name__)
    app.config["SECRET_KEY"] = secret
    with pytest.raises(ConfigurationError) as caught:
        Consent(app, registry=Registry.model_validate(registry_data(2)))
    message = str(caught.value)
    assert "CONSENT_SECRET_KEY" in message and "SECRET_KEY" in message
    assert "before init_app" in message  # says when to set it
    assert caught.value.key == "SECRET_KEY"


def test_a_consent_secret_key_alone_is_enough() -> None:
    app = Flask(__name__)
    app.config.update(CONSENT_SECRET_KEY="only-for-consent", CONSENT_COOKIE_SECURE=False)
    Consent(app, registry=Registry.model_validate(registry_data(2)))
    assert app.test_client().get("/consent/status").status_code == 200
