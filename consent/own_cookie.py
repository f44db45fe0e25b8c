"""The consent cookie's own declaration: the one cookie the toolkit itself sets, listed like any other.

A visitor (and an auditor) reading the strictly necessary cookies must find it there with its real name
(``__Host-consent`` by default), lifetime and purpose. Pure functions of the cookie settings, so the
panel, the audit and the Flask CLI describe the very cookie the codec writes.
"""

from __future__ import annotations

from .codec import DEFAULT_NAME, MAX_COOKIE_AGE, CookieCodec, cookie_name
from .registry import Cookie

#: What the cookie is for, in the words the panel and the audit show.
PURPOSE = (
    "Remembers your cookie choices (which purposes and services you allowed, and when), so that you are "
    "not asked on every page. It holds no personal data."
)
_DEFAULT_DAYS = MAX_COOKIE_AGE.days


def consent_cookie(
    name: str = DEFAULT_NAME,
    *,
    secure: bool = True,
    domain: str | None = None,
    max_age_days: int = _DEFAULT_DAYS,
) -> Cookie:
    """The declaration of the consent cookie for these settings (``CONSENT_COOKIE_*``)."""
    days = min(int(max_age_days), _DEFAULT_DAYS)
    return Cookie(
        name=cookie_name(name, secure=secure, domain=domain),
        party="first",
        lifetime=f"{days}d",
        purpose=PURPOSE,
        domain=domain,
    )


def codec_cookie(codec: CookieCodec) -> Cookie:
    """The declaration of the cookie ``codec`` writes."""
    return Cookie(
        name=codec.name,
        party="first",
        lifetime=f"{int(codec.max_age.total_seconds()) // 86400}d",
        purpose=PURPOSE,
        domain=codec.domain,
    )


__all__ = ["PURPOSE", "codec_cookie", "consent_cookie"]
