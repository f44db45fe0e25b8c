"""``consent presets list|show`` and ``consent add``, which edits TOML and YAML registries in place."""

from __future__ import annotations

import difflib
import json
from pathlib import Path

import pytest

from consent.cli import main
from consent.loader import load_registry

Capsys = pytest.CaptureFixture[str]

COMMENTED_TOML = """\
# Our site's registry.  Hand-written: keep these comments!
name = "Example"          # shown in the banner
privacy_policy_url = "https://example.org/privacy"
retired_numbers = [5]     # the old chat widget

# -- categories --
[[categories]]
id = "statistics"
title = "Statistics"
consent_mode = ["analytics_storage"]

[[categories]]
id = "marketing"
title = "Marketing"

# -- vendors --
[[vendors]]
id = "own-stats"   # first party
number = 4
name = "Own statistics"
category = "statistics"
policy_url = "https://example.org/privacy"

    [[vendors.cookies]]      # indented on purpose
    name = "visit"
    lifetime = "30min"

# -- regions follow the vendors --
[[regions]]
id = "eu"
policy = "opt-in"
codes = ["DE", "FR"]
"""

COMMENTED_YAML = """\
# Our site's registry, in YAML.
name: Example     # shown in the banner
retired_numbers: [5]
categories:
- id: statistics   # sequence items at the key's column
  title: Statistics
- id: marketing
  title: 'Marketing'
vendors:
    # an indented sequence, with a comment first
    -   id: own-stats
        number: 4
        name: Own statistics
        category: statistics
        policy_url: https://example.org/privacy
        cookies:
          - {name: visit, lifetime: 30min}

# regions follow
regions:
- id: eu
  policy: opt-in
  codes: [DE, FR]
"""


def only_inserted(before: str, after: str) -> list[str]:
    """The lines ``after`` adds to ``before``; fails if anything of ``before`` changed or moved."""
    old, new = before.splitlines(keepends=True), after.splitlines(keepends=True)
    added: list[str] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=old, b=new, autojunk=False).get_opcodes():
        assert tag in ("equal", "insert"), (tag, old[i1:i2], new[j1:j2])
        if tag == "insert":
            added += new[j1:j2]
    return added


@pytest.mark.parametrize(("name", "text"), [("site.toml", COMMENTED_TOML), ("site.yaml", COMMENTED_YAML)])
def test_add_keeps_every_byte_and_appends_a_valid_entry(
    tmp_path: Path, capsys: Capsys, name: str, text: str
) -> None:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    assert main(["add", "hotjar", str(path), "--param", "site_id=3141592"]) == 0
    assert main(["add", "plausible", str(path), "-p", "domain=example.org", "--id", "plausible-eu"]) == 0
    after = path.read_text(encoding="utf-8")
    added = "".join(only_inserted(text, after))
    assert "hotjar" in added and "3141592" in added and "plausible-eu" in added
    registry = load_registry(path)
    hotjar, plausible = registry.vendor("hotjar"), registry.vendor("plausible-eu")
    # The next free numbers after the highest used or retired one (5 is retired).
    assert (hotjar.number, plausible.number) == (6, 7)
    assert (hotjar.preset, hotjar.category) == ("hotjar", "statistics")
    assert hotjar.scripts[1].src == "https://static.hotjar.com/c/hotjar-3141592.js?sv=6"
    assert registry.vendor("own-stats").cookies[0].name == "visit"
    assert "added 'hotjar' (number 6)" in capsys.readouterr().out


def test_the_added_toml_entry_reads_like_the_others(tmp_path: Path) -> None:
    path = tmp_path / "site.toml"
    path.write_text(COMMENTED_TOML, encoding="utf-8")
    assert main(["add", "google-analytics-4", str(path), "-p", "measurement_id=G-XY12"]) == 0
    added = "".join(only_inserted(COMMENTED_TOML, path.read_text("utf-8")))
    assert added == (
        "\n[[vendors]]\n# from preset 'google-analytics-4', reviewed 2026-12-01: check its facts\n"
        'id = "google-analytics-4"\nnumber = 6\npreset = "google-analytics-4"\ncategory = "statistics"\n'
        'params = { measurement_id = "G-XY12" }\n'
    )


