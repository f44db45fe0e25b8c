"""IAB's own TC string library as a judge: one node process, JSON lines over its stdin and stdout."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from consent.tcf import IdSet, TCModel

ROOT = Path(__file__).resolve().parents[2]
BRIDGE = Path(__file__).with_name("iab_tcf.mjs")
LIBRARY = ROOT / "node_modules" / "@iabtechlabtcf" / "core"


class IabTcf:
    """Ask ``@iabtechlabtcf/core`` to decode or encode, one request at a time."""

    def __init__(self) -> None:
        node = shutil.which("node")
        if node is None or not LIBRARY.exists():
            pytest.fail("IAB's @iabtechlabtcf/core is needed: install node and run `npm ci`", pytrace=False)
        self.process = subprocess.Popen(
            [node, str(BRIDGE)], cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )

    def ask(self, request: dict[str, Any]) -> dict[str, Any]:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(json.dumps(request) + "\n")
        self.process.stdin.flush()
        answer: dict[str, Any] = json.loads(self.process.stdout.readline())
        return answer

    def decode(self, string: str) -> dict[str, Any]:
        return self.ask({"op": "decode", "string": string})

    def encode(self, model: TCModel, *, full: bool = False) -> dict[str, Any]:
        """IAB's string for ``model``: its segment encoder, or with ``full`` its whole ``TCString.encode``."""
        return self.ask({"op": "encode", "model": to_iab_model(model) | {"full": full}})

    def close(self) -> None:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.close()
        self.process.wait(timeout=30)
        self.process.stdout.close()


def scalars(model: TCModel) -> dict[str, Any]:
    """The single-valued core fields under IAB's names (dates in milliseconds, as JavaScript has them)."""
    return {
        "created": round(model.created.timestamp() * 1000),
        "lastUpdated": round(model.last_updated.timestamp() * 1000),
        "cmpId": model.cmp_id,
        "cmpVersion": model.cmp_version,
        "consentScreen": model.consent_screen,
        "consentLanguage": model.consent_language,
        "vendorListVersion": model.vendor_list_version,
        "policyVersion": model.tcf_policy_version,
        "isServiceSpecific": model.is_service_specific,
        "useNonStandardTexts": model.use_non_standard_texts,
        "purposeOneTreatment": model.purpose_one_treatment,
        "publisherCountryCode": model.publisher_cc,
    }


def to_iab_model(model: TCModel) -> dict[str, Any]:
    """``model`` in the shape the bridge's ``encode`` builds an IAB TCModel from."""
    publisher = model.publisher_tc
    vectors: dict[str, list[int]] = {
        "specialFeatureOptins": sorted(model.special_feature_optins),
        "purposeConsents": sorted(model.purpose_consents),
        "purposeLegitimateInterests": sorted(model.purpose_legitimate_interests),
        "vendorConsents": list(model.vendor_consents),
        "vendorLegitimateInterests": list(model.vendor_legitimate_interests),
        "vendorsDisclosed": list(model.disclosed_vendors or ()),
    }
    if publisher is not None:
        vectors |= {
            "publisherConsents": sorted(publisher.purpose_consents),
            "publisherLegitimateInterests": sorted(publisher.purpose_legitimate_interests),
            "publisherCustomConsents": sorted(publisher.custom_purpose_consents),
            "publisherCustomLegitimateInterests": sorted(publisher.custom_purpose_legitimate_interests),
        }
    return {
        **scalars(model),
        "vectors": vectors,
        "publisherRestrictions": [
            [r.purpose_id, int(r.restriction_type), list(r.vendors)] for r in model.publisher_restrictions
        ],
        "publisherTC": publisher is not None,
        "numCustomPurposes": publisher.num_custom_purposes if publisher else 0,
    }


def fields_of(model: TCModel) -> dict[str, Any]:
    """Our decoded model in the field names and shapes IAB's side reports."""
    publisher = model.publisher_tc
    segments = ([1] if model.disclosed_vendors is not None else []) + ([3] if publisher is not None else [])
    restrictions = sorted(
        [r.purpose_id, int(r.restriction_type), list(r.vendors)]
        for r in model.publisher_restrictions
        if r.vendors
    )
    return {
        "segments": segments,
        "version": model.version,
        **scalars(model),
        "specialFeatureOptins": sorted(model.special_feature_optins),
        "purposeConsents": sorted(model.purpose_consents),
        "purposeLegitimateInterests": sorted(model.purpose_legitimate_interests),
        "vendorConsents": list(model.vendor_consents),
        "vendorLegitimateInterests": list(model.vendor_legitimate_interests),
        "publisherRestrictions": restrictions,
        "vendorsDisclosed": list(model.disclosed_vendors or IdSet()),
        "publisherConsents": sorted(publisher.purpose_consents) if publisher else [],
        "publisherLegitimateInterests": sorted(publisher.purpose_legitimate_interests) if publisher else [],
        "numCustomPurposes": publisher.num_custom_purposes if publisher else 0,
        "publisherCustomConsents": sorted(publisher.custom_purpose_consents) if publisher else [],
        "publisherCustomLegitimateInterests": (
            sorted(publisher.custom_purpose_legitimate_interests) if publisher else []
        ),
    }
