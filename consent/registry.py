"""The vendor registry: every service a site uses, the single source of truth for everything else.

The models forbid unknown keys (a typo is an error, not a silent default) and are immutable once
loaded. Loading from files lives in :mod:`consent.loader`.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import re
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from enum import StrEnum
from functools import cached_property, lru_cache
from typing import Annotated, Any, Literal, NamedTuple, TypeVar, cast

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    StrictBool,
    StrictInt,
    ValidationInfo,
    field_validator,
    model_validator,
)

from .errors import Problem, RegistryError, UnknownIdError
from .lifetimes import lifetime_seconds
from .registry_checks import semantic_problems
from .registry_rules import category_key, host_matches, https_url

T = TypeVar("T")

SLUG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
Slug = Annotated[str, Field(pattern=SLUG_PATTERN, min_length=1, max_length=64)]
NonEmpty = Annotated[str, Field(min_length=1)]
Locale = Annotated[str, Field(pattern=r"^[a-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})*$")]

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


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class Cookie(_Model):
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


class Script(_Model):
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


class Pixel(_Model):
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


class Embed(_Model):
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


class Category(_Model):
    """A purpose visitors consent to (or, if ``required``, are told about)."""

    id: Slug
    title: NonEmpty
    description: str = ""
    required: StrictBool = False
    justification: str | None = Field(
        default=None, description="Why a required category is strictly necessary (mandatory when required)."
    )
    order: StrictInt = 0
    consent_mode: tuple[ConsentModeType, ...] = ()

    @property
    def key(self) -> int:
        """A 16-bit identity derived from the slug, used in the consent cookie."""
        return category_key(self.id)


# -- IAB TCF v2.3 (optional; read by consent.tcf) ----------------------------------------------------------

TcfPurposeId = Annotated[int, Field(ge=1, le=24)]
TcfSpecialFeatureId = Annotated[int, Field(ge=1, le=12)]


class VendorTcf(_Model):
    """What a vendor declares in IAB's Global Vendor List (``consent tcf import`` fills it in)."""

    purposes: tuple[TcfPurposeId, ...] = Field(default=(), description="Purposes on the basis of consent.")
    legitimate_interest_purposes: tuple[TcfPurposeId, ...] = ()
    flexible_purposes: tuple[TcfPurposeId, ...] = ()
    special_purposes: tuple[StrictInt, ...] = ()
    features: tuple[StrictInt, ...] = ()
    special_features: tuple[TcfSpecialFeatureId, ...] = ()
    data_retention_days: StrictInt | None = Field(default=None, ge=0)
    data_categories: tuple[StrictInt, ...] = ()


class TcfCategory(_Model):
    """The TCF purposes and special features a registry category stands for."""

    purposes: tuple[TcfPurposeId, ...] = ()
    special_features: tuple[TcfSpecialFeatureId, ...] = ()


class TcfCustomPurpose(_Model):
    """A purpose of the site's own, outside the TCF's list, signalled in the Publisher TC segment."""

    id: StrictInt = Field(ge=1, le=63, description="Its position in the Publisher TC segment.")
    name: NonEmpty
    category: Slug = Field(description="The registry category whose decision answers it.")
    legal_basis: Literal["consent", "legitimate_interest"] = "consent"


class TcfSettings(_Model):
    """A site's TCF settings: the vendor list it shows and what its own purposes are."""

    vendor_list_version: StrictInt = Field(default=0, ge=0, le=4095, description="The GVL version shown.")
    tcf_policy_version: StrictInt = Field(
        default=5, ge=0, le=63, description="The GVL's tcfPolicyVersion shown."
    )
    policy_version_since: datetime | None = Field(
        default=None,
        description="When the site started showing this tcfPolicyVersion: choices made before are asked again.",
    )
    publisher_country: str = Field(default="AA", pattern=r"^[A-Z]{2}$")
    purpose_one_treatment: StrictBool = False
    use_non_standard_texts: StrictBool = False
    categories: dict[Slug, TcfCategory] = Field(
        default_factory=dict,
        description="Category id -> the TCF purposes its decision answers (default: what its TCF vendors declare).",
    )
    publisher_purposes: tuple[TcfPurposeId, ...] = Field(
        default=(), description="The site's own, on consent."
    )
    publisher_legitimate_interest_purposes: tuple[TcfPurposeId, ...] = ()
    custom_purposes: tuple[TcfCustomPurpose, ...] = ()


