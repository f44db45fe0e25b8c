"""Every registry, Python snippet and ``consent`` command of the README is loaded, run or checked.

Blocks are found by their fence's language and, where a block needs more than its language says, by a
marker comment on the line before the fence: ``<!-- readme-test: KIND ARGS -->``, where KIND is

- ``registry NAME``: a whole registry (TOML or YAML) that must load; NAME keeps it for later blocks;
- ``python app|factory|request|core|config|geoip|gpp|ledger|dashboard``: a snippet run by the matching runner below
  (against a temporary folder holding the README's registries; stubs only for what needs a server);
- ``file NAME``: written into that folder as NAME;
- ``output COMMAND``: exactly what ``COMMAND`` (a ``consent`` command) prints there;
- ``skip REASON``: not run here, for the reason given.

Unmarked TOML blocks are registries when they have categories, else fragments merged into the annotated
registry, which must then load; unmarked ``sh``/``console`` blocks have every ``consent`` command run.
A Python block without a marker, or a marker this file does not know, fails the test.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
import tomllib
import types
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from flask import Flask

from consent import Consent, load_registry
from consent.registry import Registry

ROOT = Path(__file__).parents[1]
README = ROOT / "README.md"
_FENCE = re.compile(
    r"^(?:<!-- readme-test: (?P<marker>.+?) -->\n)?```(?P<lang>[a-z]*)\n(?P<body>.*?)^```$", re.M | re.S
)
#: Command lines the README shows that this test does not run, and why (any other command fails the test).
NOT_RUN = {
    "pip": "installs from the package index; CI installs the package with `make`",
    "make": "CI itself runs `make test`; `make example` serves forever",
    "flask": "`flask consent ...` is run by tests/test_flask_cli.py, `flask run` serves forever",
}


@dataclass(frozen=True)
class Block:
    lang: str
    body: str
    marker: str
    line: int

    @property
    def kind(self) -> str:
        return self.marker.split(" ", 1)[0] if self.marker else ""

    @property
    def arg(self) -> str:
        return self.marker.split(" ", 1)[1] if " " in self.marker else ""


def blocks() -> list[Block]:
    text = README.read_text(encoding="utf-8")
    return [
        Block(m["lang"], m["body"], m["marker"] or "", text.count("\n", 0, m.start()) + 1)
        for m in _FENCE.finditer(text)
    ]


def named(kind: str, arg: str | None = None) -> list[Block]:
    return [b for b in blocks() if b.kind == kind and (arg is None or b.arg.split(" ")[0] == arg)]


def annotated() -> dict[str, Any]:
    (block,) = named("registry", "annotated")
    return tomllib.loads(block.body)


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder with the README's registries and files, and the working directory for the snippets."""
    (tmp_path / "vendors.toml").write_text(named("registry", "annotated")[0].body, encoding="utf-8")
    for block in named("registry", "quickstart"):
        (tmp_path / f"quickstart.{block.lang}").write_text(block.body, encoding="utf-8")
    (tmp_path / "vendors.yaml").write_text((tmp_path / "quickstart.yaml").read_text(), encoding="utf-8")
    for name in ("old.toml", "new.toml"):
        (tmp_path / name).write_text((tmp_path / "vendors.toml").read_text(), encoding="utf-8")
    for block in named("file"):
        (tmp_path / block.arg).write_text(block.body, encoding="utf-8")
    (tmp_path / "instance" / "consent-ledger.spool").mkdir(parents=True)  # `ledger replay --spool` reads it
    monkeypatch.chdir(tmp_path)
    for name in ("CONSENT_LEDGER_URL", "CONSENT_LEDGER_KEY", "SECRET_KEY"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def test_the_first_code_block_has_the_project_commands() -> None:
    first = blocks()[0]
    assert first.lang == "sh"
    commands = [line.split("#")[0].strip() for line in first.body.splitlines()]
    assert "make example" in commands and "make test" in commands
    assert commands[0] == "pip install consent-gate"


def test_every_marker_is_known() -> None:
    known = {"registry", "python", "file", "output", "skip"}
    for block in blocks():
        if block.marker:
            assert block.kind in known, (block.line, block.marker)
        if block.kind == "skip":
            assert len(block.arg) > 20, f"line {block.line}: a skipped block says why"
        if block.lang == "python":
            assert block.kind in {"python", "skip"}, f"line {block.line}: a Python block needs a marker"
            if block.kind == "python":
                assert block.arg in PYTHON_RUNNERS, (block.line, block.arg)


# -- registries -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("block", named("registry"), ids=lambda b: f"line-{b.line}")
def test_every_registry_loads(block: Block, tmp_path: Path) -> None:
    path = tmp_path / f"vendors.{block.lang}"
    path.write_text(block.body, encoding="utf-8")
    registry = load_registry(path)
    assert registry.vendors and registry.categories


def test_the_quick_start_registry_is_the_same_in_toml_and_yaml() -> None:
    toml_block, yaml_block = sorted(named("registry", "quickstart"), key=lambda b: b.lang)
    assert tomllib.loads(toml_block.body) == yaml.safe_load(yaml_block.body)


def _merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in extra.items():
        if isinstance(value, list) and isinstance(merged.get(key), list):
            merged[key] = [*merged[key], *value]
        elif isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def fragments() -> list[Block]:
    return [b for b in blocks() if b.lang == "toml" and not b.marker and "[[categories]]" not in b.body]


@pytest.mark.parametrize("block", fragments(), ids=lambda b: f"line-{b.line}")
def test_every_registry_fragment_fits_the_annotated_registry(block: Block, tmp_path: Path) -> None:
    # The presets expand at load, so the merged data goes through a file like any registry.
    import tomlkit

    path = tmp_path / "merged.toml"
    path.write_text(tomlkit.dumps(_merge(annotated(), tomllib.loads(block.body))), encoding="utf-8")
    load_registry(path)


def test_there_are_registry_fragments_to_check() -> None:
    assert len(fragments()) >= 3  # presets, regions, TCF


# -- commands ---------------------------------------------------------------------------------------------


def command_lines() -> Iterator[tuple[Block, str]]:
    for block in blocks():
        if block.lang not in {"sh", "console"} or block.kind == "skip":
            continue
        for line in block.body.splitlines():
            line = line.removeprefix("$ ").strip()
            if line and not line.startswith("#"):
                yield block, line


def run_consent(arguments: list[str], env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "consent.cli", *arguments],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=120,
    )


