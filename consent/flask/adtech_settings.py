"""The IAB TCF and GPP settings of one app (``CONSENT_TCF_*``, ``CONSENT_GPP*``), checked against the
registry at ``init_app``; the per-request part is ``consent.flask.adtech``.

When the GDPR applies (the rule): the TCF is on, and the visitor's country is in
``CONSENT_TCF_GDPR_COUNTRIES`` (default :data:`GDPR_COUNTRIES`, the EEA and the UK) or their region is
unknown, which the registry treats as the strictest case (opt-in) too.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from ..errors import ConfigurationError, GVLError
from ..gpp.cmpapi import UNREGISTERED_CMP_ID
from ..registry import Registry
from ..tcf import GVL, CmpSettings, load_gvl, load_gvl_texts

#: The EEA (EU-27, Iceland, Liechtenstein, Norway) and the United Kingdom.
GDPR_COUNTRIES = frozenset(
    [
        "AT",
        "BE",
        "BG",
        "HR",
        "CY",
        "CZ",
        "DK",
        "EE",
        "FI",
        "FR",
        "DE",
        "GR",
        "HU",
        "IE",
        "IT",
        "LV",
        "LT",
        "LU",
        "MT",
        "NL",
        "PL",
        "PT",
        "RO",
        "SK",
        "SI",
        "ES",
        "SE",
        "IS",
        "LI",
        "NO",
        "GB",
    ]
)


@dataclass(frozen=True)
class AdTechSettings:
    """Per app: the CMP registration, where the GDPR applies, the GVL texts, the GPP choices."""

    cmp_id: int | None
    cmp_version: int
    consent_language: str | None
    gdpr_countries: frozenset[str]
    cookie: bool
    gpp: bool
    gpp_cmp_id: int
    gpp_approach: Any
    gpp_mspa: Any
    gvl: GVL | None = None
    gvl_by_locale: Mapping[str, GVL] = field(default_factory=dict)

    @property
    def tcf(self) -> bool:
        return self.cmp_id is not None

    def cmp_for(self, locale: str) -> CmpSettings:
        language = self.consent_language or locale.split("-")[0].split("_")[0]
        if not (len(language) == 2 and language.isascii() and language.isalpha()):
            language = "EN"
        assert self.cmp_id is not None
        return _cmp(self.cmp_id, self.cmp_version, language.upper())

    def gvl_for(self, locale: str) -> GVL | None:
        """The GVL with its texts in ``locale`` when a translation is configured, else in English."""
        lower = locale.lower()
        return self.gvl_by_locale.get(lower) or self.gvl_by_locale.get(lower.split("-")[0]) or self.gvl


@lru_cache(maxsize=64)
def _cmp(cmp_id: int, cmp_version: int, language: str) -> CmpSettings:
    return CmpSettings(cmp_id, cmp_version, language)


def build_adtech(config: Mapping[str, Any], registry: Registry, root: Path) -> AdTechSettings | None:
    """The app's TCF and GPP settings, checked against the registry; ``None`` when both are off."""
    cmp_id = config["CONSENT_TCF_CMP_ID"]
    if cmp_id is None and not config["CONSENT_GPP"]:
        return None
    gvl: GVL | None = None
    by_locale: dict[str, GVL] = {}
    if cmp_id is not None:
        if registry.tcf is None:
            raise ConfigurationError(
                "CONSENT_TCF_CMP_ID: the registry has no [tcf] table; add one (consent tcf import fills "
                "it in) or leave CONSENT_TCF_CMP_ID unset",
                "CONSENT_TCF_CMP_ID",
            )
        gvl = _load(config["CONSENT_TCF_GVL"], root, registry)
        for locale, path in config["CONSENT_TCF_GVL_TRANSLATIONS"].items():
            if gvl is None:
                raise ConfigurationError(
                    "CONSENT_TCF_GVL_TRANSLATIONS: translations need CONSENT_TCF_GVL", "CONSENT_TCF_GVL"
                )
            try:
                by_locale[str(locale).lower()] = gvl.translated(load_gvl_texts(_path(path, root)))
            except GVLError as error:
                raise ConfigurationError(
                    f"CONSENT_TCF_GVL_TRANSLATIONS: {error}", "CONSENT_TCF_GVL"
                ) from None
    countries = config["CONSENT_TCF_GDPR_COUNTRIES"]
    gpp_cmp_id = config["CONSENT_GPP_CMP_ID"]
    return AdTechSettings(
        cmp_id=None if cmp_id is None else int(cmp_id),
        cmp_version=int(config["CONSENT_TCF_CMP_VERSION"]),
        consent_language=config["CONSENT_TCF_CONSENT_LANGUAGE"],
        gdpr_countries=GDPR_COUNTRIES if countries is None else frozenset(c.upper() for c in countries),
        cookie=bool(config["CONSENT_TCF_COOKIE"]),
        gpp=bool(config["CONSENT_GPP"]),
        gpp_cmp_id=int(gpp_cmp_id if gpp_cmp_id is not None else cmp_id or UNREGISTERED_CMP_ID),
        gpp_approach=config["CONSENT_GPP_APPROACH"],
        gpp_mspa=config["CONSENT_GPP_MSPA"],
        gvl=gvl,
        gvl_by_locale=by_locale,
    )


def _path(value: Any, root: Path) -> Path:
    path = Path(value)
    return path if path.is_absolute() else root / path


def _load(value: Any, root: Path, registry: Registry) -> GVL | None:
    if value is None:
        return None
    try:
        gvl = value if isinstance(value, GVL) else load_gvl(_path(value, root))
    except GVLError as error:
        raise ConfigurationError(f"CONSENT_TCF_GVL: {error}", "CONSENT_TCF_GVL") from None
    assert registry.tcf is not None
    if gvl.tcf_policy_version != registry.tcf.tcf_policy_version:
        raise ConfigurationError(
            f"CONSENT_TCF_GVL: the vendor list is under tcfPolicyVersion {gvl.tcf_policy_version}, the "
            f"registry under {registry.tcf.tcf_policy_version}: run `consent tcf import` so that visitors "
            "are asked again under the new policy",
            "CONSENT_TCF_GVL",
        )
    return gvl


def gdpr_applies(adtech: AdTechSettings, region_code: str | None) -> bool:
    if adtech.cmp_id is None:  # the TCF is off
        return False
    country = (region_code or "").strip().upper().split("-")[0]
    return not country or country in adtech.gdpr_countries
