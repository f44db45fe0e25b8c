"""The widget's catalogs: complete, well-formed, CLDR plural forms, compiled and extracted up to date."""

from __future__ import annotations

import fnmatch
import gettext as gnu_gettext
import io
import re
import tomllib
from pathlib import Path
from typing import Any

import pytest
from babel import Locale
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from consent.i18n import UI_LOCALES, catalog_name, translations

ROOT = Path(__file__).resolve().parents[1]
TRANSLATIONS = ROOT / "widget" / "translations"
CLDR_ORDER = ("zero", "one", "two", "few", "many", "other")
#: Integers a count can take, including the millions CLDR gives their own form in fr, es, it, pt.
COUNTS = [*range(0, 2500), *(k * 1_000_000 for k in range(1, 4)), 1_000_001, 2_000_011]
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|\{\w*\}")
GLOSSARY_TERMS = ("cookie", "consent", "purpose", "partner", "accept", "reject")


def read_catalog(path: Path) -> Catalog:
    with path.open("rb") as handle:
        return read_po(handle)


def po_path(locale: str) -> Path:
    return TRANSLATIONS / catalog_name(locale) / "LC_MESSAGES" / "messages.po"


def template() -> Catalog:
    return read_catalog(TRANSLATIONS / "messages.pot")


def message_ids(catalog: Catalog) -> set[Any]:
    return {m.id for m in catalog if m.id}


def strings_of(message: Message) -> tuple[str, ...]:
    return message.string if isinstance(message.string, tuple) else (message.string,)


def plural_function(catalog: Catalog) -> Any:
    return gnu_gettext.c2py(catalog.plural_expr)


def cldr_categories(catalog: Catalog) -> list[str]:
    rule = Locale.parse(catalog.locale_identifier).plural_form
    return [tag for tag in CLDR_ORDER if tag in rule.tags | {"other"}]


@pytest.fixture(scope="module", params=UI_LOCALES)
def catalog(request: pytest.FixtureRequest) -> Catalog:
    return read_catalog(po_path(request.param))


def test_every_ui_locale_has_a_catalog_and_no_catalog_is_unlisted() -> None:
    on_disk = {p.parent.parent.name for p in TRANSLATIONS.glob("*/LC_MESSAGES/messages.po")}
    assert on_disk == {catalog_name(locale) for locale in UI_LOCALES}


def test_the_ui_locales_cover_the_official_languages_of_the_eu() -> None:
    eu = [
        "bg",
        "cs",
        "da",
        "de",
        "el",
        "en",
        "es",
        "et",
        "fi",
        "fr",
        "ga",
        "hr",
        "hu",
        "it",
        "lt",
        "lv",
        "mt",
        "nl",
        "pl",
        "pt",
        "ro",
        "sk",
        "sl",
        "sv",
    ]
    more = ["nb", "is", "tr", "uk", "ru", "ar", "he", "ja", "zh-Hans", "ko", "pt-BR", "es-419"]
    assert set(UI_LOCALES) == {*eu, *more}
    assert len(UI_LOCALES) == 36


@pytest.mark.parametrize("locale", UI_LOCALES)
def test_the_language_header_names_the_catalog_directory(locale: str) -> None:
    parsed = Locale.parse(read_catalog(po_path(locale)).locale_identifier)
    expected = Locale.parse(catalog_name(locale))
    assert (parsed.language, parsed.script) == (expected.language, expected.script)
    # `pt` is European Portuguese (pt-BR has its own catalog), so its header says pt_PT.
    assert parsed.territory == ("PT" if locale == "pt" else expected.territory)


def test_every_message_is_translated_and_none_is_fuzzy(catalog: Catalog) -> None:
    assert not catalog.fuzzy
    problems = []
    for source in template():
        if not source.id:
            continue
        message = catalog.get(source.id)
        if message is None:
            problems.append(("missing", source.id))
        elif message.fuzzy:
            problems.append(("fuzzy", source.id))
        elif not all(s.strip() for s in strings_of(message)):
            problems.append(("empty", source.id))
    assert problems == []


def test_no_obsolete_or_extra_messages(catalog: Catalog) -> None:
    assert message_ids(catalog) == message_ids(template())
    assert not catalog.obsolete


def test_the_plural_header_follows_cldr(catalog: Catalog) -> None:
    categories = cldr_categories(catalog)
    assert catalog.num_plurals == len(categories)
    choose = plural_function(catalog)
    rule = Locale.parse(catalog.locale_identifier).plural_form
    wrong = [n for n in COUNTS if categories[choose(n)] != rule(n)]
    assert wrong == []


