"""The registry's vendor entries: a vendor and the cookies, scripts, pixels and embeds it declares.

:mod:`consent.registry` holds the registry around them (categories, regions, translations, the TCF
settings) and re-exports these names; import them from either.
"""

from __future__ import annotations

import re
from enum import StrEnum
from functools import lru_cache
from typing import Annotated, Literal, NamedTuple

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, field_validator, model_validator

from .lifetimes import lifetime_seconds
from .registry_rules import host_matches, https_url

SLUG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
Slug = Annotated[str, Field(pattern=SLUG_PATTERN, min_length=1, max_length=64)]
NonEmpty = Annotated[str, Field(min_length=1)]

#: The highest vendor number a registry may use; the cookie keeps one bit-plane column per number.
MAX_VENDOR_NUMBER = 8191

_HOST_RE = re.compile(r"^(?:\*\.)?(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
_ATTRIBUTE_RE = re.compile(r"^[a-z][a-z0-9-]*$")


#: Kept under its old name: the registry's lifetime notation is parsed in :mod:`consent.lifetimes`.
duration_seconds = lifetime_seconds


class ConsentModeType(StrEnum):
    """Google Consent Mode v2 storage types."""

    AD_STORAGE = "ad_storage"
    AD_USER_DATA = "ad_user_data"
    AD_PERSONALIZATION = "ad_personalization"
    ANALYTICS_STORAGE = "analytics_storage"
    FUNCTIONALITY_STORAGE = "functionality_storage"
    PERSONALIZATION_STORAGE = "personalization_storage"
    SECURITY_STORAGE = "security_storage"


@lru_cache(maxsize=4096)
def cookie_regex(name: str) -> re.Pattern[str]:
    """A declared cookie name as a regular expression: ``*`` matches any run of characters.

    Cached by the registry's declared names (never by a request's), so each compiles once."""
    return re.compile(".*".join(re.escape(part) for part in name.split("*")), re.DOTALL)


class VendorIdentity(NamedTuple):
    """What keeps a visitor's decision about a vendor meaningful across registry edits."""

    number: int
    category_key: int
    required: bool


class RegistryModel(BaseModel):
    """The registry's models: unknown keys are errors, and loaded values are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class Cookie(RegistryModel):
    """A cookie (or other storage) a vendor sets."""

    name: NonEmpty = Field(description="Cookie name; '*' matches any run of characters, e.g. '_ga_*'.")
    party: Literal["first", "third"] = "first"
    lifetime: str | None = Field(
        default=None, description="'session' or a duration such as '30min', '24h', '13mo', '2y'."
    )
    purpose: str = ""
    domain: str | None = Field(default=None, description="For third-party cookies: the domain that sets it.")

    @field_validator("lifetime")
    @classmethod
    def _check_lifetime(cls, value: str | None) -> str | None:
        if value is not None:
            duration_seconds(value)
        return value

    @property
    def lifetime_seconds(self) -> int | None:
        return None if self.lifetime is None else duration_seconds(self.lifetime)

    def matches(self, cookie_name: str) -> bool:
        if "*" not in self.name:
            return cookie_name == self.name
        return cookie_regex(self.name).fullmatch(cookie_name) is not None


class Script(RegistryModel):
    """A ``<script>`` the page must contain once the vendor is approved: ``src`` or ``inline``."""

    src: str | None = None
    inline: str | None = None
    placement: Literal["head", "body"] = "body"
    attributes: dict[str, str | bool] = Field(
        default_factory=dict, description="Extra attributes such as async, defer, crossorigin, data-*."
    )

    @field_validator("attributes")
    @classmethod
    def _check_attributes(cls, value: dict[str, str | bool]) -> dict[str, str | bool]:
        for name in value:
            if not _ATTRIBUTE_RE.match(name):
                raise ValueError(f"{name!r} is not an attribute name")
            # These would bypass the https check, the CSP nonce or the gate's own bookkeeping.
            if name in {"src", "nonce", "data-consent-key"} or name.startswith("on"):
                raise ValueError(f"the attribute {name!r} cannot be set here")
        return value

    @field_validator("src")
    @classmethod
    def _check_src(cls, value: str | None) -> str | None:
        return None if value is None else https_url(value)

    paths: tuple[Annotated[str, Field(pattern=r"^/")], ...] = Field(
        default=(), description="Only on pages whose path matches one ('*': any run of characters); else all."
    )

    @model_validator(mode="after")
    def _one_of_src_inline(self) -> Script:
        if (self.src is None) == (self.inline is None):
            raise ValueError("a script needs exactly one of 'src' or 'inline'")
        return self


class Pixel(RegistryModel):
    """A tracking image the page must contain once the vendor is approved."""

    src: str
    placement: Literal["head", "body"] = "body"
    noscript: StrictBool = Field(
        default=False,
        description="Only for visitors without JavaScript: rendered in <noscript> (no double count).",
    )

    @field_validator("src")
    @classmethod
    def _check_src(cls, value: str) -> str:
        return https_url(value)

    @model_validator(mode="after")
    def _noscript_in_body(self) -> Pixel:
        if self.noscript and self.placement != "body":  # <noscript> in <head> may not hold an image
            raise ValueError("a noscript pixel belongs in the body (placement = 'body')")
        return self


class Embed(RegistryModel):
    """An iframe (video, map, widget); ``src`` may hold ``{name}`` fields filled at render time."""

    name: Slug = "default"
    src: str
    title: str = ""
    width: StrictInt | None = None
    height: StrictInt | None = None
    allow: str | None = None
    allowfullscreen: StrictBool = False

    @field_validator("src")
    @classmethod
    def _check_src(cls, value: str) -> str:
        https_url(value.replace("{", "").replace("}", ""))
        return value


# -- what a vendor declares for IAB TCF v2.3 (optional; read by consent.tcf) -------------------------------

TcfPurposeId = Annotated[int, Field(ge=1, le=24)]
TcfSpecialFeatureId = Annotated[int, Field(ge=1, le=12)]


class VendorTcf(RegistryModel):
    """What a vendor declares in IAB's Global Vendor List (``consent tcf import`` fills it in)."""

    purposes: tuple[TcfPurposeId, ...] = Field(default=(), description="Purposes on the basis of consent.")
    legitimate_interest_purposes: tuple[TcfPurposeId, ...] = ()
    flexible_purposes: tuple[TcfPurposeId, ...] = ()
    special_purposes: tuple[StrictInt, ...] = ()
    features: tuple[StrictInt, ...] = ()
    special_features: tuple[TcfSpecialFeatureId, ...] = ()
    data_retention_days: StrictInt | None = Field(default=None, ge=0)
    data_categories: tuple[StrictInt, ...] = ()


# -- vendors ----------------------------------------------------------------------------------------------


class Vendor(RegistryModel):
    """A third-party (or first-party) service that needs consent for its purpose."""

    id: Slug = Field(description="Stable forever: decisions are remembered against it.")
    number: StrictInt = Field(
        ge=1,
        le=MAX_VENDOR_NUMBER,
        description="Stable compact identity used in the consent cookie. Never reuse a number: "
        "list retired ones in 'retired_numbers'.",
    )
    name: NonEmpty
    category: Slug
    description: str = ""
    policy_url: str
    cookies: tuple[Cookie, ...] = ()
    hosts: tuple[str, ...] = ()
    scripts: tuple[Script, ...] = ()
    pixels: tuple[Pixel, ...] = ()
    embeds: tuple[Embed, ...] = ()
    without_consent: str | None = Field(
        default=None, description="What still happens when the visitor declines."
    )
    tcf_id: StrictInt | None = Field(default=None, ge=1)
    consent_mode: tuple[ConsentModeType, ...] = ()
    consent_mode_advanced: StrictBool = Field(
        default=False,
        description="Google Consent Mode 'advanced': the vendor's scripts load before consent, with every "
        "storage type denied, and send cookieless pings. Off ('basic') unless set.",
    )
    sale_share: StrictBool = Field(default=False, description="Sells or shares personal data (US laws).")
    # IAB TCF (optional): what the Global Vendor List declares, and Google's Additional Consent id.
    tcf: VendorTcf | None = None
    google_atp_id: StrictInt | None = Field(
        default=None, ge=1, description="Google Ad Tech Provider id, for the Additional Consent string."
    )

    # -- vendor presets (consent.presets) ---------------------------------------------------------
    preset: Slug | None = Field(
        default=None,
        description="The catalogue preset this entry starts from ('consent presets list'); the loader "
        "merges the entry's own fields over it, filling the preset's {placeholders} from 'params'.",
    )

    @field_validator("policy_url")
    @classmethod
    def _check_policy(cls, value: str) -> str:
        return https_url(value)

    @field_validator("hosts")
    @classmethod
    def _check_hosts(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for host in value:
            if not _HOST_RE.match(host):
                raise ValueError(f"{host!r} is not a host name (use 'example.com' or '*.example.com')")
        return value

    def embed(self, name: str | None = None) -> Embed | None:
        """The embed called ``name``, or the vendor's first one."""
        if name is None:
            return self.embeds[0] if self.embeds else None
        return next((e for e in self.embeds if e.name == name), None)

    def covers_host(self, host: str) -> bool:
        return any(host_matches(pattern, host) for pattern in self.hosts)
