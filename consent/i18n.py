"""Interface strings in the visitor's language: catalogs, negotiation, text direction.

The widget's own strings live in gettext catalogs compiled with Babel (``widget/translations``); registry
texts have their own translations in the registry. Negotiation follows CLDR through Babel: aliases
(``iw`` → ``he``, ``no`` → ``nb``), likely scripts (``zh-CN`` → ``zh-Hans``) and parent locales
(``es-MX`` → ``es-419`` → ``es``, ``pt-AO`` → ``pt-PT``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from functools import lru_cache
from importlib.resources import as_file, files

from babel import Locale, UnknownLocaleError
from babel.core import LOCALE_ALIASES, get_global
from babel.support import NullTranslations, Translations

#: Languages the widget's own strings are translated into (registry texts have their own translations):
#: English, the 23 other official languages of the EU, then more, as BCP 47 tags.
UI_LOCALES = (
    "en",
    *("bg", "cs", "da", "de", "el", "es", "et", "fi", "fr", "ga", "hr", "hu", "it"),
    *("lt", "lv", "mt", "nl", "pl", "pt", "ro", "sk", "sl", "sv"),
    *("nb", "is", "tr", "uk", "ru", "ar", "he", "ja", "zh-Hans", "ko", "pt-BR", "es-419"),
)

#: An Accept-Language header is read up to this many characters and languages: a visitor may send any
#: size, and the work per request must not grow with it (browsers send a few dozen characters).
MAX_ACCEPT_LANGUAGE = 256
MAX_LANGUAGES = 16

_TAG = re.compile(r"[A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*|\*")
_QUALITY = re.compile(r"q=([01](?:\.\d{0,3})?)", re.IGNORECASE)


def normalize(locale: str) -> str:
    return locale.replace("_", "-").strip()


def catalog_name(locale: str) -> str:
    """The catalog directory of a UI locale (``zh-Hans`` → ``zh_Hans``), as ``Translations.load`` looks it up."""
    return normalize(locale).replace("-", "_")


@lru_cache(maxsize=64)
def translations(locale: str) -> NullTranslations:
    """The catalog for ``locale``, or for the nearest locale that has one; English strings otherwise."""
    catalog = negotiate([locale], UI_LOCALES, "")
    if not catalog:
        return NullTranslations()
    with as_file(files("consent.widget") / "translations") as directory:
        return Translations.load(str(directory), [catalog_name(catalog)], domain="messages")


@lru_cache(maxsize=512)
def fallback_chain(tag: str) -> tuple[str, ...]:
    """Tags to try for a visitor who asked for ``tag``, most specific first (CLDR data through Babel).

    ``es-MX`` → ``es-MX, es-419, es``; ``zh-CN`` → ``zh-CN, zh-Hans-CN, zh-Hans, zh``; ``no`` → ``…, nb``.
    """
    tag = normalize(tag)
    if not _TAG.fullmatch(tag) or tag == "*":
        return ()
    try:
        locale = Locale.parse(tag, sep="-")
    except (ValueError, UnknownLocaleError):
        return _unique([tag, tag.split("-")[0]])
    language, territory = locale.language, locale.territory
    script = locale.script or _likely_script(language, territory)
    chain = [tag]
    if territory:
        if script:
            chain.append(f"{language}-{script}-{territory}")
        chain.append(f"{language}-{territory}")
        chain.extend(_parents(language, script, territory))
    if script:
        chain.append(f"{language}-{script}")
    chain.append(language)
    alias = LOCALE_ALIASES.get(language, language).split("_")[0]
    if alias != language:  # a macrolanguage whose written standard has its own code: no → nb
        chain.extend(fallback_chain(alias))
    return _unique(chain)


def _likely_script(language: str, territory: str | None) -> str | None:
    likely: Mapping[str, str] = get_global("likely_subtags")
    found = likely.get(f"{language}_{territory}") or likely.get(language) or ""
    parts = found.split("_")
    return parts[1] if len(parts) > 2 else None


def _parents(language: str, script: str | None, territory: str) -> list[str]:
    exceptions: Mapping[str, str] = get_global("parent_exceptions")
    found: list[str] = []
    parent = exceptions.get(f"{language}_{script}_{territory}") or exceptions.get(f"{language}_{territory}")
    while parent and parent != "root" and len(found) < 4:
        found.append(normalize(parent))
        parent = exceptions.get(parent)
    return found


def _unique(tags: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(tags))


def known_tag(tag: str) -> str | None:
    """``tag`` reduced to the subtags CLDR knows (language, script, territory), else ``None``.

    Visitors send any text: what is looked up (and memoised) is only ever a combination of known codes,
    so no cache grows with the variety of headers.
    """
    parts = normalize(tag).replace("_", "-").split("-")
    language = parts[0].lower()
    if language not in _LANGUAGES:
        return None
    script = territory = None
    for part in parts[1:]:
        if script is None and territory is None and part.title() in _SCRIPTS:
            script = part.title()
        elif territory is None and part.upper() in _TERRITORIES:
            territory = part.upper()
    return "-".join(p for p in (language, script, territory) if p)


_ENGLISH = Locale("en")
_LANGUAGES = frozenset(_ENGLISH.languages) | frozenset(get_global("language_aliases"))
_SCRIPTS = frozenset(_ENGLISH.scripts)
_TERRITORIES = frozenset(_ENGLISH.territories)


@lru_cache(maxsize=512)
def _writing(tag: str) -> tuple[str, str | None] | None:
    """(language, script) of a tag, the script filled in from CLDR's likely subtags."""
    try:
        locale = Locale.parse(normalize(tag), sep="-")
    except (ValueError, UnknownLocaleError):
        return None
    return locale.language, locale.script or _likely_script(locale.language, locale.territory)


