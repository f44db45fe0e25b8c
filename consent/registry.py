"""The vendor registry: every service a site uses, the single source of truth for everything else.

The models forbid unknown keys (a typo is an error, not a silent default) and are immutable once
loaded. A vendor's own entry (its cookies, scripts, pixels, embeds) is in :mod:`consent.registry_vendors`;
loading from files lives in :mod:`consent.loader`.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import re
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from functools import cached_property
from typing import Annotated, Any, Literal, NamedTuple, TypeVar, cast

from pydantic import (
    Field,
    PrivateAttr,
    StrictBool,
    StrictInt,
    ValidationInfo,
    field_validator,
    model_validator,
)

from .errors import Problem, RegistryError, UnknownIdError
from .registry_checks import semantic_problems
from .registry_rules import category_key, https_url

# The vendor entries live in consent.registry_vendors; their names are importable from here too.
from .registry_vendors import MAX_VENDOR_NUMBER as MAX_VENDOR_NUMBER
from .registry_vendors import SLUG_PATTERN as SLUG_PATTERN
from .registry_vendors import ConsentModeType as ConsentModeType
from .registry_vendors import Cookie as Cookie
from .registry_vendors import Embed as Embed
from .registry_vendors import NonEmpty as NonEmpty
from .registry_vendors import Pixel as Pixel
from .registry_vendors import RegistryModel as RegistryModel
from .registry_vendors import Script as Script
from .registry_vendors import Slug as Slug
from .registry_vendors import TcfPurposeId as TcfPurposeId
from .registry_vendors import TcfSpecialFeatureId as TcfSpecialFeatureId
from .registry_vendors import Vendor as Vendor
from .registry_vendors import VendorIdentity as VendorIdentity
from .registry_vendors import VendorTcf as VendorTcf
from .registry_vendors import cookie_regex as cookie_regex
from .registry_vendors import duration_seconds as duration_seconds

T = TypeVar("T")

Locale = Annotated[str, Field(pattern=r"^[a-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})*$")]


class Category(RegistryModel):
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


class TcfCategory(RegistryModel):
    """The TCF purposes and special features a registry category stands for."""

    purposes: tuple[TcfPurposeId, ...] = ()
    special_features: tuple[TcfSpecialFeatureId, ...] = ()


class TcfCustomPurpose(RegistryModel):
    """A purpose of the site's own, outside the TCF's list, signalled in the Publisher TC segment."""

    id: StrictInt = Field(ge=1, le=63, description="Its position in the Publisher TC segment.")
    name: NonEmpty
    category: Slug = Field(description="The registry category whose decision answers it.")
    legal_basis: Literal["consent", "legitimate_interest"] = "consent"


class TcfSettings(RegistryModel):
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


PolicyName = Literal["opt-in", "opt-out", "notice"]
#: Strictest first: a visitor whose region's policy comes earlier than the one they decided under is asked again.
POLICY_ORDER: tuple[PolicyName, ...] = ("opt-in", "opt-out", "notice")
_REGION_CODE = r"^[A-Z]{2}(?:-[A-Z0-9]{1,3})?$"
_REGION_CODE_RE = re.compile(_REGION_CODE)
#: What CDNs and GeoIP databases send when they do not know the country (Cloudflare "XX", ISO "ZZ"):
#: unknown, like a malformed value ("T1" for Tor, "US,CA", blanks), hence the strictest policy.
UNKNOWN_REGION_CODES = frozenset({"XX", "ZZ"})


class Region(RegistryModel):
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


class CategoryText(RegistryModel):
    title: str | None = None
    description: str | None = None
    justification: str | None = None


class VendorText(RegistryModel):
    name: str | None = None
    description: str | None = None
    without_consent: str | None = None


class LocaleTexts(RegistryModel):
    """Translations of every visible registry text for one locale."""

    notice: str | None = None
    categories: dict[str, CategoryText] = Field(default_factory=dict)
    vendors: dict[str, VendorText] = Field(default_factory=dict)


class Registry(RegistryModel):
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
    def pick(overrides: RegistryModel | None) -> dict[str, Any]:
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