# -- vendors ----------------------------------------------------------------------------------------------


class Vendor(_Model):
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


PolicyName = Literal["opt-in", "opt-out", "notice"]
#: Strictest first: a visitor whose region's policy comes earlier than the one they decided under is asked again.
POLICY_ORDER: tuple[PolicyName, ...] = ("opt-in", "opt-out", "notice")
_REGION_CODE = r"^[A-Z]{2}(?:-[A-Z0-9]{1,3})?$"
_REGION_CODE_RE = re.compile(_REGION_CODE)
#: What CDNs and GeoIP databases send when they do not know the country (Cloudflare "XX", ISO "ZZ"):
#: unknown, like a malformed value ("T1" for Tor, "US,CA", blanks), hence the strictest policy.
UNKNOWN_REGION_CODES = frozenset({"XX", "ZZ"})


class Region(_Model):
    """Visitors from these places are under this policy (opt-in unless the registry says otherwise)."""

    id: Slug
    policy: PolicyName
    codes: tuple[Annotated[str, Field(pattern=_REGION_CODE)], ...] = Field(
        min_length=1, description="ISO 3166-1 countries ('DE') or ISO 3166-2 subdivisions ('US-CA')."
    )
    exempt_vendors: tuple[Slug, ...] = Field(
        default=(),
        description="Optional vendors that run unless the visitor objects, where the law exempts them "
        "(for example UK PECR Schedule A1 first-party statistics).",
    )


class RegionPolicy(NamedTuple):
    """The policy in force for one visitor."""

    region: str | None  # the matching region's id, None when the default applies
    policy: PolicyName
    exempt_vendors: frozenset[str]


class CategoryText(_Model):
    title: str | None = None
    description: str | None = None
    justification: str | None = None


class VendorText(_Model):
    name: str | None = None
    description: str | None = None
    without_consent: str | None = None


class LocaleTexts(_Model):
    """Translations of every visible registry text for one locale."""

    notice: str | None = None
    categories: dict[str, CategoryText] = Field(default_factory=dict)
    vendors: dict[str, VendorText] = Field(default_factory=dict)


