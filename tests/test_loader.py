"""Loading registry files: every broken file is reported with its dotted path and, where possible, line."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import registry_data

from consent.errors import Problem, RegistryError
from consent.loader import load_registry, parse_registry, validate_registry
from consent.registry import Registry

HEAD = """\
name = "Site"

[[categories]]
id = "necessary"
title = "Necessary"
required = true
justification = "Keeps the site secure."

[[categories]]
id = "stats"
title = "Statistics"
"""

VENDOR = """\
[[vendors]]
id = "tracker"
number = 1
name = "Tracker"
category = "stats"
policy_url = "https://tracker.example.com/privacy"
hosts = ["cdn.tracker.example.com"]
"""

OTHER = """\
[[vendors]]
id = "pixel"
number = 2
name = "Pixel"
category = "stats"
policy_url = "https://pixel.example.com/privacy"
hosts = ["pixel.example.com"]
"""

GOOD_TOML = HEAD + "\n" + VENDOR + "\n" + OTHER


def toml(vendor: str = VENDOR, *, head: str = HEAD, tail: str = "") -> str:
    return head + "\n" + vendor + tail


def problems(path: Path) -> tuple[Problem, ...]:
    with pytest.raises(RegistryError) as info:
        load_registry(path)
    return info.value.problems


def line_of(text: str, snippet: str, occurrence: int = 1) -> int:
    """1-based line of the ``occurrence``-th line containing ``snippet``."""
    hits = [n for n, line in enumerate(text.splitlines(), start=1) if snippet in line]
    assert len(hits) >= occurrence, f"{snippet!r} is not in the test file"
    return hits[occurrence - 1]


@dataclass(frozen=True)
class Expect:
    path: str
    message: str  # a fragment of the message
    at: str | int | None = None  # a snippet on the expected line, the line itself, or None for "no line"
    occurrence: int = 1  # which line holding the snippet


@dataclass(frozen=True)
class Case:
    id: str
    filename: str
    text: str
    expected: tuple[Expect, ...]


def case(id: str, filename: str, text: str, *expected: Expect) -> Case:
    return Case(id, filename, text, expected)


JSON_GOOD = json.dumps(
    {
        "name": "Site",
        "categories": [{"id": "stats", "title": "Statistics"}],
        "vendors": [
            {
                "id": "tracker",
                "number": 1,
                "name": "Tracker",
                "category": "stats",
                "policy_url": "https://tracker.example.com/privacy",
                "hosts": ["cdn.tracker.example.com"],
            }
        ],
    },
    indent=2,
)

YAML_GOOD = """\
name: Site
categories:
  - id: stats
    title: Statistics
vendors:
  - id: tracker
    number: 1
    name: Tracker
    category: stats
    policy_url: https://tracker.example.com/privacy
    hosts: [cdn.tracker.example.com]
