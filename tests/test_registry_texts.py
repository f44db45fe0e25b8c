"""Registry texts for translators: ``consent i18n extract`` to PO, ``consent i18n merge`` back, layout kept."""

from __future__ import annotations

import difflib
import io
import json
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

from consent import audit as audit_module
from consent.cli import main
from consent.errors import RegistryError, TranslationFileError
from consent.loader import load_registry
from consent.registry import Registry
from consent.registry_texts import (
    extract_catalog,
    merge_catalog,
    read_catalog,
    registry_texts,
    untranslated_locales,
)

TOML = '''\
# The shop's vendor list. Reviewed by legal on 2026-11-02.
name = "Corner Shop"
default_locale = "en"
locales = ["en", "de", "fr"]   # offered languages
notice = "We use cookies to run the shop and, if you agree, to measure visits."

# -- purposes ----------------------------------------------------------------
[[categories]]
id = "necessary"
title = "Strictly necessary"
required = true
justification = "Keeps your basket between pages."   # do not shorten

[[categories]]
id = "statistics"
title = "Statistics"
description = "Counting visits to improve the shop."
order = 1

# -- vendors -----------------------------------------------------------------
[[vendors]]
id = "basket"
number = 1
name = "Basket"
category = "necessary"
policy_url = "https://shop.example/privacy"
description = "Remembers what is in your basket."

[[vendors]]
id = "counter"
number = 2
name = "Visit Counter"
category = "statistics"
policy_url = "https://counter.example/privacy"
description = "Counts visits."
without_consent = "Nothing is counted."

# German texts, translated by hand.
[translations.de]
notice = """\\
Wir verwenden Cookies, um den Shop zu betreiben und, wenn Sie zustimmen, \\
um Besuche zu zählen."""

[translations.de.categories.necessary]
title = "Unbedingt erforderlich"
'''

PATHS = [
    "notice",
    "categories.necessary.title",
    "categories.necessary.justification",
    "categories.statistics.title",
    "categories.statistics.description",
    "vendors.basket.name",
    "vendors.basket.description",
    "vendors.counter.name",
    "vendors.counter.description",
    "vendors.counter.without_consent",
]

YAML = """\
# The shop, in YAML.
name: Corner Shop
locales: [en, fr]   # offered
notice: We use cookies.
categories:
  - id: necessary
    title: Strictly necessary
    required: true
    justification: Keeps your basket.  # keep
vendors:
  - id: basket
    number: 1
    name: Basket
    category: necessary
    policy_url: https://shop.example/privacy
    description: Remembers your basket.
"""


@pytest.fixture
def toml_file(tmp_path: Path) -> Path:
    path = tmp_path / "vendors.toml"
    path.write_text(TOML, encoding="utf-8")
    return path


def po_bytes(catalog: Catalog) -> bytes:
    buffer = io.BytesIO()
    write_po(buffer, catalog)
    return buffer.getvalue()


def filled(catalog: Catalog, translate: dict[str, str] | None = None) -> Catalog:
    """The catalog with every empty msgstr filled: from ``translate`` by path, else ``[fr] <source>``."""
    for message in catalog:
        if message.id and not message.string:
            message.string = (translate or {}).get(message.context or "", f"[fr] {message.id}")
    return catalog


def write(catalog: Catalog, path: Path) -> Path:
    path.write_bytes(po_bytes(catalog))
    return path


def missing_translations(registry: Registry) -> list[str]:
    report = audit_module.audit(registry)
    return [f.message for f in report.findings if f.code == "translation-missing"]


# -- extract ------------------------------------------------------------------------------------------


def test_every_visible_text_is_extracted_with_its_path(toml_file: Path) -> None:
    registry = load_registry(toml_file)
    assert [t.path for t in registry_texts(registry)] == PATHS
    catalog = extract_catalog(registry)
    assert [(m.context, m.string) for m in catalog if m.id] == [(p, "") for p in PATHS]
    assert catalog.get("Counts visits.", context="vendors.counter.description") is not None


def test_a_locale_is_prefilled_with_the_registrys_translations(toml_file: Path) -> None:
    catalog = extract_catalog(load_registry(toml_file), "de")
    assert catalog.locale_identifier == "de"
    strings = {m.context: m.string for m in catalog if m.id}
    assert strings["categories.necessary.title"] == "Unbedingt erforderlich"
    assert strings["notice"].startswith("Wir verwenden Cookies")
    assert strings["categories.statistics.title"] == ""


def test_translators_get_a_note_for_each_text(toml_file: Path) -> None:
    catalog = extract_catalog(load_registry(toml_file), "fr")
    message = catalog.get("Visit Counter", context="vendors.counter.name")
    assert message is not None
    assert "proper name" in message.auto_comments[0]


