"""Interface strings in the visitor's language (gettext catalogs compiled with Babel)."""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from importlib.resources import as_file, files

from babel import Locale, UnknownLocaleError
from babel.support import NullTranslations, Translations

#: Languages the widget's own strings are translated into (registry texts have their own translations).
UI_LOCALES = ("en", "de", "fr")


@lru_cache(maxsize=32)
def translations(locale: str) -> NullTranslations:
    """The catalog for ``locale`` (English, the source language, needs none)."""
    language = normalize(locale).split("-")[0]
    if language == "en":
        return NullTranslations()
    with as_file(files("consent.widget") / "translations") as directory:
        return Translations.load(str(directory), [language], domain="messages")


def normalize(locale: str) -> str:
    return locale.replace("_", "-").strip()


def negotiate(preferred: Iterable[str], available: Iterable[str], default: str) -> str:
    """The best of ``available`` for a visitor who prefers ``preferred`` (best first)."""
    options = [normalize(a) for a in available]
    lowered = {o.lower(): o for o in options}
    for wanted in preferred:
        wanted = normalize(wanted).lower()
        if wanted in lowered:
            return lowered[wanted]
        base = wanted.split("-")[0]
        for option in options:
            if option.lower().split("-")[0] == base:
                return option
    return default


@lru_cache(maxsize=64)
def text_direction(locale: str) -> str:
    """``ltr`` or ``rtl``, for the ``dir`` attribute."""
    try:
        return "rtl" if Locale.parse(normalize(locale), sep="-").text_direction == "rtl" else "ltr"
    except (ValueError, UnknownLocaleError):
        return "ltr"


#: An Accept-Language header is read up to this many characters and languages: a visitor may send any
#: size, and the work per request must not grow with it.
MAX_ACCEPT_LANGUAGE = 256
MAX_LANGUAGES = 16


def preferred_languages(header: str) -> list[str]:
    """The languages of an ``Accept-Language`` header, best first (bounded work whatever its size)."""
    ranked: list[tuple[float, int, str]] = []
    for position, item in enumerate(header[:MAX_ACCEPT_LANGUAGE].split(",")[:MAX_LANGUAGES]):
        tag, _, params = item.strip().partition(";")
        tag = tag.strip()
        if not tag or tag == "*" or len(tag) > 35:
            continue
        quality = 1.0
        name, _, value = params.strip().partition("=")
        if name.strip() == "q":
            try:
                quality = float(value)
            except ValueError:
                continue
        if quality > 0:
            ranked.append((-quality, position, tag))
    return [tag for _, _, tag in sorted(ranked)]