"""

CASES = [
    case(
        "unknown-top-level-key",
        "r.toml",
        'colour = "blue"\n' + toml(),
        Expect("colour", "unknown key 'colour'", 'colour = "blue"'),
    ),
    case(
        "vendor-key-typo",
        "r.toml",
        toml(VENDOR.replace("policy_url", "polcy_url")),
        Expect("vendors.0.polcy_url", "unknown key 'polcy_url'", "polcy_url ="),
        # The missing key has no line of its own: it is reported at its vendor's table.
        Expect("vendors.0.policy_url", "required field is missing", "[[vendors]]"),
    ),
    case(
        "number-not-a-number",
        "r.toml",
        toml(VENDOR.replace("number = 1", 'number = "abc"')),
        Expect("vendors.0.number", "valid integer", 'number = "abc"'),
    ),
    case(
        "hosts-as-string-json",
        "r.json",
        JSON_GOOD.replace('[\n        "cdn.tracker.example.com"\n      ]', '"cdn.tracker.example.com"'),
        Expect("vendors.0.hosts", "valid tuple", '"hosts"'),
    ),
    case(
        "required-not-boolean-yaml",
        "r.yaml",
        YAML_GOOD.replace("title: Statistics\n", "title: Statistics\n    required: maybe\n"),
        Expect("categories.0.required", "valid boolean", "required: maybe"),
    ),
    case(
        "duplicate-vendor-id",
        "r.toml",
        toml(tail="\n" + OTHER.replace('"pixel"', '"tracker"')),
        Expect("vendors.1.id", "duplicate vendor id 'tracker'", 'id = "tracker"', occurrence=2),
    ),
    case(
        "duplicate-number",
        "r.toml",
        toml(tail="\n" + OTHER.replace("number = 2", "number = 1")),
        Expect("vendors.1.number", "number 1 is already used by 'tracker'", "number = 1", occurrence=2),
    ),
    case(
        "retired-number-reused",
        "r.toml",
        toml(head="retired_numbers = [1]\n" + HEAD),
        Expect("vendors.0.number", "number 1 is retired", "number = 1"),
    ),
    case(
        "unknown-category",
        "r.toml",
        toml(VENDOR.replace('category = "stats"', 'category = "statistics"')),
        Expect("vendors.0.category", "unknown category 'statistics' (necessary, stats)", 'category = "'),
    ),
    case(
        "http-policy",
        "r.toml",
        toml(VENDOR.replace("https://tracker", "http://tracker")),
        Expect("vendors.0.policy_url", "must be an https:// URL", "policy_url"),
    ),
    case(
        "malformed-policy",
        "r.json",
        JSON_GOOD.replace("https://tracker.example.com/privacy", "https://tracker example/privacy"),
        Expect("vendors.0.policy_url", "is not a well-formed URL", '"policy_url"'),
    ),
    case(
        "empty-name-yaml",
        "r.yml",
        YAML_GOOD.replace("name: Tracker", 'name: "   "'),
        Expect("vendors.0.name", "at least 1 character", 'name: "   "'),
    ),
    case(
        "missing-policy",
        "r.yaml",
        YAML_GOOD.replace("    policy_url: https://tracker.example.com/privacy\n", ""),
        Expect("vendors.0.policy_url", "required field is missing", "- id: tracker"),
    ),
    case(
        "required-without-justification",
        "r.toml",
        toml(head=HEAD.replace('justification = "Keeps the site secure."\n', "")),
        Expect("categories.0.justification", "needs a written justification", "[[categories]]"),
    ),
    case(
        "invalid-toml",
        "r.toml",
        toml(VENDOR.replace('name = "Tracker"', 'name = "Tracker')),
        Expect("", "invalid TOML", 'name = "Tracker'),
    ),
    case(
        "invalid-json",
        "r.json",
        JSON_GOOD.replace('"name": "Tracker",', '"name": "Tracker"'),
        Expect("", "invalid JSON: Expecting ',' delimiter", '"category"'),
    ),
    case(
        "invalid-yaml",
        "r.yaml",
        YAML_GOOD.replace("    name: Tracker", "   name: Tracker"),
        Expect("", "invalid YAML", "   name: Tracker"),
    ),
    case("empty-file", "r.toml", "", Expect("", "the file is empty", None)),
    case("whitespace-only", "r.yaml", "  \n\t\n", Expect("", "the file is empty", None)),
    case("json-array", "r.json", "[1, 2]", Expect("", "must be a table of settings, not list", 1)),
    case("yaml-list", "r.yaml", "- a\n- b\n", Expect("", "must be a table of settings, not list", 1)),
    case("yaml-scalar", "r.yaml", "just words\n", Expect("", "must be a table of settings, not str", 1)),
    case(
        "bad-slug",
        "r.toml",
        toml(VENDOR.replace('id = "tracker"', 'id = "Google Ads"')),
        Expect("vendors.0.id", "should match pattern", 'id = "Google Ads"'),
    ),
    case(
        "bad-host",
        "r.toml",
        toml(VENDOR.replace('"cdn.tracker.example.com"', '"https://cdn.tracker.example.com/"')),
        Expect("vendors.0.hosts", "is not a host name", "hosts ="),
    ),
    case(
        "bad-lifetime",
        "r.toml",
        toml(tail='\n[[vendors.cookies]]\nname = "_t"\nlifetime = "forever"\n'),
        Expect("vendors.0.cookies.0.lifetime", "lifetime 'forever' is not 'session'", 'lifetime = "forever"'),
    ),
    case(
        "script-src-and-inline",
        "r.toml",
        toml(tail='\n[[vendors.scripts]]\nsrc = "https://cdn.tracker.example.com/t.js"\ninline = "go()"\n'),
        Expect("vendors.0.scripts.0", "exactly one of 'src' or 'inline'", "[[vendors.scripts]]"),
    ),
    case(
        "script-host-not-declared",
        "r.toml",
        toml(tail='\n[[vendors.scripts]]\nsrc = "https://evil.example.org/t.js"\n'),
        Expect("vendors.0.scripts.0.src", "host 'evil.example.org' is not among vendor 'tracker'", "src ="),
    ),
    case(
        "translation-of-unknown-vendor",
        "r.toml",
        toml(tail='\n[translations.de.vendors.trackr]\ndescription = "Ein Zähler."\n'),
        Expect("translations.de.vendors.trackr", "no vendor 'trackr' to translate", "[translations.de"),
    ),
    case(
        "unknown-extension",
        "r.ini",
        GOOD_TOML,
        Expect("", "unknown registry format '.ini': use .toml, .json or .yaml", None),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_broken_file_reports_its_problems(tmp_path: Path, case: Case) -> None:
    path = tmp_path / case.filename
    path.write_text(case.text, encoding="utf-8")
    found = problems(path)

    assert len(found) == len(case.expected), "\n".join(map(str, found))
    for expect in case.expected:
        line = line_of(case.text, expect.at, expect.occurrence) if isinstance(expect.at, str) else expect.at
        match = [p for p in found if p.path == expect.path and expect.message in p.message]
        assert match, f"no {expect} in:\n" + "\n".join(map(str, found))
        assert match[0].line == line, str(match[0])
        assert match[0].source == str(path)


def test_yaml_without_pyyaml_says_how_to_install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "yaml", None)  # makes `import yaml` raise ImportError
    path = tmp_path / "r.yaml"
    path.write_text(YAML_GOOD, encoding="utf-8")

    (problem,) = problems(path)

    assert "pip install 'consent-gate[yaml]'" in problem.message
    assert problem.source == str(path)


def test_non_utf8_file(tmp_path: Path) -> None:
    path = tmp_path / "r.toml"
    path.write_bytes(GOOD_TOML.replace("Tracker", "Tr\xe4cker").encode("latin-1"))

    (problem,) = problems(path)

    assert problem.line is None
    assert "cannot read the file" in problem.message
    assert "utf-8" in problem.message


def test_missing_file(tmp_path: Path) -> None:
    (problem,) = problems(tmp_path / "nowhere.toml")

    assert "cannot read the file" in problem.message


def test_registry_too_big_for_a_cookie(tmp_path: Path) -> None:
    # Vendor number 8000 needs 1000-byte bit planes; with eight optional categories the cookie
    # carries four of them and no longer fits in 4096 bytes.
    categories = "".join(f'\n[[categories]]\nid = "purpose-{n}"\ntitle = "Purpose {n}"\n' for n in range(8))
    text = (
        'name = "Big"\n'
        + categories
        + VENDOR.replace("number = 1", "number = 8000").replace('"stats"', '"purpose-0"')
    )
    path = tmp_path / "big.toml"
    path.write_text(text, encoding="utf-8")

    (problem,) = problems(path)

    assert problem.path == "vendors"
    assert "4096-byte browser limit" in problem.message
    assert problem.line == line_of(text, "[[vendors]]")


def test_the_same_vendor_number_fits_with_one_optional_category(tmp_path: Path) -> None:
    path = tmp_path / "ok.toml"
    path.write_text(toml(VENDOR.replace("number = 1", "number = 8000")), encoding="utf-8")

    assert load_registry(path).vendors[0].number == 8000


MANY_PROBLEMS = """\
name = "Site"
colour = "blue"

