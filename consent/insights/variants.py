"""Fair wording tests: variants of the first layer's *texts*, checked and assigned without a cookie.

The schema can say one thing per locale: the first layer's title and its statement. It has no words
for buttons, their labels, order, size, colour or prominence, and unknown keys are errors, so a
variant cannot make "Reject all" harder to find than "Accept all" (EDPB Guidelines 03/2022 on
deceptive design patterns; EDPB Cookie Banner Taskforce report, January 2023). Every text also goes
through :data:`FAIR_CHOICE_CHECKS` when the variants load; one failing check rejects the whole file
with a :class:`VariantError` that lists every problem.

Assignment (:func:`assign_variant`) is a hash, never a stored value: of the consent id when the
visitor has one (the same visitor keeps the same wording across pages and visits), else of a
per-page-view random token such as the page's CSP nonce. A first-time visitor has no consent id yet
(it is created when they decide), and hashing anything about them (IP address, user agent) would make
the assignment a fingerprint; the page view's own random token is uniform, is not stored, and is
independent of page, time and person, so the arms stay comparable. The price: an undecided visitor
may read another variant on their next page; impressions and decisions are both counted per page
view, with the variant that page showed, so each arm's rate stays its own.
"""

from __future__ import annotations

import hashlib
import json
import re
import tomllib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..errors import Problem
from .errors import VariantError

SLUG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
Slug = Annotated[str, Field(pattern=SLUG_PATTERN, min_length=1, max_length=64)]
Locale = Annotated[str, Field(pattern=r"^[a-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})*$")]

#: Length bounds (characters): a title is a line, a statement a short paragraph (no overloading).
MAX_TITLE = 80
MAX_STATEMENT = 600