def test_the_cli_writes_a_po_file(
    toml_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "fr.po"
    assert main(["i18n", "extract", str(toml_file), "--locale", "fr", "-o", str(target)]) == 0
    with target.open("rb") as handle:
        catalog = read_po(handle)
    assert catalog.locale_identifier == "fr"
    assert len([m for m in catalog if m.id]) == len(PATHS)
    assert main(["i18n", "extract", str(toml_file)]) == 0
    assert 'msgctxt "vendors.counter.without_consent"' in capsys.readouterr().out


# -- merge --------------------------------------------------------------------------------------------


def test_extract_fill_merge_keeps_a_commented_toml_byte_for_byte(toml_file: Path, tmp_path: Path) -> None:
    registry = load_registry(toml_file)
    assert missing_translations(registry) and "'fr'" in missing_translations(registry)[-1]
    po = write(filled(extract_catalog(registry, "fr")), tmp_path / "fr.po")

    assert main(["i18n", "merge", str(toml_file), str(po)]) == 0

    merged = toml_file.read_text(encoding="utf-8")
    assert merged.startswith(TOML)  # everything before, comments and layout included, is untouched
    added = merged[len(TOML) :]
    assert added.lstrip().startswith("[translations.fr]")
    assert all(
        line.startswith(
            (
                "[translations.fr",
                "notice =",
                "title =",
                "description =",
                "justification =",
                "name =",
                "without_consent =",
            )
        )
        for line in added.splitlines()
        if line.strip()
    )
    result = load_registry(toml_file)
    french = result.localized("fr")
    assert french.notice == f"[fr] {registry.notice}"
    assert french.category("statistics").title == "[fr] Statistics"
    assert french.vendor("counter").without_consent == "[fr] Nothing is counted."
    assert [m for m in missing_translations(result) if "'fr'" in m] == []


def test_merge_into_an_existing_locale_changes_only_its_translations(toml_file: Path, tmp_path: Path) -> None:
    catalog = extract_catalog(load_registry(toml_file), "de")
    catalog.get("Strictly necessary", context="categories.necessary.title").string = "Notwendig"
    catalog.get("Statistics", context="categories.statistics.title").string = "Statistiken"
    po = write(catalog, tmp_path / "de.po")

    result = merge_catalog(toml_file, read_catalog(po), str(po))

    assert result.changed == ["categories.necessary.title", "categories.statistics.title"]
    assert result.unchanged == 1  # the notice, already translated
    diff = [
        line
        for line in difflib.unified_diff(
            TOML.splitlines(), toml_file.read_text().splitlines(), lineterm="", n=0
        )
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]
    assert diff == [
        '-title = "Unbedingt erforderlich"',
        '+title = "Notwendig"',
        "+",
        "+[translations.de.categories.statistics]",
        '+title = "Statistiken"',
    ]
    german = load_registry(toml_file).localized("de")
    assert german.notice.startswith("Wir verwenden Cookies")  # the multi-line string is kept as written


def test_the_po_files_language_picks_the_locale_and_the_option_overrides_it(
    toml_file: Path, tmp_path: Path
) -> None:
    po = write(filled(extract_catalog(load_registry(toml_file), "fr")), tmp_path / "fr.po")
    merge_catalog(toml_file, read_catalog(po), str(po), locale="pt-BR")
    assert "[translations.pt-BR]" in toml_file.read_text()
    assert load_registry(toml_file).localized("pt-BR").category("statistics").title == "[fr] Statistics"


def test_fuzzy_and_empty_entries_are_left_out(toml_file: Path, tmp_path: Path) -> None:
    catalog = extract_catalog(load_registry(toml_file), "fr")
    catalog.get("Statistics", context="categories.statistics.title").string = "Statistiques"
    notice = catalog.get(load_registry(toml_file).notice, context="notice")
    notice.string = "Brouillon"
    notice.flags.add("fuzzy")
    result = merge_catalog(toml_file, catalog, "fr.po")
    assert result.changed == ["categories.statistics.title"]
    assert result.fuzzy == 1
    assert "Brouillon" not in toml_file.read_text()


def test_a_catalog_with_nothing_to_add_leaves_the_file_alone(toml_file: Path) -> None:
    before = toml_file.stat().st_mtime_ns
    result = merge_catalog(toml_file, extract_catalog(load_registry(toml_file), "de"), "de.po")
    assert result.changed == [] and result.unchanged == 2
    assert toml_file.read_text() == TOML and toml_file.stat().st_mtime_ns == before


def test_every_problem_is_reported_with_its_line_and_nothing_is_written(
    toml_file: Path, tmp_path: Path
) -> None:
    catalog = filled(extract_catalog(load_registry(toml_file), "fr"))
    catalog.add("Old text", "Ancien texte", context="categories.gone.title")
    catalog.add("Counts visits, every one.", "Compte", context="vendors.counter.description")
    catalog.add(("%d item", "%d items"), ("%d article", "%d articles"), context="vendors.basket.name")
    po = write(catalog, tmp_path / "fr.po")

    with pytest.raises(TranslationFileError) as caught:
        merge_catalog(toml_file, read_catalog(po), str(po))

    problems = caught.value.problems
    assert sorted((p.path, p.message) for p in problems) == [
        ("categories.gone.title", "the registry has no such text"),
        ("vendors.basket.name", "plural messages have no place in a registry"),
        ("vendors.counter.description", "the original text changed since extraction: extract again"),
    ]
    lines = po.read_text().splitlines()
    for problem in problems:
        assert problem.source == str(po)
        assert problem.line is not None and problem.path in lines[problem.line - 2] + lines[problem.line - 1]
    assert toml_file.read_text() == TOML


def test_the_cli_reports_problems_on_stderr(
    toml_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = tmp_path / "broken.po"
    broken.write_text('msgid "a"\nmsgstr "b\n', encoding="utf-8")
    assert main(["i18n", "merge", str(toml_file), str(broken)]) == 2
    assert str(broken) in capsys.readouterr().err
    nameless = write(filled(extract_catalog(load_registry(toml_file))), tmp_path / "template.po")
    assert main(["i18n", "merge", str(toml_file), str(nameless)]) == 2
    assert "pass --locale" in capsys.readouterr().err
    assert main(["i18n", "merge", str(toml_file), str(tmp_path / "absent.po")]) == 2
    assert toml_file.read_text() == TOML


def test_a_registry_that_does_not_load_is_reported(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "x"\n', encoding="utf-8")
    with pytest.raises(RegistryError):
        merge_catalog(bad, Catalog(locale="fr"), "fr.po")
    assert main(["i18n", "extract", str(bad)]) == 2


def test_yaml_keeps_its_comments(tmp_path: Path) -> None:
    path = tmp_path / "vendors.yaml"
    path.write_text(YAML, encoding="utf-8")
    registry = load_registry(path)
    assert missing_translations(registry)
    merge_catalog(path, filled(extract_catalog(registry, "fr")), "fr.po")
    merged = path.read_text(encoding="utf-8")
    assert merged.startswith(YAML)
    assert "translations:\n  fr:\n" in merged[len(YAML) :]
    result = load_registry(path)
    assert result.localized("fr").category("necessary").justification == "[fr] Keeps your basket."
    assert missing_translations(result) == []


def test_json_keeps_its_indentation(tmp_path: Path) -> None:
    data = {
        "name": "Corner Shop",
        "locales": ["en", "fr"],
        "categories": [
            {"id": "necessary", "title": "Necessary", "required": True, "justification": "Basket."}
        ],
    }
    path = tmp_path / "vendors.json"
    path.write_text(json.dumps(data, indent=4) + "\n", encoding="utf-8")
    merge_catalog(path, filled(extract_catalog(load_registry(path), "fr")), "fr.po")
    merged = path.read_text(encoding="utf-8")
    assert merged.startswith('{\n    "name": "Corner Shop",')
    assert json.loads(merged)["translations"] == {
        "fr": {"categories": {"necessary": {"title": "[fr] Necessary", "justification": "[fr] Basket."}}}
    }


def test_the_seed_registry_extracts_and_merges(tmp_path: Path) -> None:
    source = Path(__file__).resolve().parents[1] / "examples" / "reviews" / "vendors.toml"
    path = tmp_path / "vendors.toml"
    original = source.read_text(encoding="utf-8")
    path.write_text(original, encoding="utf-8")
    registry = load_registry(path)
    catalog = filled(extract_catalog(registry, "it"))
    result = merge_catalog(path, catalog, "it.po")
    assert len(result.changed) == len(list(registry_texts(registry)))
    assert path.read_text(encoding="utf-8").startswith(original)
    italian = load_registry(path).localized("it")
    assert all(c.title.startswith("[fr] ") for c in italian.categories)


@pytest.mark.parametrize(
    ("locales", "expected"),
    [
        (["en", "de", "fr", "it"], ["fr", "it"]),
        (["en-GB", "de-AT", "pt-BR"], ["pt-BR"]),
        ([], []),
    ],
)
def test_untranslated_locales(toml_file: Path, locales: list[str], expected: list[str]) -> None:
    registry = load_registry(toml_file)
    assert untranslated_locales(registry, locales) == expected