def test_every_command_is_run_or_said_why_not() -> None:
    for block, line in command_lines():
        program = shlex.split(line, comments=True)[0]
        assert program == "consent" or program in NOT_RUN, f"README line {block.line}: {line!r}"


LEDGER_ENV = {"CONSENT_LEDGER_URL": "sqlite:///ledger.sqlite3", "CONSENT_LEDGER_KEY": "a-key-of-its-own"}


def test_every_consent_command_runs(site: Path) -> None:
    lines = [line for _, line in command_lines() if line.startswith("consent ")]
    assert len(lines) >= 15
    assert run_consent(["ledger", "init"], LEDGER_ENV).returncode == 0
    for line in lines:
        arguments = shlex.split(line, comments=True)[1:]
        result = run_consent(arguments, LEDGER_ENV)
        # Exit 1 and 3 are answers ("findings", "review"); a crash or a usage error never is.
        assert "Traceback" not in result.stderr, (line, result.stderr)
        assert "usage:" not in result.stderr, (line, result.stderr)
        assert result.returncode in {0, 1, 3} or (arguments[:2] == ["ledger", "show"]), (line, result)
    # Relative sqlite:/// URLs are relative to the working directory, as the README says.
    assert (site / "ledger.sqlite3").exists()


@pytest.mark.parametrize("block", named("output"), ids=lambda b: f"line-{b.line}")
def test_printed_output_is_what_the_command_prints(block: Block, site: Path) -> None:
    arguments = shlex.split(block.arg)
    assert arguments[0] == "consent"
    result = run_consent(arguments[1:])
    assert result.stdout + result.stderr == block.body


# -- Python snippets --------------------------------------------------------------------------------------


def _exec(block: Block, namespace: dict[str, Any]) -> dict[str, Any]:
    code = compile(block.body, f"README.md:{block.line + 1}", "exec")
    exec(code, namespace)  # the README's own snippet, run as proof that it works
    return namespace


def run_app(block: Block) -> None:
    (Path.cwd() / "vendors.toml").write_text(Path("quickstart.toml").read_text(), encoding="utf-8")
    namespace = _exec(block, {"__name__": "readme_app"})
    app: Flask = namespace["app"]
    html = app.test_client().get("/").get_data(as_text=True)
    assert 'id="consent-banner"' in html or "consent-banner" in html
    assert "plausible.io/js/script.js" not in html  # not before consent
    assert "consent" in app.cli.commands  # flask consent ...


def run_factory(block: Block) -> None:
    namespace = _exec(block, {"__name__": "readme_factory"})
    app: Flask = namespace["create_app"]()
    assert app.extensions["consent"].registry.get_vendor("youtube") is not None


def readme_app() -> Flask:
    app = Flask("readme_request")
    app.config.update(SECRET_KEY="s", CONSENT_COOKIE_SECURE=False)
    Consent(app, registry=load_registry("vendors.toml"))
    return app


def run_request(block: Block) -> None:
    app = readme_app()
    with app.test_request_context("/"):
        namespace = _exec(block, {"__name__": "readme_request", "app": app})
    assert "video" in namespace
    assert app.test_client().get("/video").status_code == 403  # not allowed before consent