[[categories]]
id = "necessary"
title = "Necessary"
required = true

[[categories]]
id = "Stats"
title = "Statistics"

[[vendors]]
id = "tracker"
number = 1
name = "Tracker"
category = "stats"
policy_url = "http://tracker.example.com/privacy"
hosts = ["cdn.tracker.example.com"]

[[vendors.cookies]]
name = "_t"
lifetime = "forever"

[[vendors]]
id = "tracker"
number = 1
name = "Pixel"
category = "stats"
policy_url = "https://pixel.example.com/privacy"
"""


def test_every_problem_of_a_file_is_reported_at_once(tmp_path: Path) -> None:
    path = tmp_path / "many.toml"
    path.write_text(MANY_PROBLEMS, encoding="utf-8")

    found = {(p.line, p.path) for p in problems(path)}

    assert found == {
        (2, "colour"),
        (4, "categories.0.justification"),  # missing: reported at its table
        (10, "categories.1.id"),  # "Stats" is not a slug
        # "Stats" failed, so the only known category id is "necessary" and "stats" is unknown.
        (17, "vendors.0.category"),
        (18, "vendors.0.policy_url"),
        (23, "vendors.0.cookies.0.lifetime"),
        (26, "vendors.1.id"),
        (27, "vendors.1.number"),
        (29, "vendors.1.category"),
    }


def test_problems_are_sorted_by_line(tmp_path: Path) -> None:
    path = tmp_path / "many.toml"
    path.write_text(MANY_PROBLEMS, encoding="utf-8")

    lines = [p.line or 0 for p in problems(path)]

    assert lines == sorted(lines)


def test_error_message_lists_every_problem(tmp_path: Path) -> None:
    path = tmp_path / "many.toml"
    path.write_text(MANY_PROBLEMS, encoding="utf-8")

    with pytest.raises(RegistryError) as info:
        load_registry(path)

    text = str(info.value)
    assert text.startswith("9 problems in the vendor registry\n")
    assert f"{path}:18: vendors.0.policy_url: must be an https:// URL" in text


def test_required_as_the_string_yes_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "r.toml"
    path.write_text(toml(head=HEAD.replace("required = true", 'required = "yes"')), encoding="utf-8")

    (problem,) = problems(path)

    assert problem.path == "categories.0.required"


def test_number_as_a_numeric_string_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "r.toml"
    path.write_text(toml(VENDOR.replace("number = 1", 'number = "5"')), encoding="utf-8")

    (problem,) = problems(path)

    assert problem.path == "vendors.0.number"


# -- good files -------------------------------------------------------------------------------------


def _write_all_formats(tmp_path: Path) -> list[Path]:
    data = registry_data(6)
    data["locales"] = ["en", "de"]
    data["vendors"][0]["cookies"] = [{"name": "_v", "party": "first", "lifetime": "13mo", "purpose": "x"}]
    data["translations"] = {"de": {"vendors": {"vendor-1": {"description": "Ein Anbieter."}}}}
    toml_text = _to_toml(data)
    paths = [tmp_path / "r.toml", tmp_path / "r.json", tmp_path / "r.yaml"]
    paths[0].write_text(toml_text, encoding="utf-8")
    paths[1].write_text(json.dumps(data, indent=2), encoding="utf-8")
    import yaml

    paths[2].write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return paths


def _to_toml(data: dict[str, object]) -> str:
    """Just enough TOML writing for the data above (tomllib only reads)."""

    def value(v: object) -> str:
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, list):
            return "[" + ", ".join(value(x) for x in v) + "]"
        return json.dumps(v, ensure_ascii=False)

    out: list[str] = []

    def table(header: str, items: dict[str, object]) -> None:
        scalars = {k: v for k, v in items.items() if not isinstance(v, dict) and not _is_table_list(v)}
        out.append(header)
        out.extend(f"{k} = {value(v)}" for k, v in scalars.items())
        out.append("")
        prefix = header.strip("[]")
        for k, v in items.items():
            if isinstance(v, dict):
                table(f"[{prefix}.{k}]" if prefix else f"[{k}]", v)
            elif _is_table_list(v):
                assert isinstance(v, list)
                for item in v:
                    table(f"[[{prefix}.{k}]]" if prefix else f"[[{k}]]", item)

    table("", data)
    return "\n".join(out)


def _is_table_list(v: object) -> bool:
    return isinstance(v, list) and bool(v) and all(isinstance(x, dict) for x in v)


def test_good_files_in_all_formats_load_to_equal_registries(tmp_path: Path) -> None:
    registries = [load_registry(path) for path in _write_all_formats(tmp_path)]

    first = registries[0]
    assert len(first.vendors) == 6
    assert first.vendor("vendor-1").cookies[0].lifetime == "13mo"
    assert first.translations["de"].vendors["vendor-1"].description == "Ein Anbieter."
    for other in registries[1:]:
        assert other == first
        assert other.revision == first.revision


def test_suffix_is_case_insensitive(tmp_path: Path) -> None:
    path = tmp_path / "R.TOML"
    path.write_text(GOOD_TOML, encoding="utf-8")

    assert load_registry(path).name == "Site"


def test_parse_registry_names_the_source() -> None:
    with pytest.raises(RegistryError) as info:
        parse_registry('name = "x"\ncategories = []\n', "toml", source="inline.toml")

    (problem,) = info.value.problems
    assert str(problem) == "inline.toml:2: categories: at least one category is needed"


def test_validate_registry_accepts_parsed_data_without_lines() -> None:
    data = registry_data(3)
    data["vendors"][1]["number"] = 1

    with pytest.raises(RegistryError) as info:
        validate_registry(data, source="db")

    (problem,) = info.value.problems
    assert problem == Problem("db", None, "vendors.1.number", "number 1 is already used by 'vendor-1'")


def test_validate_registry_returns_a_registry() -> None:
    assert isinstance(validate_registry(registry_data(3)), Registry)


def test_json_lines_of_nested_problems(tmp_path: Path) -> None:
    text = JSON_GOOD.replace(
        '"hosts": [\n        "cdn.tracker.example.com"', '"hosts": [\n        "bad host"'
    )
    path = tmp_path / "r.json"
    path.write_text(text, encoding="utf-8")

    (problem,) = problems(path)

    assert problem.path == "vendors.0.hosts"
    assert problem.line == line_of(text, '"hosts"')


def test_lines_inside_multiline_strings_do_not_shift_toml_locations(tmp_path: Path) -> None:
    path = tmp_path / "multiline.toml"
    path.write_text(
        'name = "x"\n[[categories]]\nid = "necessary"\ntitle = "N"\nrequired = true\n'
        'justification = """\n[[vendors]]\nhosts = 1\n"""\n'
        '[[vendors]]\nid = "a"\nnumber = 1\nname = "A"\ncategory = "necessary"\npolicy_url = "http://x.example.com"\n',
        encoding="utf-8",
    )

    (problem,) = problems(path)

    assert (problem.path, problem.line) == ("vendors.0.policy_url", 15)
