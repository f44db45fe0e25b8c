"""The ``consent`` command line: output, exit codes and the installed entry point."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import SEED_REGISTRY, registry_data

from consent import cli
from consent.cli import main
from consent.registry import Registry

Capsys = pytest.CaptureFixture[str]


def write(tmp_path: Path, data: dict[str, Any], name: str = "registry.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(data, indent=2), encoding="utf-8")
    return path


def clean() -> dict[str, Any]:
    data = registry_data(8)
    data["privacy_policy_url"] = "https://www.mysite.org/privacy"
    return data


BROKEN_TOML = """\
name = "Broken"

[[categories]]
id = "stats"
title = "Statistics"

[[vendors]]
id = "tracker"
number = 1
name = "Tracker"
category = "statz"
policy_url = "http://tracker.example.com/privacy"
"""


@pytest.fixture
def broken(tmp_path: Path) -> Path:
    path = tmp_path / "broken.toml"
    path.write_text(BROKEN_TOML, encoding="utf-8")
    return path


# -- validate --------------------------------------------------------------------------------------


def test_validate_ok(tmp_path: Path, capsys: Capsys) -> None:
    path = write(tmp_path, clean())
    revision = Registry.model_validate(clean()).revision

    assert main(["validate", str(path)]) == 0

    out, err = capsys.readouterr()
    assert out == f"{path}: ok (8 vendors in 4 categories, revision {revision})\n"
    assert err == ""


def test_validate_singular(tmp_path: Path, capsys: Capsys) -> None:
    data = registry_data(1)
    data["categories"] = data["categories"][1:2]
    data["vendors"][0]["category"] = "functional"
    path = write(tmp_path, data)

    assert main(["validate", str(path)]) == 0

    assert "ok (1 vendor in 1 category, revision" in capsys.readouterr().out


def test_validate_prints_every_problem_to_stderr(broken: Path, capsys: Capsys) -> None:
    assert main(["validate", str(broken)]) == 2

    out, err = capsys.readouterr()
    assert out == ""
    assert err.splitlines() == [
        f"{broken}:11: vendors.0.category: vendor 'tracker' is in unknown category 'statz' (stats)",
        f"{broken}:12: vendors.0.policy_url: must be an https:// URL, got 'http://tracker.example.com/privacy'",
    ]


def test_validate_several_files_reports_each(tmp_path: Path, broken: Path, capsys: Capsys) -> None:
    good = write(tmp_path, clean())

    assert main(["validate", str(good), str(broken), str(tmp_path / "missing.yaml")]) == 2

    out, err = capsys.readouterr()
    assert out.startswith(f"{good}: ok")
    assert f"{broken}:11:" in err
    assert f"{tmp_path / 'missing.yaml'}: <root>: cannot read the file" in err


def test_validate_needs_a_file(capsys: Capsys) -> None:
    assert main(["validate"]) == 2

    assert "the following arguments are required: FILE" in capsys.readouterr().err


# -- audit -----------------------------------------------------------------------------------------


def _with_warning() -> dict[str, Any]:
    data = clean()
    data["vendors"][0]["cookies"] = [{"name": "_v"}]  # no lifetime: a warning
    return data


def _with_error() -> dict[str, Any]:
    data = clean()
    data["vendors"][0]["cookies"] = [{"name": "_v", "lifetime": "2y"}]  # over 400 days: an error
    return data


def _with_info() -> dict[str, Any]:
    data = clean()
    del data["privacy_policy_url"]
    return data


@pytest.mark.parametrize(
    ("data", "fail_on", "code"),
    [
        (clean(), None, 0),
        (clean(), "info", 0),
        (_with_info(), "info", 1),
        (_with_info(), "warning", 0),
        (_with_warning(), None, 0),
        (_with_warning(), "warning", 1),
        (_with_warning(), "error", 0),
        (_with_error(), None, 1),
        (_with_error(), "error", 1),
        (_with_error(), "never", 0),
    ],
)
def test_audit_exit_code(
    tmp_path: Path, capsys: Capsys, data: dict[str, Any], fail_on: str | None, code: int
) -> None:
    path = write(tmp_path, data)
    extra = [] if fail_on is None else ["--fail-on", fail_on]

    assert main(["audit", str(path), *extra]) == code

    assert "Cookie audit: Synthetic" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("fmt", "check"),
    [
        ("text", lambda out: out.startswith("Cookie audit: Synthetic")),
        ("json", lambda out: json.loads(out)["summary"]["findings"]["error"] == 1),
        ("markdown", lambda out: out.startswith("# Cookie audit: Synthetic\n")),
    ],
)
def test_audit_formats(tmp_path: Path, capsys: Capsys, fmt: str, check: Any) -> None:
    path = write(tmp_path, _with_error())

    main(["audit", str(path), "--format", fmt])

    assert check(capsys.readouterr().out)


def test_audit_of_a_broken_registry(broken: Path, capsys: Capsys) -> None:
    assert main(["audit", str(broken), "--fail-on", "never"]) == 2

    out, err = capsys.readouterr()
    assert out == ""
    assert f"{broken}:12: vendors.0.policy_url" in err


def test_audit_rejects_an_unknown_severity(tmp_path: Path, capsys: Capsys) -> None:
    assert main(["audit", str(write(tmp_path, clean())), "--fail-on", "fatal"]) == 2

    assert "invalid choice: 'fatal'" in capsys.readouterr().err


# -- schema ----------------------------------------------------------------------------------------


def test_schema_to_stdout(capsys: Capsys) -> None:
    assert main(["schema"]) == 0

    out = capsys.readouterr().out
    schema = json.loads(out)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["title"] == "consent-gate vendor registry"
    assert schema["additionalProperties"] is False
    assert {"name", "categories"} <= set(schema["required"])
    assert "Vendor" in schema["$defs"]
    assert out.startswith('{\n  "$schema"')  # pretty-printed, dialect first


def test_schema_to_a_file(tmp_path: Path, capsys: Capsys) -> None:
    target = tmp_path / "registry.schema.json"

    assert main(["schema", "--output", str(target)]) == 0

    assert capsys.readouterr().out == ""
    assert json.loads(target.read_text(encoding="utf-8"))["title"] == "consent-gate vendor registry"


def test_schema_to_an_unwritable_place(tmp_path: Path, capsys: Capsys) -> None:
    assert main(["schema", "-o", str(tmp_path / "no" / "such" / "dir.json")]) == 2

    assert "cannot write the schema" in capsys.readouterr().err


def test_schema_covers_every_model_field() -> None:
    # The models forbid unknown keys, so the schema must name every field they accept.
    schema = cli.schema()
    vendor_keys = set(schema["$defs"]["Vendor"]["properties"])
    registry = Registry.model_validate(registry_data(2))

    assert set(Registry.model_fields) == set(schema["properties"])
    # ... and a vendor entry may also carry a preset's parameters, used up when the registry loads.
    assert set(registry.vendors[0].model_dump()) | {"params"} == vendor_keys


# -- diff ------------------------------------------------------------------------------------------


def _pair(tmp_path: Path, new: dict[str, Any], old: dict[str, Any] | None = None) -> list[str]:
    return [
        str(write(tmp_path, old if old is not None else clean(), "old.json")),
        str(write(tmp_path, new, "new.json")),
    ]


def test_diff_without_reprompt(tmp_path: Path, capsys: Capsys) -> None:
    new = clean()
    new["vendors"][0]["name"] = "Better name"

    assert main(["diff", *_pair(tmp_path, new)]) == 0

    out = capsys.readouterr().out
    assert "name (cosmetic)" in out
    assert "Visitors need not be asked again." in out


def test_diff_of_what_a_vendor_does_exits_3_for_review(tmp_path: Path, capsys: Capsys) -> None:
    new = clean()
    new["vendors"][0]["description"] = "Also builds marketing profiles."

    assert main(["diff", *_pair(tmp_path, new)]) == 3

    out = capsys.readouterr().out
    assert "description (review): '' -> 'Also builds marketing profiles.'" in out


def test_diff_with_reprompt(tmp_path: Path, capsys: Capsys) -> None:
    new = clean()
    new["vendors"][0]["category"] = "marketing"

    assert main(["diff", *_pair(tmp_path, new), "--format", "json"]) == 1

    data = json.loads(capsys.readouterr().out)
    assert data["reprompt"] is True
    assert data["reasons"] == ["vendor 'vendor-1' moved from 'functional' to 'marketing'"]


def test_diff_with_number_reuse(tmp_path: Path, capsys: Capsys) -> None:
    new = copy.deepcopy(clean())
    new["vendors"][0]["id"] = "replacement"  # a different vendor under vendor-1's number

    assert main(["diff", *_pair(tmp_path, new), "--format", "markdown"]) == 2

    out, err = capsys.readouterr()
    assert out.startswith("# Registry changes:")
    assert "error: number 1 belonged to 'vendor-1' (removed) and now names 'replacement'" in err


def test_diff_with_a_broken_registry(tmp_path: Path, broken: Path, capsys: Capsys) -> None:
    assert main(["diff", str(write(tmp_path, clean())), str(broken)]) == 2

    out, err = capsys.readouterr()
    assert out == ""
    assert f"{broken}:11:" in err


# -- the program -----------------------------------------------------------------------------------


def test_version(capsys: Capsys) -> None:
    from consent._version import __version__

    assert main(["--version"]) == 0

    assert capsys.readouterr().out == f"consent {__version__}\n"


def test_help_lists_every_command(capsys: Capsys) -> None:
    assert main(["--help"]) == 0

    out = capsys.readouterr().out
    for command in ("validate", "audit", "schema", "diff", "ledger"):
        assert f"    {command}" in out


def test_a_command_is_required(capsys: Capsys) -> None:
    assert main([]) == 2

    assert "required: COMMAND" in capsys.readouterr().err


def test_a_group_module_is_only_imported_when_its_command_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    imported: list[str] = []
    monkeypatch.setattr(cli.importlib, "import_module", lambda name: imported.append(name))
    monkeypatch.setitem(cli.COMMAND_GROUPS, "extra", ("tests_missing_module:add_extra_commands", "extra"))

    cli.build_parser(["validate", "x.toml"])

    assert imported == []


def test_a_group_adds_its_own_commands(monkeypatch: pytest.MonkeyPatch, capsys: Capsys) -> None:
    module = type(sys)("fake_group")

    def add_extra_commands(subparsers: Any) -> None:
        parser = subparsers.add_parser("extra")
        inner = parser.add_subparsers(dest="extra_command", required=True)
        hello = inner.add_parser("hello")
        hello.add_argument("name")
        hello.set_defaults(handler=lambda args: sys.stdout.write(f"hello {args.name}\n") and 0)

    module.add_extra_commands = add_extra_commands  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "fake_group", module)
    monkeypatch.setitem(cli.COMMAND_GROUPS, "extra", ("fake_group:add_extra_commands", "extra things"))

    assert main(["extra", "hello", "world"]) == 0

    assert capsys.readouterr().out == "hello world\n"


def test_a_missing_group_module_explains_itself(monkeypatch: pytest.MonkeyPatch, capsys: Capsys) -> None:
    monkeypatch.setitem(cli.COMMAND_GROUPS, "extra", ("consent_no_such_module:add", "extra things"))

    assert main(["extra", "anything", "--flag"]) == 2

    assert (
        "'consent extra' is not available: No module named 'consent_no_such_module'"
        in capsys.readouterr().err
    )


def test_module_entry_point(tmp_path: Path) -> None:
    path = write(tmp_path, clean())

    result = subprocess.run(
        [sys.executable, "-m", "consent.cli", "validate", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"{path}: ok (8 vendors")


def test_console_script_is_installed(broken: Path) -> None:
    script = Path(sys.executable).parent / "consent"
    assert script.exists(), "the package (and its console script) is not installed in this environment"

    result = subprocess.run(
        [str(script), "validate", str(broken)], capture_output=True, text=True, check=False
    )

    assert result.returncode == 2
    assert result.stdout == ""
    assert f"{broken}:12: vendors.0.policy_url" in result.stderr


def test_console_script_audits_the_seed_registry() -> None:
    script = Path(sys.executable).parent / "consent"
    assert script.exists(), "the package (and its console script) is not installed in this environment"

    result = subprocess.run(
        [str(script), "audit", str(SEED_REGISTRY), "--format", "json", "--fail-on", "never"],
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["registry"]["name"]


def test_audit_lists_offered_locales_the_registry_does_not_translate(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from consent.cli import main

    seed = Path(__file__).resolve().parents[1] / "examples" / "reviews" / "vendors.toml"
    assert main(["audit", str(seed), "--locales", "en,de,fr,es,pt-BR", "--fail-on", "never"]) == 0
    out = capsys.readouterr().out
    line = next(line for line in out.splitlines() if "get the widget in their language" in line)
    assert "es, pt-BR" in line and "de" not in line.split("reading", 1)[1].split("get")[0]


def test_the_schema_accepts_a_preset_entry(capsys: pytest.CaptureFixture[str]) -> None:
    from consent.cli import main

    assert main(["schema"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert "preset" in json.dumps(schema)