class VariantText(BaseModel):
    """The first layer's texts in one locale: a title and the statement. Nothing about buttons."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    title: str | None = Field(default=None, min_length=1, description="The first layer's heading.")
    statement: str = Field(min_length=1, description="The first layer's statement (plain text).")


class Variant(BaseModel):
    """One wording; ``texts`` per locale (a locale it leaves out shows the registry's own wording)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: Slug
    texts: dict[Locale, VariantText] = Field(default_factory=dict)

    def text_for(self, locale: str) -> VariantText | None:
        return self.texts.get(locale) or self.texts.get(locale.split("-")[0].split("_")[0])


class Experiment(BaseModel):
    """A wording test: its variants, the first of which is the control the others are compared with."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: Slug
    variants: list[Variant] = Field(min_length=1)

    @property
    def control(self) -> Variant:
        return self.variants[0]


# -- fair-choice checks -----------------------------------------------------------------------------------

#: Words that name each action, per language (lower case, matched on word starts).
ACCEPT_WORDS: dict[str, tuple[str, ...]] = {
    "en": ("accept", "agree", "allow", "consent to"),
    "de": ("akzeptier", "zustimm", "stimmen sie zu", "erlaub", "einverstanden"),
    "fr": ("accepte", "accepter", "autoris", "consent"),
}
REJECT_WORDS: dict[str, tuple[str, ...]] = {
    "en": ("reject", "refuse", "decline", "deny", "say no"),
    "de": ("ablehn", "verweiger", "nein sagen"),
    "fr": ("refus", "rejet", "décliner", "declin"),
}
#: Emotional steering and false necessity (EDPB 03/2022 "emotional steering", "hindering").
PRESSURE_WORDS: dict[str, tuple[str, ...]] = {
    "en": (
        "recommended",
        "best experience",
        "don't miss",
        "do not miss",
        "are you sure",
        "must accept",
        "required to use",
        "need your consent to",
        "to keep this site free",
        "help us survive",
    ),
    "de": ("empfohlen", "bestes erlebnis", "verpassen sie nicht", "müssen zustimmen", "sind sie sicher"),
    "fr": ("recommandé", "meilleure expérience", "ne manquez pas", "devez accepter", "êtes-vous sûr"),
}
_MARKUP = re.compile(r"[<>]|&[a-zA-Z#0-9]+;")

Check = Callable[[str, VariantText], list[str]]


def _words(table: Mapping[str, tuple[str, ...]], locale: str) -> tuple[str, ...] | None:
    return table.get(locale.split("-")[0].split("_")[0].lower())


def _mentions(text: str, words: tuple[str, ...]) -> int:
    lowered = text.lower()
    return sum(len(re.findall(r"(?<!\w)" + re.escape(word), lowered)) for word in words)


def check_known_language(locale: str, text: VariantText) -> list[str]:
    """The checks below need the language's vocabulary: an unknown language cannot pass them."""
    if _words(REJECT_WORDS, locale) is None:
        return [f"no fair-choice vocabulary for locale {locale!r} (known: {', '.join(sorted(REJECT_WORDS))})"]
    return []


def check_length(locale: str, text: VariantText) -> list[str]:
    problems = []
    if text.title is not None and len(text.title) > MAX_TITLE:
        problems.append(f"title: {len(text.title)} characters, more than {MAX_TITLE}")
    if len(text.statement) > MAX_STATEMENT:
        problems.append(f"statement: {len(text.statement)} characters, more than {MAX_STATEMENT}")
    return problems


def check_plain_text(locale: str, text: VariantText) -> list[str]:
    """Markup could restyle the buttons' surroundings or hide text: texts are plain."""
    return [
        f"{name}: contains markup; variant texts are plain text"
        for name, value in (("title", text.title), ("statement", text.statement))
        if value and _MARKUP.search(value)
    ]


def check_mentions_reject(locale: str, text: VariantText) -> list[str]:
    """The statement must tell the visitor they can refuse."""
    words = _words(REJECT_WORDS, locale)
    if words is not None and not _mentions(text.statement, words):
        return ["statement: does not mention that the visitor can reject (e.g. 'Reject all')"]
    return []


def check_not_accept_only(locale: str, text: VariantText) -> list[str]:
    """Naming the accept action more often than the reject action steers the visitor towards it."""
    accept, reject = _words(ACCEPT_WORDS, locale), _words(REJECT_WORDS, locale)
    if accept is None or reject is None:
        return []
    joined = f"{text.title or ''}\n{text.statement}"
    accepts, rejects = _mentions(joined, accept), _mentions(joined, reject)
    if accepts > rejects:
        return [f"names the accept action {accepts} times and the reject action {rejects}: name both alike"]
    return []


def check_no_pressure(locale: str, text: VariantText) -> list[str]:
    words = _words(PRESSURE_WORDS, locale) or ()
    joined = f"{text.title or ''}\n{text.statement}".lower()
    found = [w for w in words if w in joined]
    return [f"uses steering wording {', '.join(repr(w) for w in found)}"] if found else []


FAIR_CHOICE_CHECKS: tuple[Check, ...] = (
    check_known_language,
    check_length,
    check_plain_text,
    check_mentions_reject,
    check_not_accept_only,
    check_no_pressure,
)


def fair_choice_problems(experiment: Experiment, source: str = "<variants>") -> list[Problem]:
    """Every fair-choice problem of every text of every variant."""
    problems = []
    seen: set[str] = set()
    for index, variant in enumerate(experiment.variants):
        if variant.id in seen:
            problems.append(
                Problem(source, None, f"variants.{index}.id", f"variant {variant.id!r} is listed twice")
            )
        seen.add(variant.id)
        for locale, text in variant.texts.items():
            for check in FAIR_CHOICE_CHECKS:
                for message in check(locale, text):
                    problems.append(Problem(source, None, f"variants.{index}.texts.{locale}", message))
    return problems


def parse_experiment(data: Mapping[str, Any], source: str = "<variants>") -> Experiment:
    """Validate ``data`` (schema, then the fair-choice checks); raise :class:`VariantError` listing all."""
    try:
        experiment = Experiment.model_validate(data)
    except ValidationError as exc:
        raise VariantError(
            Problem(source, None, ".".join(str(p) for p in error["loc"]), error["msg"])
            for error in exc.errors()
        ) from None
    problems = fair_choice_problems(experiment, source)
    if problems:
        raise VariantError(problems)
    return experiment


def load_experiment(path: str | Path) -> Experiment:
    """Load variants from a TOML or JSON file (the same shape as :class:`Experiment`)."""
    path = Path(path)
    raw = path.read_bytes()
    try:
        data = json.loads(raw) if path.suffix == ".json" else tomllib.loads(raw.decode())
    except (ValueError, UnicodeDecodeError) as exc:
        raise VariantError(
            [Problem(str(path), None, "", f"not valid {'JSON' if path.suffix == '.json' else 'TOML'}: {exc}")]
        ) from None
    return parse_experiment(data, str(path))


def assign_variant(experiment: Experiment, consent_id: str | None, page_view_token: str) -> Variant:
    """The variant a visitor sees: by the consent id's hash, else by the page view's random token.

    ``page_view_token`` must be random per page view and never stored (the CSP nonce is); it is only
    used when there is no consent id. Same inputs, same variant: no cookie is needed to keep it.
    """
    seed = f"consent-id:{consent_id}" if consent_id else f"page-view:{page_view_token}"
    digest = hashlib.sha256(f"{experiment.id}\n{seed}".encode()).digest()
    return experiment.variants[int.from_bytes(digest[:8], "big") % len(experiment.variants)]


__all__ = [
    "FAIR_CHOICE_CHECKS",
    "Experiment",
    "Variant",
    "VariantText",
    "assign_variant",
    "fair_choice_problems",
    "load_experiment",
    "parse_experiment",
]
