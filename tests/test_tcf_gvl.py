"""The Global Vendor List model and `consent tcf import`: vendors mapped into a registry file whose
comments, layout and site-written fields survive."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from consent.cli import main
from consent.errors import GVLError, RegistryError
from consent.loader import load_registry
from consent.tcf.gvl import load_gvl, load_gvl_texts, parse_gvl
from consent.tcf.importer import import_gvl

SHARED_GVL = Path(__file__).resolve().parents[2] / "shared" / "data" / "iab-tcf-test-gvl" / "vendor-list.json"


def texts(count: int) -> dict[str, dict[str, Any]]:
    return {
        str(i): {"id": i, "name": f"Item {i}", "description": f"What item {i} is."}
        for i in range(1, count + 1)
    }


def gvl_vendor(vendor_id: int, name: str, *, privacy: str | None = None, **fields: Any) -> dict[str, Any]:
    """A GVL vendor entry: purpose 1 only and empty declarations unless ``fields`` say otherwise."""
    empty: dict[str, Any] = {
        key: []
        for key in ("legIntPurposes", "flexiblePurposes", "specialPurposes", "features", "specialFeatures")
    }
    urls = [{"langId": "en", "privacy": privacy}] if privacy else []
    return {"id": vendor_id, "name": name, "purposes": [1], **empty, "urls": urls, **fields}


def gvl_data(*, policy: int = 5, version: int = 140) -> dict[str, Any]:
    """A small vendor list in IAB's format (v3), written for these tests."""
    return {
        "gvlSpecificationVersion": 3,
        "vendorListVersion": version,
        "tcfPolicyVersion": policy,
        "lastUpdated": "2026-11-26T16:00:00Z",
        "purposes": texts(11),
        "specialPurposes": texts(2),
        "features": texts(3),
        "specialFeatures": texts(2),
        "stacks": {
            "1": {"id": 1, "name": "Stack", "description": "", "purposes": [2, 7], "specialFeatures": []}
        },
        "dataCategories": texts(11),
        "vendors": {
            "10": gvl_vendor(
                10,
                "Adnet Europe GmbH",
                purposes=[1, 2, 3, 4],
                legIntPurposes=[7],
                flexiblePurposes=[7],
                specialPurposes=[1],
                features=[1, 3],
                specialFeatures=[1],
                dataRetention={"stdRetention": 365, "purposes": {}, "specialPurposes": {}},
                urls=[
                    {"langId": "de", "privacy": "https://adnet.example/de"},
                    {"langId": "en", "privacy": "https://adnet.example/privacy"},
                ],
                dataDeclaration=[1, 4],
                newFieldIabMayAdd=True,
            ),
            "20": gvl_vendor(20, "Measure Ltd", purposes=[1, 8], privacy="https://measure.example/privacy"),
            "30": gvl_vendor(30, "Gone SA", deletedDate="2026-01-01T00:00:00Z"),
            "40": gvl_vendor(40, "Plain HTTP Inc", privacy="http://plain.example/privacy"),
        },
    }


REGISTRY_TOML = """\
# Our vendors. Comments must survive an import.
name = "TCF site"

[[categories]]
id = "necessary"
title = "Necessary"
required = true
justification = "Security."

[[categories]]
id = "marketing"
title = "Marketing"  # the ads

[[vendors]]
id = "adnet"
number = 3
name = "Adnet (our name for it)"
category = "marketing"
policy_url = "https://adnet.example/our-link"
tcf_id = 10

[[vendors.cookies]]
name = "ad_id"   # set by the ad tag

[[vendors]]
id = "site-chat"
number = 5
name = "Chat"
category = "marketing"
policy_url = "https://chat.example/privacy"
"""


@pytest.fixture
def gvl_file(tmp_path: Path) -> Path:
    path = tmp_path / "vendor-list.json"
    path.write_text(json.dumps(gvl_data()), encoding="utf-8")
    return path


def test_the_gvl_reads_every_part() -> None:
    gvl = parse_gvl(gvl_data())
    assert (gvl.vendor_list_version, gvl.tcf_policy_version, gvl.gvl_specification_version) == (140, 5, 3)
    assert (
        len(gvl.purposes) == 11
        and gvl.stacks[1].purposes == (2, 7)
        and gvl.data_categories[4].name == "Item 4"
    )
    adnet = gvl.vendor(10)
    assert (
        adnet.leg_int_purposes == (7,) and adnet.special_features == (1,) and adnet.data_declaration == (1, 4)
    )
    assert adnet.data_retention is not None and adnet.data_retention.std_retention == 365
    assert (
        adnet.privacy_url() == "https://adnet.example/privacy"
        and adnet.privacy_url("DE") == "https://adnet.example/de"
    )
    assert gvl.vendor(30).is_deleted and not adnet.is_deleted