class Registry(_Model):
    """The whole vendor list of a site."""

    name: NonEmpty
    version: str = ""
    default_locale: Locale = "en"
    locales: tuple[Locale, ...] = ()
    privacy_policy_url: str | None = None
    notice: str | None = Field(default=None, description="The site's own first-layer statement.")
    categories: tuple[Category, ...]
    vendors: tuple[Vendor, ...] = ()
    translations: dict[str, LocaleTexts] = Field(default_factory=dict)
    retired_numbers: tuple[StrictInt, ...] = ()
    default_policy: PolicyName = Field(
        default="opt-in", description="For visitors whose region is known but matches no region below."
    )
    regions: tuple[Region, ...] = ()
    tcf: TcfSettings | None = Field(default=None, description="IAB TCF v2.3 settings (off when absent).")

    _localized: dict[str, Registry] = PrivateAttr(default_factory=dict)

    @field_validator("privacy_policy_url")
    @classmethod
    def _check_policy(cls, value: str | None) -> str | None:
        return None if value is None else https_url(value)

    @model_validator(mode="after")
    def _semantics(self, info: ValidationInfo) -> Registry:
        if not (info.context or {}).get("skip_semantics"):
            problems = semantic_problems(self.model_dump(mode="python"))
            if problems:
                raise RegistryError(Problem("<registry>", None, path, msg) for path, msg in problems)
        return self

    # -- lookups --------------------------------------------------------------------------------

    @property
    def all_locales(self) -> tuple[str, ...]:
        """The default locale first, then every other declared or translated one."""
        seen = dict.fromkeys([self.default_locale, *self.locales, *self.translations])
        return tuple(seen)

    # Derived indexes are cached properties: they live in the instance dict, which every request
    # reads many times, whereas pydantic's private attributes go through a slow __getattr__.

    @cached_property
    def revision(self) -> str:
        """Fingerprint of what is consent-relevant; wording and order do not change it."""
        return _fingerprint(self)

    @cached_property
    def identities(self) -> Mapping[str, VendorIdentity]:
        """Vendor id to what a stored decision about it is checked against."""
        return {
            v.id: VendorIdentity(
                v.number, category_key(v.category), self._categories_by_id[v.category].required
            )
            for v in self.vendors
            if v.category in self._categories_by_id
        }

    @cached_property
    def _vendors_by_id(self) -> dict[str, Vendor]:
        return {v.id: v for v in self.vendors}

    @cached_property
    def _categories_by_id(self) -> dict[str, Category]:
        return {c.id: c for c in self.categories}

    def vendor(self, vendor_id: str) -> Vendor:
        return self._vendors_by_id[vendor_id]

    def get_vendor(self, vendor_id: str) -> Vendor | None:
        return self._vendors_by_id.get(vendor_id)

    def category(self, category_id: str) -> Category:
        return self._categories_by_id[category_id]

    def get_category(self, category_id: str) -> Category | None:
        return self._categories_by_id.get(category_id)

    def ordered_categories(self) -> tuple[Category, ...]:
        return self._ordered_categories

    @cached_property
    def _ordered_categories(self) -> tuple[Category, ...]:
        return tuple(sorted(self.categories, key=lambda c: c.order))

    @cached_property
    def optional_categories(self) -> tuple[Category, ...]:
        """The purposes a visitor chooses, in display order (required ones are never a choice)."""
        return tuple(c for c in self._ordered_categories if not c.required)

    def vendors_in(self, category_id: str) -> tuple[Vendor, ...]:
        return self._vendors_by_category.get(category_id, ())

    @cached_property
    def _vendors_by_category(self) -> dict[str, tuple[Vendor, ...]]:
        grouped: dict[str, list[Vendor]] = {}
        for vendor in self.vendors:
            grouped.setdefault(vendor.category, []).append(vendor)
        return {category: tuple(vendors) for category, vendors in grouped.items()}

    def is_required(self, vendor: Vendor) -> bool:
        return self._categories_by_id[vendor.category].required

    def optional_vendors(self) -> tuple[Vendor, ...]:
        return self._optional_vendors

    @cached_property
    def _optional_vendors(self) -> tuple[Vendor, ...]:
        return tuple(v for v in self.vendors if not self.is_required(v))

    @cached_property
    def vendor_ids_optional(self) -> tuple[str, ...]:
        return tuple(v.id for v in self._optional_vendors)

    def derived(self, build: Callable[[Registry], T]) -> T:
        """What ``build`` derives from this registry, computed once and kept with it.

        For the per-registry tables other modules compile (the gate's fragments, Consent Mode masks):
        the registry is immutable, so they never go stale.
        """
        tables: dict[object, Any] = self.__dict__.setdefault("_derived", {})
        table = tables.get(build)
        if table is None:
            table = tables[build] = build(self)
        return cast(T, table)

    # -- vendor sets as bit masks: bit ``number - 1`` stands for a vendor ---------------------------
    # A visitor's choices are sets of vendors; as integers, what a request needs (the allowed vendors,
    # what a region lets run, what GPC stops) is a few big-integer operations whatever the registry's size.

    @cached_property
    def vendor_bits(self) -> Mapping[str, int]:
        """Vendor id to its bit, ``1 << (number - 1)``."""
        return {v.id: 1 << (v.number - 1) for v in self.vendors}

    @cached_property
    def required_mask(self) -> int:
        return self.mask_of(v.id for v in self.vendors if self.is_required(v))

    @cached_property
    def optional_mask(self) -> int:
        return self.mask_of(v.id for v in self._optional_vendors)

    @cached_property
    def sale_share_mask(self) -> int:
        """Optional vendors that sell or share personal data (what a US opt-out stops)."""
        return self.mask_of(v.id for v in self._optional_vendors if v.sale_share)

    @cached_property
    def category_masks(self) -> Mapping[str, int]:
        """Category id to the vendors in it now."""
        return {c.id: self.mask_of(v.id for v in self.vendors_in(c.id)) for c in self.categories}

    def mask_of(self, vendor_ids: Iterable[str]) -> int:
        """The mask of these vendors; unknown ids raise :class:`~consent.errors.UnknownIdError`."""
        bits = self.vendor_bits
        mask = 0
        for vendor_id in vendor_ids:
            bit = bits.get(vendor_id)
            if bit is None:
                raise UnknownIdError("vendor", vendor_id)
            mask |= bit
        return mask

    def vendors_in_mask(self, mask: int) -> tuple[Vendor, ...]:
        """The vendors of ``mask`` in registry order (cost grows with the vendors in it, not the registry)."""
        at_bit = self._vendor_at_bit
        return tuple([at_bit[bit] for bit in self.bits_in(mask)])

    def bits_in(self, mask: int) -> list[int]:
        """The bit numbers (``number - 1``) of the vendors in ``mask``, in registry order.

        Read a byte at a time (a table gives each byte's set bits), so a page's 30 allowed vendors cost
        a few look-ups rather than a big-integer operation each; bits of no vendor are skipped.
        """
        mask &= self._every_vendor_mask
        found: list[int] = []
        base = 0
        for byte in mask.to_bytes((mask.bit_length() + 7) // 8, "little"):
            if byte:
                found += [base + offset for offset in _BYTE_BITS[byte]]
            base += 8
        if not self._numbered_in_order:  # bit order is registry order when numbers ascend with it
            found.sort(key=self._position_of_bit.__getitem__)
        return found

    @cached_property
    def _vendor_at_bit(self) -> dict[int, Vendor]:
        return {v.number - 1: v for v in self.vendors}

    @cached_property
    def _position_of_bit(self) -> dict[int, int]:
        return {v.number - 1: position for position, v in enumerate(self.vendors)}

    @cached_property
    def _numbered_in_order(self) -> bool:
        return all(a.number < b.number for a, b in itertools.pairwise(self.vendors))

    @cached_property
    def _every_vendor_mask(self) -> int:
        return sum(self.vendor_bits.values())

    def vendors_for_host(self, host: str) -> tuple[Vendor, ...]:
        return tuple(v for v in self.vendors if v.covers_host(host))

    def policy_for(self, region_code: str | None) -> RegionPolicy:
        """The policy for a visitor from ``region_code`` ("US-CA", "DE"); unknown means the strictest."""
        code = (region_code or "").strip().upper()
        country = code.split("-")[0]
        if not _REGION_CODE_RE.match(code) or country in UNKNOWN_REGION_CODES:
            return RegionPolicy(None, "opt-in", frozenset())
        for candidate in (code, country):
            for region in self.regions:
                if candidate in region.codes:
                    return RegionPolicy(region.id, region.policy, frozenset(region.exempt_vendors))
        return RegionPolicy(None, self.default_policy, frozenset())

    def localized(self, locale: str) -> Registry:
        """This registry with every visible text in ``locale`` where a translation exists."""
        base = locale.replace("_", "-").split("-")[0]
        key = locale if locale in self.translations else base
        if key == self.default_locale or key not in self.translations:
            return self
        cached = self._localized.get(key)
        if cached is None:
            cached = _apply_translation(self, self.translations[key])
            self._localized[key] = cached
        return cached


#: Each byte value's set bits, lowest first.
_BYTE_BITS = tuple(tuple(offset for offset in range(8) if value >> offset & 1) for value in range(256))


def _fingerprint(registry: Registry) -> str:
    relevant = {
        "categories": sorted((c.id, c.required) for c in registry.categories),
        "vendors": sorted(
            (v.id, v.number, v.category, sorted(v.hosts), v.sale_share) for v in registry.vendors
        ),
    }
    blob = json.dumps(relevant, sort_keys=True, separators=(",", ":")).encode()
    return hashlib.sha256(blob).hexdigest()[:16]


def _apply_translation(registry: Registry, texts: LocaleTexts) -> Registry:
    def pick(overrides: BaseModel | None) -> dict[str, Any]:
        if overrides is None:
            return {}
        return {k: v for k, v in overrides.model_dump().items() if v is not None}

    categories = tuple(c.model_copy(update=pick(texts.categories.get(c.id))) for c in registry.categories)
    vendors = tuple(v.model_copy(update=pick(texts.vendors.get(v.id))) for v in registry.vendors)
    update: dict[str, Any] = {"categories": categories, "vendors": vendors}
    if texts.notice is not None:
        update["notice"] = texts.notice
    copy = registry.model_copy(update=update)
    # The copy shares the original's cached indexes: drop the ones that hold the untranslated objects.
    for name in (
        "_vendors_by_id",
        "_categories_by_id",
        "_vendors_by_category",
        "_optional_vendors",
        "_ordered_categories",
        "optional_categories",
        "_vendor_at_bit",
        "_derived",
    ):
        copy.__dict__.pop(name, None)
    copy.__dict__["revision"] = registry.revision
    return copy
