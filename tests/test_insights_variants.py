"""Wording variants: texts only (no buttons), fair-choice checks at load time, hash assignment."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from consent.errors import ConsentError
from consent.insights import VariantError, assign_variant, load_experiment, parse_experiment
from consent.insights.variants import (
    FAIR_CHOICE_CHECKS,
    MAX_STATEMENT,
    VariantText,
    check_length,
    check_mentions_reject,
    check_no_pressure,
    check_not_accept_only,
    check_plain_text,
)

ROOT = Path(__file__).resolve().parents[1]
FAIR = "You can accept or reject optional cookies, or choose purpose by purpose."


def experiment(*texts: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": "wording",
        "variants": [{"id": "control"}, *({"id": f"v{n}", "texts": t} for n, t in enumerate(texts))],
    }


def test_the_examples_variants_load() -> None:
    loaded = load_experiment(ROOT / "examples" / "reviews" / "variants.toml")
    assert [v.id for v in loaded.variants] == ["control", "plain", "short"]
    assert loaded.control.id == "control"
    plain = loaded.variants[1].text_for("de-AT")
    assert plain is not None and plain.title == "Cookies auf dieser Website"


@pytest.mark.parametrize(
    "key",
    [
        "buttons",
        "button_order",
        "accept_label",
        "reject_label",
        "accept_first",
        "button_colour",
        "button_color",
        "button_size",
        "prominence",
        "hide_reject",
        "style",
        "css",
    ],
)
def test_button_related_keys_are_rejected(key: str) -> None:
    with pytest.raises(VariantError) as caught:
        parse_experiment(experiment({"en": {"statement": FAIR, key: "x"}}))
    assert [p.path for p in caught.value.problems] == [f"variants.1.texts.en.{key}"]
    assert "Extra inputs are not permitted" in caught.value.problems[0].message


@pytest.mark.parametrize("key", ["buttons", "order", "layout", "theme"])
def test_keys_beside_the_texts_are_rejected_too(key: str) -> None:
    data = experiment({"en": {"statement": FAIR}})
    data["variants"][1][key] = ["reject", "accept"]
    with pytest.raises(VariantError, match=f"variants.1.{key}"):
        parse_experiment(data)


def test_variant_error_is_a_consent_error_listing_every_problem() -> None:
    with pytest.raises(ConsentError) as caught:
        parse_experiment(
            experiment(
                {"en": {"statement": "Accept our cookies for the best experience."}},
                {"de": {"statement": "x" * (MAX_STATEMENT + 1)}},
            ),
            "variants.toml",
        )
    error = caught.value
    assert isinstance(error, VariantError)
    messages = [str(p) for p in error.problems]
    assert (
        "variants.toml: variants.1.texts.en: statement: does not mention that the visitor can reject (e.g. 'Reject all')"
        in messages
    )
    assert any(
        "variants.1.texts.en: names the accept action 1 times and the reject action 0" in m for m in messages
    )
    assert any("variants.1.texts.en: uses steering wording 'best experience'" in m for m in messages)
    assert any(f"variants.2.texts.de: statement: {MAX_STATEMENT + 1} characters" in m for m in messages)
    assert str(error).startswith(f"{len(messages)} problems in the wording variants")


@pytest.mark.parametrize(
    ("check", "text", "locale", "ok"),
    [
        (check_mentions_reject, FAIR, "en", True),
        (check_mentions_reject, "Accept all cookies to continue.", "en", False),
        (check_mentions_reject, "Sie können alles ablehnen oder akzeptieren.", "de", True),
        (check_mentions_reject, "Vous pouvez tout refuser ou accepter.", "fr", True),
        (check_not_accept_only, FAIR, "en", True),
        (check_not_accept_only, "Accept, accept, or reject.", "en", False),
        (check_no_pressure, FAIR, "en", True),
        (check_no_pressure, "Reject or accept (recommended).", "en", False),
        (check_no_pressure, "Are you sure you want to reject?", "en", False),
        (check_plain_text, FAIR, "en", True),
        (check_plain_text, "Reject or <b>accept</b>.", "en", False),
        (check_plain_text, "Reject &amp; accept.", "en", False),
        (check_length, FAIR, "en", True),
        (check_length, "reject " * 100, "en", False),
    ],
)
def test_fair_choice_checks(check: Any, text: str, locale: str, ok: bool) -> None:
    assert (check(locale, VariantText(statement=text)) == []) is ok
    assert check in FAIR_CHOICE_CHECKS


def test_a_long_title_fails_the_length_check() -> None:
    assert check_length("en", VariantText(title="t" * 81, statement=FAIR)) == [
        "title: 81 characters, more than 80"
    ]


def test_a_language_without_vocabulary_cannot_pass() -> None:
    with pytest.raises(VariantError, match="no fair-choice vocabulary for locale 'nl'"):
        parse_experiment(experiment({"nl": {"statement": "U kunt cookies weigeren of accepteren."}}))


def test_duplicate_variant_ids_are_rejected() -> None:
    data = {"id": "w", "variants": [{"id": "control"}, {"id": "control"}]}
    with pytest.raises(VariantError, match="variant 'control' is listed twice"):
        parse_experiment(data)


def test_a_broken_file_names_itself(tmp_path: Path) -> None:
    path = tmp_path / "variants.toml"
    path.write_text("id = [", encoding="utf-8")
    with pytest.raises(VariantError, match=r"variants\.toml: <root>: not valid TOML"):
        load_experiment(path)


def test_assignment_is_deterministic_by_consent_id() -> None:
    loaded = parse_experiment(experiment({"en": {"statement": FAIR}}, {"en": {"statement": FAIR + " "}}))
    first = assign_variant(loaded, "abcdefghijklmnop", "nonce-1")
    assert all(assign_variant(loaded, "abcdefghijklmnop", f"nonce-{n}") == first for n in range(50))


def test_assignment_spreads_visitors_evenly() -> None:
    loaded = parse_experiment(experiment({"en": {"statement": FAIR}}, {"en": {"statement": FAIR + " "}}))
    by_id = Counter(assign_variant(loaded, f"consent-{n}", "x").id for n in range(30_000))
    by_page_view = Counter(assign_variant(loaded, None, f"nonce-{n}").id for n in range(30_000))
    for counts in (by_id, by_page_view):
        assert set(counts) == {"control", "v0", "v1"}
        assert all(9_500 < c < 10_500 for c in counts.values()), counts


def test_without_a_consent_id_the_page_view_token_decides() -> None:
    loaded = parse_experiment(experiment({"en": {"statement": FAIR}}))
    assert assign_variant(loaded, None, "same") == assign_variant(loaded, None, "same")
    assert {assign_variant(loaded, None, f"t{n}").id for n in range(40)} == {"control", "v0"}
