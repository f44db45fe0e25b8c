"""``flask consent validate|audit|diff|ledger ...``: the ``consent`` commands with the app's own settings.

The registry path, the ledger's URL and spool, the consent cookie and the ledger key come from the app's
config, so an operator never copies them by hand (and never derives a ledger key: the app's own
``CONSENT_LEDGER_KEY``, or the key derived from its ``CONSENT_SECRET_KEY``/``SECRET_KEY``, is used).
Each command runs the same code as ``consent ...`` (:mod:`consent.cli`, :mod:`consent.ledger.cli`);
arguments given on the command line win over the app's.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from ..cli import main as consent_main
from ..errors import ConfigurationError
from .settings import EXTENSION_KEY, ConsentSettings

consent_group = AppGroup(
    "consent", help="Validate, audit and compare the app's vendor registry; manage its consent ledger."
)
_PASS_THROUGH = {"ignore_unknown_options": True, "allow_extra_args": True, "help_option_names": []}


def _settings() -> ConsentSettings:
    settings: ConsentSettings | None = current_app.extensions.get(EXTENSION_KEY)
    if settings is None:
        raise click.ClickException(
            "this app does not use consent: call Consent(app) or consent.init_app(app)"
        )
    return settings


def registry_path(app: Flask) -> Path | None:
    """The app's registry file (``CONSENT_REGISTRY``, relative to the app's root path), if it is a file."""
    value = app.extensions[EXTENSION_KEY].config["CONSENT_REGISTRY"]
    if not isinstance(value, str | os.PathLike):
        return None
    path = Path(value)
    return path if path.is_absolute() else Path(app.root_path) / path


#: Options of validate, audit and diff that take a value (the value is not a file name).
_VALUED_OPTIONS = frozenset({"--format", "--fail-on"})


def _positionals(args: tuple[str, ...]) -> list[str]:
    files: list[str] = []
    skip = False
    for arg in args:
        if skip:
            skip = False
        elif arg in _VALUED_OPTIONS:
            skip = True
        elif not arg.startswith("-"):
            files.append(arg)
    return files


def _with_registry(args: tuple[str, ...], wanted: int) -> list[str]:
    """``args`` with the app's registry file added when fewer than ``wanted`` files were given."""
    if len(_positionals(args)) >= wanted:
        return list(args)
    path = registry_path(current_app)
    if path is None:
        raise click.ClickException("CONSENT_REGISTRY is not a file: name the registry file to check")
    return [*args, str(path)]


def _exit(code: int) -> None:
    click.get_current_context().exit(code)


@consent_group.command("validate", context_settings=_PASS_THROUGH, add_help_option=False)
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def validate_command(args: tuple[str, ...]) -> None:
    """Check the app's registry (or the files given); every problem with file and line."""
    _exit(consent_main(["validate", *_with_registry(args, 1)]))


@consent_group.command("audit", context_settings=_PASS_THROUGH, add_help_option=False)
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def audit_command(args: tuple[str, ...]) -> None:
    """A privacy review of the app's registry, its consent cookie named as the app sets it."""
    settings = _settings()
    context = {"own_cookie": settings.consent_cookie}
    _exit(consent_main(["audit", *_with_registry(args, 1)], context=context))


@consent_group.command("diff", context_settings=_PASS_THROUGH, add_help_option=False)
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def diff_command(args: tuple[str, ...]) -> None:
    """Compare OLD with the app's registry (or OLD with NEW)."""
    _exit(consent_main(["diff", *_with_registry(args, 2)]))


@consent_group.command("ledger", context_settings=_PASS_THROUGH, add_help_option=False)
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def ledger_command(args: tuple[str, ...]) -> None:
    """The app's consent ledger: init, show, export, verify, stats, prune, replay."""
    with _environment(ledger_environment(current_app)):
        _exit(consent_main(["ledger", *args]))


def ledger_environment(app: Flask) -> dict[str, str]:
    """What ``consent ledger`` reads from the environment, taken from the app's config instead.

    The key: ``CONSENT_LEDGER_KEY`` when set, else the secret the app derives its key from (passed as
    ``SECRET_KEY``, from which the ledger commands derive the very same key).
    """
    settings: ConsentSettings = app.extensions[EXTENSION_KEY]
    config = settings.config
    env: dict[str, str] = {}
    if config["CONSENT_LEDGER_URL"]:
        env["CONSENT_LEDGER_URL"] = str(config["CONSENT_LEDGER_URL"])
    env["CONSENT_LEDGER_SPOOL"] = str(
        config["CONSENT_LEDGER_SPOOL"] or Path(app.instance_path) / "consent-ledger.spool"
    )
    key = config["CONSENT_LEDGER_KEY"]
    if key:
        env["CONSENT_LEDGER_KEY"] = _text(key, "CONSENT_LEDGER_KEY")
        return env
    try:
        secret = settings.keys()[-1]  # the key that signs: CONSENT_SECRET_KEY, else SECRET_KEY
    except ConfigurationError:
        return env
    env["SECRET_KEY"] = _text(secret, "SECRET_KEY")
    env["CONSENT_LEDGER_KEY"] = ""  # an operator's shell must not override the app's own key
    return env


def _text(value: str | bytes, name: str) -> str:
    if isinstance(value, str):
        return value
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        raise click.ClickException(
            f"{name} is not UTF-8 text: run consent ledger with CONSENT_LEDGER_KEY set"
        ) from None


@contextmanager
def _environment(values: Mapping[str, str]) -> Iterator[None]:
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def register(app: Flask) -> None:
    """Add ``flask consent ...`` to the app's command line (once per app)."""
    if "consent" not in app.cli.commands:
        app.cli.add_command(consent_group)


__all__ = ["consent_group", "ledger_environment", "register", "registry_path"]