def test_a_broken_gvl_lists_every_problem() -> None:
    data = gvl_data()
    del data["vendorListVersion"]
    data["vendors"]["10"]["purposes"] = "all"
    with pytest.raises(GVLError) as info:
        parse_gvl(data, "list.json")
    assert info.value.source == "list.json"
    assert len(info.value.problems) == 2
    assert any(p.startswith("vendorListVersion") for p in info.value.problems)
    assert any(p.startswith("vendors.10.purposes") for p in info.value.problems)


def test_an_old_specification_version_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "old.json"
    path.write_text(json.dumps(gvl_data() | {"gvlSpecificationVersion": 2}), encoding="utf-8")
    with pytest.raises(GVLError, match="needs 3"):
        load_gvl(path)


def test_import_updates_tcf_data_and_keeps_the_sites_fields_and_comments(tmp_path: Path) -> None:
    registry_file = tmp_path / "vendors.toml"
    registry_file.write_text(REGISTRY_TOML, encoding="utf-8")
    report = import_gvl(registry_file, parse_gvl(gvl_data()), vendor_ids=[20, 30, 40, 99])
    assert (report.updated, report.added) == ([10], [20])
    assert len(report.skipped) == 3  # deleted, no https privacy URL, not in the list
    text = registry_file.read_text(encoding="utf-8")
    assert "# Our vendors. Comments must survive an import." in text
    assert 'title = "Marketing"  # the ads' in text and 'name = "ad_id"   # set by the ad tag' in text
    registry = load_registry(registry_file)
    adnet = registry.vendor("adnet")
    assert adnet.name == "Adnet (our name for it)" and adnet.policy_url == "https://adnet.example/our-link"
    assert [c.name for c in adnet.cookies] == ["ad_id"]
    assert adnet.tcf is not None
    assert adnet.tcf.purposes == (1, 2, 3, 4) and adnet.tcf.legitimate_interest_purposes == (7,)
    assert adnet.tcf.special_features == (1,) and adnet.tcf.data_retention_days == 365
    assert adnet.tcf.data_categories == (1, 4) and adnet.tcf.flexible_purposes == (7,)
    added = registry.vendor("measure-ltd")
    assert (added.number, added.tcf_id, added.category) == (6, 20, "marketing")
    assert added.policy_url == "https://measure.example/privacy"
    assert registry.tcf is not None
    assert (registry.tcf.vendor_list_version, registry.tcf.tcf_policy_version) == (140, 5)
    assert registry.tcf.policy_version_since is not None


def test_a_new_policy_version_moves_the_re_ask_date(tmp_path: Path) -> None:
    registry_file = tmp_path / "vendors.toml"
    registry_file.write_text(REGISTRY_TOML, encoding="utf-8")
    first = import_gvl(registry_file, parse_gvl(gvl_data()), now=datetime(2026, 1, 1, tzinfo=UTC))
    same = import_gvl(registry_file, parse_gvl(gvl_data(version=141)), now=datetime(2026, 2, 1, tzinfo=UTC))
    assert load_registry(registry_file).tcf.policy_version_since == datetime(2026, 1, 1, tzinfo=UTC)  # type: ignore[union-attr]
    newer = import_gvl(
        registry_file, parse_gvl(gvl_data(policy=6, version=142)), now=datetime(2026, 3, 1, tzinfo=UTC)
    )
    after = load_registry(registry_file).tcf
    assert after is not None and after.tcf_policy_version == 6
    assert after.policy_version_since == datetime(2026, 3, 1, tzinfo=UTC)
    assert (first.policy_version_changed, same.policy_version_changed, newer.policy_version_changed) == (
        False,
        False,
        True,
    )


def test_import_into_yaml_keeps_comments(tmp_path: Path) -> None:
    registry_file = tmp_path / "vendors.yaml"
    registry_file.write_text(
        "# site registry\nname: TCF site\ncategories:\n  - id: marketing  # ads\n    title: Marketing\n"
        "vendors:\n  - id: adnet\n    number: 1\n    name: Adnet\n    category: marketing\n"
        "    policy_url: https://adnet.example/our-link\n    tcf_id: 10\n",
        encoding="utf-8",
    )
    import_gvl(registry_file, parse_gvl(gvl_data()))
    text = registry_file.read_text(encoding="utf-8")
    assert "# site registry" in text and "# ads" in text
    adnet = load_registry(registry_file).vendor("adnet")
    assert adnet.tcf is not None and adnet.tcf.purposes == (1, 2, 3, 4)