def negotiate(preferred: Iterable[str], available: Iterable[str], default: str) -> str:
    """The best of ``available`` for a visitor who prefers ``preferred`` (best first), else ``default``.

    For each preferred tag in turn: the first of its CLDR fallback chain that is available (case and
    ``_``/``-`` ignored), else an available locale of the same language and script (``de-CH`` gets
    ``de-DE``; ``zh-TW`` does not get ``zh-Hans``).
    """
    options = _index(tuple(available))
    for wanted in preferred:
        known = known_tag(wanted)
        if known is None:
            continue
        chain = fallback_chain(known)
        for tag in chain:
            found = options.get(tag.lower())
            if found:
                return found
        writing = _writing(chain[0]) if chain else None
        if writing is not None:
            for option in options.values():
                if _writing(option) == writing:
                    return option
    return default


@lru_cache(maxsize=32)
def _index(available: tuple[str, ...]) -> dict[str, str]:
    """Offered locales by lower-case BCP 47 tag (a site offers one list: this runs once per list)."""
    return {normalize(a).lower(): normalize(a) for a in available if a}


def preferred_languages(
    header: str | None,
    max_chars: int = MAX_ACCEPT_LANGUAGE,
    max_entries: int = MAX_LANGUAGES,
) -> list[str]:
    """The language tags of an ``Accept-Language`` header, best first, bounded before any parsing.

    At most ``max_chars`` characters are read (cut at the last complete entry) and at most
    ``max_entries`` entries kept, so a 100 KB header costs what a normal one does. Entries with ``q=0``
    or a malformed tag are dropped; equal qualities keep the header's order.
    """
    if not header:
        return []
    text = header[: max_chars + 1]
    if len(text) > max_chars:
        text = text[:max_chars]
        text = text[: text.rfind(",")] if "," in text else ""
    ranked: list[tuple[float, int, str]] = []
    for index, entry in enumerate(text.split(",")[:max_entries]):
        tag, _, params = entry.partition(";")
        tag = tag.strip()
        if not _TAG.fullmatch(tag):
            continue
        quality = 1.0
        if params:
            match = _QUALITY.fullmatch(params.strip().replace(" ", ""))
            if match is None:
                continue
            quality = float(match.group(1))
        if quality > 0:
            ranked.append((-quality, index, tag))
    return [tag for _, _, tag in sorted(ranked)]


@lru_cache(maxsize=64)
def text_direction(locale: str) -> str:
    """``ltr`` or ``rtl``, for the ``dir`` attribute."""
    try:
        return "rtl" if Locale.parse(normalize(locale), sep="-").text_direction == "rtl" else "ltr"
    except (ValueError, UnknownLocaleError):
        return "ltr"