def test_every_plural_message_has_every_form(catalog: Catalog) -> None:
    for message in catalog:
        if message.pluralizable:
            assert len(message.string) == catalog.num_plurals, message.id


def forms_for_a_single_number(catalog: Catalog) -> set[int]:
    """Plural forms used for exactly one integer (``one`` in Hebrew is only 1), which gettext lets omit
    the count: Arabic says “سنة واحدة”, “one year”, not “1 سنة”."""
    choose = plural_function(catalog)
    used: dict[int, set[int]] = {}
    for n in COUNTS:
        used.setdefault(choose(n), set()).add(n)
    return {index for index, numbers in used.items() if len(numbers) == 1}


def test_placeholders_are_kept(catalog: Catalog) -> None:
    single = forms_for_a_single_number(catalog)
    problems = []
    for message in catalog:
        if not message.id:
            continue
        source = message.id[-1] if isinstance(message.id, tuple) else message.id
        wanted = sorted(PLACEHOLDER.findall(source))
        for index, string in enumerate(strings_of(message)):
            found = sorted(PLACEHOLDER.findall(string))
            may_omit_count = message.pluralizable and index in single
            if found != wanted and not (may_omit_count and found == [p for p in wanted if p != "%(num)d"]):
                problems.append((message.id, index, string))
    assert problems == []


def test_every_translation_formats(catalog: Catalog) -> None:
    values = {"num": 3, "name": "Example Video", "purpose": "Marketing", "count": 3, "version": 3}
    for message in catalog:
        if message.id and message.python_format:
            for string in strings_of(message):
                assert isinstance(string % values, str)


def test_the_glossary_heads_each_catalog(catalog: Catalog) -> None:
    header = catalog.header_comment
    assert "Glossary" in header
    for term in GLOSSARY_TERMS:
        assert re.search(rf"^#\s+{term}\s+\S", header, re.MULTILINE), term


def test_accept_and_reject_are_worded_alike(catalog: Catalog) -> None:
    """No dark pattern in the words: both labels exist, differ, and neither is twice the other's length."""
    accept, reject = catalog.get("Accept all").string, catalog.get("Reject all").string
    assert accept and reject and accept != reject
    assert max(len(accept), len(reject)) <= 2 * min(len(accept), len(reject))


def gnu_catalog(data: bytes) -> dict[Any, str]:
    return dict(gnu_gettext.GNUTranslations(io.BytesIO(data))._catalog)  # type: ignore[attr-defined]


@pytest.mark.parametrize("locale", UI_LOCALES)
def test_the_compiled_catalog_matches_its_po_file(locale: str) -> None:
    compiled = io.BytesIO()
    write_mo(compiled, read_catalog(po_path(locale)))
    shipped = (po_path(locale).with_suffix(".mo")).read_bytes()
    assert gnu_catalog(shipped) == gnu_catalog(compiled.getvalue())


@pytest.mark.parametrize("locale", UI_LOCALES)
def test_the_runtime_loads_each_catalog(locale: str) -> None:
    """``translations`` finds every catalog directory (zh_Hans, pt_BR, es_419) and its plural rule."""
    catalog = read_catalog(po_path(locale))
    loaded = translations(locale)
    assert loaded.gettext("Reject all") == catalog.get("Reject all").string
    years = catalog.get(("%(num)d year", "%(num)d years")).string
    choose = plural_function(catalog)
    assert [loaded.ngettext("%(num)d year", "%(num)d years", n) for n in (1, 2, 5, 11, 21)] == [
        years[choose(n)] for n in (1, 2, 5, 11, 21)
    ]


def test_the_template_covers_every_string_in_the_code() -> None:
    method_map = [("consent/**.py", "python"), ("widget/templates/**.html", "jinja2")]
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2)}
    extracted = set()
    for _, _, message, _, _ in extract_from_dir(str(ROOT), method_map=method_map, keywords=keywords):
        extracted.add(message if isinstance(message, str) else tuple(message))
    assert extracted == message_ids(template())


def test_the_package_data_ships_every_catalog() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    globs = config["tool"]["setuptools"]["package-data"]["consent.widget"]
    widget = ROOT / "widget"
    for path in TRANSLATIONS.glob("*/LC_MESSAGES/messages.*"):
        relative = path.relative_to(widget).as_posix()
        assert any(fnmatch.fnmatch(relative, pattern) for pattern in globs), relative