def test_import_into_json(tmp_path: Path) -> None:
    registry_file = tmp_path / "vendors.json"
    registry_file.write_text(
        json.dumps({"name": "S", "categories": [{"id": "marketing", "title": "M"}]}), encoding="utf-8"
    )
    import_gvl(registry_file, parse_gvl(gvl_data()), vendor_ids=[10])
    assert load_registry(registry_file).vendor("adnet-europe-gmbh").tcf_id == 10


def test_an_import_that_would_break_the_registry_changes_nothing(tmp_path: Path) -> None:
    registry_file = tmp_path / "vendors.toml"
    registry_file.write_text(REGISTRY_TOML, encoding="utf-8")
    with pytest.raises(RegistryError) as info:
        import_gvl(registry_file, parse_gvl(gvl_data()), vendor_ids=[20], category="ads")
    assert any("unknown category 'ads'" in p.message for p in info.value.problems)
    assert registry_file.read_text(encoding="utf-8") == REGISTRY_TOML


def test_the_command(tmp_path: Path, gvl_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    registry_file = tmp_path / "vendors.toml"
    registry_file.write_text(REGISTRY_TOML, encoding="utf-8")
    status = main(["tcf", "import", str(gvl_file), "--registry", str(registry_file), "--vendors", "20"])
    out = capsys.readouterr().out
    assert status == 0
    assert "updated: 10" in out and "added: 20" in out
    assert load_registry(registry_file).vendor("measure-ltd").tcf_id == 20


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--vendors", "a,b"], "comma-separated"),
        (["--category", "ads", "--vendors", "20"], "unknown category"),
    ],
)
def test_the_command_reports_bad_input(
    tmp_path: Path, gvl_file: Path, capsys: pytest.CaptureFixture[str], arguments: list[str], message: str
) -> None:
    registry_file = tmp_path / "vendors.toml"
    registry_file.write_text(REGISTRY_TOML, encoding="utf-8")
    assert main(["tcf", "import", str(gvl_file), "--registry", str(registry_file), *arguments]) == 2
    assert message in capsys.readouterr().err


def test_the_command_reports_a_broken_gvl(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    broken = tmp_path / "list.json"
    broken.write_text("{", encoding="utf-8")
    registry_file = tmp_path / "vendors.toml"
    registry_file.write_text(REGISTRY_TOML, encoding="utf-8")
    assert main(["tcf", "import", str(broken), "--registry", str(registry_file)]) == 2
    assert "invalid JSON" in capsys.readouterr().err


def test_decode_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["tcf", "decode", "CO5dPi4O5dPx2B7DvCENA2CgAAAAAAAAAAAAGewAAM8gAAAA.YAAAAAAAAAAA"]) == 0
    fields = json.loads(capsys.readouterr().out)
    assert (fields["cmp_id"], fields["cmp_version"], fields["disclosed_vendors"]) == (123, 239, None)
    assert main(["tcf", "decode", "C="]) == 2


@pytest.mark.skipif(
    not SHARED_GVL.exists(), reason="IAB's test GVLs are in ../shared only on the dev machine"
)
def test_iabs_own_test_gvl_loads_and_imports(tmp_path: Path) -> None:
    gvl = load_gvl(SHARED_GVL)
    assert len(gvl.vendors) > 300
    registry_file = tmp_path / "vendors.toml"
    registry_file.write_text(REGISTRY_TOML, encoding="utf-8")
    report = import_gvl(registry_file, gvl, vendor_ids=list(gvl.vendors)[:20])
    assert len(report.added) + len(report.skipped) + len(report.updated) >= 20
    assert len(load_registry(registry_file).vendors) == 2 + len(report.added)


def test_a_translation_replaces_the_policy_texts_it_gives(tmp_path: Path) -> None:
    path = tmp_path / "purposes-de.json"
    path.write_text(
        json.dumps(
            {
                "language": "de",
                "purposes": {
                    "1": {"id": 1, "name": "Informationen auf einem Gerät speichern", "description": "…"}
                },
                "stacks": {"1": {"id": 1, "name": "Stapel", "description": "", "purposes": [2, 7]}},
            }
        ),
        encoding="utf-8",
    )
    german = parse_gvl(gvl_data()).translated(load_gvl_texts(path))
    assert german.purposes[1].name == "Informationen auf einem Gerät speichern"
    assert german.purposes[2].name == "Item 2"  # not translated: English kept
    assert german.stacks[1].name == "Stapel" and german.vendors == parse_gvl(gvl_data()).vendors
