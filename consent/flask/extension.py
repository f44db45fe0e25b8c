"""The Flask extension: ``Consent(app=None)`` + ``init_app``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask

from ..banner import Widget
from ..errors import ConfigurationError
from ..gate import table_for
from ..registry import Registry
from . import cli, helpers, http, views
from . import config as settings_config
from .adtech_settings import build_adtech
from .current import forget_request
from .settings import EXTENSION_KEY, ConsentSettings, asset_version, resolve_registry
from .wording import load_variants


class Consent:
    """Cookie consent for a Flask app, driven by a vendor registry.

    ``Consent(app, registry="vendors.toml")`` or, with an app factory, ``consent = Consent()`` then
    ``consent.init_app(app)``. Keyword arguments override the matching ``CONSENT_*`` config keys.
    """

    def __init__(
        self, app: Flask | None = None, *, registry: Registry | str | Path | None = None, **options: Any
    ) -> None:
        unknown = [k for k in options if f"CONSENT_{k.upper()}" not in settings_config.DEFAULTS]
        if unknown:
            raise ConfigurationError(f"unknown Consent options: {', '.join(unknown)}")
        self.options = {f"CONSENT_{k.upper()}": v for k, v in options.items()}
        if registry is not None:
            self.options["CONSENT_REGISTRY"] = registry
        if app is not None:
            self.init_app(app)

    def init_app(self, app: Flask) -> None:
        for key, value in settings_config.DEFAULTS.items():
            app.config.setdefault(key, value)
        config = settings_config.resolve(self.options, app.config)
        registry = resolve_registry(config["CONSENT_REGISTRY"], app)
        settings = ConsentSettings(
            registry=registry,
            config=config,
            widget=Widget(app.jinja_env, registry, policy_url=config["CONSENT_POLICY_URL"]),
            asset_version=asset_version(),
            gate_table=table_for(registry),  # compiled now, not on a visitor's request
            app_config=app.config,
            app_extensions=app.extensions,
            arguments=dict(self.options),
            adtech=build_adtech(config, registry, Path(app.root_path)),
            experiment=load_variants(config["CONSENT_VARIANTS"], app),
        )
        app.extensions[EXTENSION_KEY] = settings

        app.register_blueprint(views.create_blueprint(), url_prefix=config["CONSENT_URL_PREFIX"])
        app.jinja_env.globals.update(helpers.JINJA_GLOBALS)
        app.after_request(http.after_request)
        app.teardown_request(forget_request)
        cli.register(app)  # flask consent validate|audit|diff|ledger, with this app's settings
        if config["CONSENT_GPC_JSON"]:
            app.add_url_rule("/.well-known/gpc.json", "consent_gpc", views.gpc_json)