def run_core(block: Block) -> None:
    namespace = _exec(block, {"cookie_value": None, "nonce": None})
    assert namespace["state"].is_decided  # "Reject all" is a decision
    assert 'src="https://js.stripe.com/v3/"' not in namespace["html"]  # the head holds no Stripe


def run_config(block: Block) -> None:
    app = Flask("readme_config")
    _exec(block, {"app": app})
    assert app.config["CONSENT_REGION_HEADER"] == "CF-IPCountry"


def run_geoip(block: Block, monkeypatch: pytest.MonkeyPatch) -> None:
    # A stand-in for MaxMind's geoip2 (not a dependency): a reader that knows one address.
    geoip2 = types.ModuleType("geoip2")
    database, errors = types.ModuleType("geoip2.database"), types.ModuleType("geoip2.errors")

    class AddressNotFoundError(Exception):
        pass

    def city(address: str) -> Any:
        if address != "203.0.113.9":
            raise AddressNotFoundError(address)
        sub = types.SimpleNamespace(most_specific=types.SimpleNamespace(iso_code="CA"))
        return types.SimpleNamespace(country=types.SimpleNamespace(iso_code="US"), subdivisions=sub)

    errors.AddressNotFoundError = AddressNotFoundError  # type: ignore[attr-defined]
    database.Reader = lambda path: types.SimpleNamespace(city=city)  # type: ignore[attr-defined]
    geoip2.database, geoip2.errors = database, errors  # type: ignore[attr-defined]
    for name, module in (("geoip2", geoip2), ("geoip2.database", database), ("geoip2.errors", errors)):
        monkeypatch.setitem(sys.modules, name, module)
    app = Flask("readme_geoip")
    _exec(block, {"app": app})
    resolver: Callable[[Any], str | None] = app.config["CONSENT_REGION_RESOLVER"]
    assert resolver(types.SimpleNamespace(remote_addr="203.0.113.9")) == "US-CA"
    assert resolver(types.SimpleNamespace(remote_addr="198.51.100.1")) is None


def run_gpp(block: Block) -> None:
    from consent.state import ConsentState

    registry = load_registry("vendors.toml")
    namespace = _exec(
        block, {"registry": registry, "state": ConsentState.undecided(registry), "nonce": "n0nce"}
    )
    assert namespace["signal"].sids == (8,)


def run_ledger(block: Block, monkeypatch: pytest.MonkeyPatch) -> None:
    # The snippet names a PostgreSQL server; the same calls run on a SQLite ledger here.
    import consent.ledger

    real = consent.ledger.open_ledger

    def on_sqlite(url: str, *args: Any, **kwargs: Any) -> Any:
        assert url.startswith("postgresql://")
        ledger = real("sqlite:///readme-ledger.sqlite3", *args, **kwargs)
        ledger.init()
        return ledger

    monkeypatch.setattr(consent.ledger, "open_ledger", on_sqlite)
    monkeypatch.setenv("CONSENT_LEDGER_KEY", "a-key-of-its-own")
    namespace = _exec(block, {})
    assert namespace["ledger"].history("3jv6yxq2k4tq7ebq") == []
    assert namespace["state"].allows("google-analytics") is False
    namespace["ledger"].close()


def run_dashboard(block: Block) -> None:
    """The insights dashboard mounted behind the site's access check (here: nobody is staff)."""
    app = readme_app()
    app.config["CONSENT_LEDGER_URL"] = "sqlite://"
    nobody = types.SimpleNamespace(is_authenticated=False, is_staff=False)
    _exec(block, {"app": app, "current_user": nobody})
    assert app.test_client().get("/admin/consent-insights/").status_code == 403


PYTHON_RUNNERS: dict[str, Callable[..., None]] = {
    "dashboard": run_dashboard,
    "app": run_app,
    "factory": run_factory,
    "request": run_request,
    "core": run_core,
    "config": run_config,
    "geoip": run_geoip,
    "gpp": run_gpp,
    "ledger": run_ledger,
}


@pytest.mark.parametrize("block", named("python"), ids=lambda b: f"{b.arg}-line-{b.line}")
def test_every_python_snippet_runs(block: Block, site: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    runner = PYTHON_RUNNERS[block.arg]
    if "monkeypatch" in runner.__code__.co_varnames[: runner.__code__.co_argcount]:
        runner(block, monkeypatch)
    else:
        runner(block)


def test_every_runner_has_its_snippet() -> None:
    assert sorted(b.arg for b in named("python")) == sorted(PYTHON_RUNNERS)


def test_the_registry_module_is_what_the_readme_loads() -> None:
    assert isinstance(load_registry(ROOT / "examples/reviews/vendors.toml"), Registry)