def test_add_to_a_registry_without_vendors(tmp_path: Path) -> None:
    for name, text in (
        ("a.toml", 'name = "A"\n\n[[categories]]\nid = "functional"\ntitle = "F"\n'),
        ("a.yaml", "name: A\ncategories:\n- id: functional\n  title: F\n"),
    ):
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        assert main(["add", "youtube", str(path)]) == 0
        assert path.read_text("utf-8").startswith(text)
        assert load_registry(path).vendor("youtube").number == 1


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["add", "hotjar"], "needs site_id (for example --param site_id=1234567)"),
        (["add", "hotjar", "-p", "site_id=1", "-p", "siteid=2"], "has no parameter 'siteid'"),
        (["add", "hotjar", "-p", "site_id=1'+alert(1)+'"], "is not an identifier"),
        (["add", "hotjar", "-p", "site_id"], "write NAME=VALUE"),
        (["add", "hotjar", "-p", "site_id=1", "--id", "own-stats"], "already has a vendor 'own-stats'"),
        (["add", "hotjar", "-p", "site_id=1", "--id", "Own Stats"], "is not a vendor id"),
        (["add", "youtube"], "no category 'functional' (statistics, marketing): choose one with --category"),
        (["add", "hotjr"], "unknown preset 'hotjr' (did you mean hotjar?)"),
    ],
)
def test_bad_input_is_refused_and_the_file_is_untouched(
    tmp_path: Path, capsys: Capsys, argv: list[str], message: str
) -> None:
    path = tmp_path / "site.toml"
    path.write_text(COMMENTED_TOML, encoding="utf-8")
    assert main([*argv, str(path)]) == 2
    assert message in capsys.readouterr().err
    assert path.read_text("utf-8") == COMMENTED_TOML


def test_add_refuses_json_and_a_registry_that_would_not_load(tmp_path: Path, capsys: Capsys) -> None:
    json_path = tmp_path / "site.json"
    json_path.write_text("{}", encoding="utf-8")
    assert main(["add", "youtube", str(json_path)]) == 2
    assert "edits .toml and .yaml registries" in capsys.readouterr().err
    broken = COMMENTED_TOML.replace('title = "Marketing"', 'title = "Marketing"\nrequired = true')
    path = tmp_path / "site.toml"
    path.write_text(broken, encoding="utf-8")
    assert main(["add", "meta-pixel", "-p", "pixel_id=1", str(path)]) == 2
    assert "needs a written justification" in capsys.readouterr().err
    assert path.read_text("utf-8") == broken


def test_presets_list_filters_by_category_and_text(capsys: Capsys) -> None:
    assert main(["presets", "list", "--category", "necessary"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert any(line.startswith("stripe ") for line in lines) and not any(
        line.startswith("hotjar ") for line in lines
    )
    assert main(["presets", "list", "--search", "session replay", "--format", "json"]) == 0
    found = {row["id"] for row in json.loads(capsys.readouterr().out)}
    assert {"posthog", "sentry", "logrocket"} <= found and "stripe" not in found


def test_presets_show_prints_the_facts_and_the_entry(capsys: Capsys) -> None:
    assert main(["presets", "show", "google-analytics-4"]) == 0
    out = capsys.readouterr().out
    assert "reviewed 2026-12-01" in out and "_ga (first party, 400d)" in out
    assert 'params = { measurement_id = "G-XXXXXXXXXX" }' in out
    assert main(["presets", "show", "stripe", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["required_reason"].startswith("Takes the payment")
    assert main(["presets", "show", "strip"]) == 2
    assert "did you mean stripe" in capsys.readouterr().err


def test_validate_and_audit_report_preset_problems_with_file_and_line(tmp_path: Path, capsys: Capsys) -> None:
    path = tmp_path / "site.toml"
    path.write_text(
        COMMENTED_TOML + '\n[[vendors]]\nid = "ga"\nnumber = 9\npreset = "google-analytic-4"\n', "utf-8"
    )
    line = len(path.read_text("utf-8").splitlines())
    for command in ("validate", "audit"):
        assert main([command, str(path)]) == 2
        err = capsys.readouterr().err
        assert f"{path}:{line}: vendors.1.preset: unknown preset 'google-analytic-4'" in err
        assert "did you mean 'google-analytics-4'" in err
