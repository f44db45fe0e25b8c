"""The IAB Global Vendor List (GVL, ``vendor-list.json``, specification version 3) as read-only models.

Unlike the registry, these models ignore keys they do not know: the GVL is IAB's document, it gains
fields between versions, and a site must still be able to read the newest one.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..errors import GVLError


class _GvlModel(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True)


_Loaded = TypeVar("_Loaded", bound=_GvlModel)


class Purpose(_GvlModel):
    """A purpose, special purpose, feature, special feature or data category: an id and its texts."""

    id: int
    name: str
    description: str = ""
    illustrations: tuple[str, ...] = ()


class Stack(_GvlModel):
    id: int
    name: str
    description: str = ""
    purposes: tuple[int, ...] = ()
    special_features: tuple[int, ...] = Field(default=(), alias="specialFeatures")


class DataRetention(_GvlModel):
    std_retention: int | None = Field(default=None, alias="stdRetention")
    purposes: dict[str, int] = Field(default_factory=dict)
    special_purposes: dict[str, int] = Field(default_factory=dict, alias="specialPurposes")


class VendorUrl(_GvlModel):
    lang_id: str = Field(alias="langId")
    privacy: str | None = None
    leg_int_claim: str | None = Field(default=None, alias="legIntClaim")


class GvlVendor(_GvlModel):
    id: int
    name: str
    purposes: tuple[int, ...] = ()
    leg_int_purposes: tuple[int, ...] = Field(default=(), alias="legIntPurposes")
    flexible_purposes: tuple[int, ...] = Field(default=(), alias="flexiblePurposes")
    special_purposes: tuple[int, ...] = Field(default=(), alias="specialPurposes")
    features: tuple[int, ...] = ()
    special_features: tuple[int, ...] = Field(default=(), alias="specialFeatures")
    data_retention: DataRetention | None = Field(default=None, alias="dataRetention")
    urls: tuple[VendorUrl, ...] = ()
    data_declaration: tuple[int, ...] = Field(default=(), alias="dataDeclaration")
    deleted_date: datetime | None = Field(default=None, alias="deletedDate")
    cookie_max_age_seconds: int | None = Field(default=None, alias="cookieMaxAgeSeconds")
    uses_cookies: bool | None = Field(default=None, alias="usesCookies")

    @property
    def is_deleted(self) -> bool:
        return self.deleted_date is not None

    def privacy_url(self, language: str = "en") -> str | None:
        """The privacy policy URL in ``language``, else English, else the first one given."""
        by_language = {u.lang_id.lower(): u.privacy for u in self.urls if u.privacy}
        return (
            by_language.get(language.lower())
            or by_language.get("en")
            or next(iter(by_language.values()), None)
        )


class GVL(_GvlModel):
    """A whole vendor list: its versions, the policy's texts and every vendor keyed by id."""

    gvl_specification_version: int = Field(alias="gvlSpecificationVersion")
    vendor_list_version: int = Field(alias="vendorListVersion")
    tcf_policy_version: int = Field(alias="tcfPolicyVersion")
    last_updated: datetime = Field(alias="lastUpdated")
    purposes: dict[int, Purpose]
    special_purposes: dict[int, Purpose] = Field(alias="specialPurposes")
    features: dict[int, Purpose]
    special_features: dict[int, Purpose] = Field(alias="specialFeatures")
    stacks: dict[int, Stack] = Field(default_factory=dict)
    data_categories: dict[int, Purpose] = Field(default_factory=dict, alias="dataCategories")
    vendors: dict[int, GvlVendor]

    def vendor(self, vendor_id: int) -> GvlVendor:
        return self.vendors[vendor_id]

    def translated(self, texts: GvlTexts) -> GVL:
        """This list with the policy's texts (purposes, features, stacks...) in ``texts.language``.

        Entries the translation lacks keep their English text.
        """
        update: dict[str, Any] = {}
        for name in (
            "purposes",
            "special_purposes",
            "features",
            "special_features",
            "stacks",
            "data_categories",
        ):
            ours, theirs = getattr(self, name), getattr(texts, name)
            update[name] = {key: theirs.get(key, value) for key, value in ours.items()}
        return self.model_copy(update=update)


class GvlTexts(_GvlModel):
    """A GVL translation file (``purposes-de.json``): the policy's texts in one language."""

    language: str
    purposes: dict[int, Purpose] = Field(default_factory=dict)
    special_purposes: dict[int, Purpose] = Field(default_factory=dict, alias="specialPurposes")
    features: dict[int, Purpose] = Field(default_factory=dict)
    special_features: dict[int, Purpose] = Field(default_factory=dict, alias="specialFeatures")
    stacks: dict[int, Stack] = Field(default_factory=dict)
    data_categories: dict[int, Purpose] = Field(default_factory=dict, alias="dataCategories")


def parse_gvl(data: Mapping[str, Any], source: str = "<GVL>") -> GVL:
    """Validate already-parsed GVL JSON; :class:`~consent.errors.GVLError` lists every problem."""
    gvl = _validate(GVL, data, source)
    if gvl.gvl_specification_version < 3:
        raise GVLError(source, [f"gvlSpecificationVersion {gvl.gvl_specification_version}: TCF v2.3 needs 3"])
    return gvl


def load_gvl(path: str | os.PathLike[str]) -> GVL:
    """Read a ``vendor-list.json`` file."""
    return parse_gvl(_read_json(Path(path)), str(path))


def load_gvl_texts(path: str | os.PathLike[str]) -> GvlTexts:
    """Read a GVL translation file such as ``purposes-de.json``."""
    return _validate(GvlTexts, _read_json(Path(path)), str(path))


def _read_json(file: Path) -> Mapping[str, Any]:
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise GVLError(str(file), [f"cannot read the file: {exc}"]) from exc
    except json.JSONDecodeError as exc:
        raise GVLError(str(file), [f"line {exc.lineno}: invalid JSON: {exc.msg}"]) from exc
    if not isinstance(data, Mapping):
        raise GVLError(str(file), ["the top level must be an object"])
    return data


def _validate(model: type[_Loaded], data: Mapping[str, Any], source: str) -> _Loaded:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = [
            f"{'.'.join(str(p) for p in error['loc']) or '<root>'}: {error['msg']}" for error in exc.errors()
        ]
        raise GVLError(source, problems) from exc
