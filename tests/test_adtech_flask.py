"""IAB TCF and GPP in the Flask extension (``consent.flask.adtech``), on the example site: off by
default, refused when misconfigured, and when on, derived from the signed cookie on every page, in the
decision JSON, the status endpoint, the URL macros, the ledger and the second layer."""

from __future__ import annotations

import html as html_module
import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, render_template_string
from flask.testing import FlaskClient
from flask_helpers import JSON, PAGE, codec_of, example_app, html_of, post

from consent.errors import ConfigurationError
from consent.gpp import decode_gpp
from consent.ledger import Ledger
from consent.registry import Registry
from consent.tcf import decode_tc_string, tc_string_for
from consent.tcf.derive import CmpSettings
from examples.reviews.app import TCF_FILES, tcf_registry

CMP_ID = 300
TCF = {
    "CONSENT_TCF_CMP_ID": CMP_ID,
    "CONSENT_TCF_CMP_VERSION": 4,
    "CONSENT_TCF_GVL": TCF_FILES / "vendor-list.json",
}
REGION = {"CONSENT_REGION_HEADER": "X-Region"}
STUB = re.compile(r'\}\)\((\{"tcString".*?)\);</script>', re.S)
GPP_STUB = re.compile(r'<script[^>]*data-consent-gpp="([^"]*)"')
# Registry vendors and their GVL ids on the example site (google-adsense and -doubleclick share 755).
AD_IDS = {10, 13, 28, 32, 52, 69, 755, 793}


def tcf_app(**config: Any) -> Flask:
    return example_app(**(TCF | config))


def tcdata_of(html: str) -> dict[str, Any]:
    match = STUB.search(html)
    assert match, "no __tcfapi stub in the page"
    tcdata, _ping = json.loads(f"[{match.group(1)}]")
    return tcdata  # type: ignore[no-any-return]


def render_for(client: FlaskClient, source: str, headers: dict[str, str]) -> str:
    """``source`` rendered in a request that carries the client's consent cookie and ``headers``."""
    app = client.application
    cookie = client.get_cookie(codec_of(app).name)
    cookies = {"Cookie": f"{cookie.key}={cookie.value}"} if cookie else {}
    with app.test_request_context(PAGE, headers=headers | cookies):
        return html_module.unescape(render_template_string(source))


def gppdata_of(html: str) -> dict[str, Any]:
    match = GPP_STUB.search(html)
    assert match, "no __gpp stub in the page"
    return json.loads(html_module.unescape(match.group(1)))  # type: ignore[no-any-return]


# -- off by default ------------------------------------------------------------------------------------


def test_off_by_default_nothing_changes() -> None:
    app = example_app()
    client = app.test_client()
    html = html_of(client.get(PAGE))
    assert "(function (tcData, ping)" not in html and "data-consent-gpp" not in html
    assert "data-consent-tcf" not in html
    body = post(client, {"action": "accept_all"}, headers=JSON).json
    assert body is not None and "tcf" not in body and "gpp" not in body
    assert {"tcf", "gpp"}.isdisjoint(client.get("/consent/status").json or {})
    assert client.get_cookie("euconsent-v2") is None
    with app.test_request_context("/"):
        assert render_template_string("{{ consent_tcf_params() }}|{{ consent_gpp_params() }}") == "{}|{}"


# -- refused at init_app -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("config", "key"),
    [
        ({"CONSENT_TCF_CMP_ID": 1}, "CONSENT_TCF_CMP_ID"),  # 1 is "unregistered": IAB refuses it
        ({"CONSENT_TCF_CMP_ID": 0}, "CONSENT_TCF_CMP_ID"),
        ({"CONSENT_TCF_CMP_ID": 4096}, "CONSENT_TCF_CMP_ID"),  # 12 bits
        ({"CONSENT_TCF_CMP_ID": "abc"}, "CONSENT_TCF_CMP_ID"),
        ({"CONSENT_TCF_CMP_ID": True}, "CONSENT_TCF_CMP_ID"),
        ({"CONSENT_TCF_CMP_VERSION": 0}, "CONSENT_TCF_CMP_VERSION"),
        ({"CONSENT_TCF_CONSENT_LANGUAGE": "ENG"}, "CONSENT_TCF_CONSENT_LANGUAGE"),
        ({"CONSENT_TCF_GDPR_COUNTRIES": "DE"}, "CONSENT_TCF_GDPR_COUNTRIES"),
        ({"CONSENT_TCF_GVL": TCF_FILES / "missing.json"}, "CONSENT_TCF_GVL"),
        ({"CONSENT_TCF_GVL_TRANSLATIONS": ["de"]}, "CONSENT_TCF_GVL_TRANSLATIONS"),
        ({"CONSENT_GPP_APPROACH": "county"}, "CONSENT_GPP_APPROACH"),
        ({"CONSENT_GPP_MSPA": "yes"}, "CONSENT_GPP_MSPA"),
        ({"CONSENT_GPP_CMP_ID": 0}, "CONSENT_GPP_CMP_ID"),
    ],
)
def test_bad_settings_fail_at_init_app(config: dict[str, Any], key: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        tcf_app(**config)
    assert caught.value.key == key
    assert key in str(caught.value)


def test_the_euconsent_cookie_needs_a_cmp_id() -> None:
    with pytest.raises(ConfigurationError, match="CONSENT_TCF_COOKIE"):
        example_app(CONSENT_TCF_COOKIE=True)


def test_the_tcf_needs_a_registry_with_a_tcf_table(seed_registry: Registry) -> None:
    with pytest.raises(ConfigurationError, match=r"\[tcf\] table") as caught:
        example_app(CONSENT_TCF_CMP_ID=CMP_ID, CONSENT_REGISTRY=seed_registry)
    assert caught.value.key == "CONSENT_TCF_CMP_ID"


def test_a_gvl_under_another_policy_version_is_refused(tmp_path: Path) -> None:
    gvl = json.loads((TCF_FILES / "vendor-list.json").read_text(encoding="utf-8"))
    gvl["tcfPolicyVersion"] = 6
    newer = tmp_path / "vendor-list.json"
    newer.write_text(json.dumps(gvl), encoding="utf-8")
    with pytest.raises(ConfigurationError, match="tcfPolicyVersion 6"):
        tcf_app(CONSENT_TCF_GVL=newer)


def test_gpp_alone_needs_no_registration() -> None:
    client = example_app(CONSENT_GPP=True, **REGION).test_client()
    html = html_of(client.get(PAGE, headers={"X-Region": "US-CA"}))
    assert "(function (tcData, ping)" not in html
    data = gppdata_of(html)
    assert data["cmpId"] == 1 and data["applicableSections"] == [8]


# -- the TC string follows the signed cookie ------------------------------------------------------------


def test_an_undecided_visitor_gets_the_stub_with_the_banner_status_and_no_string() -> None:
    html = html_of(tcf_app().test_client().get(PAGE))
    tcdata = tcdata_of(html)
    assert tcdata["eventStatus"] == "cmpuishown" and tcdata["tcString"] == "" and tcdata["gdprApplies"]
    assert tcdata["cmpId"] == CMP_ID and tcdata["cmpVersion"] == 4
    # In <head>, before every other script of the page (the ad tags come later).
    head = html.split("</head>", 1)[0]
    stub_at = head.index("(function (tcData, ping)")
    assert all(m.start() > stub_at for m in re.finditer(r"<script[^>]*\bsrc=", html))


def test_accept_all_gives_the_string_in_the_json_the_status_and_every_later_page() -> None:
    app = tcf_app()
    client = app.test_client()
    body = post(client, {"action": "accept_all"}, headers=JSON).json
    assert body is not None
    tc_string = body["tcf"]["tcString"]
    model = decode_tc_string(tc_string)
    assert set(model.vendor_consents) == AD_IDS | {77}
    assert {1, 2, 3, 4, 7}.issubset(model.purpose_consents)
    assert (model.cmp_id, model.cmp_version) == (CMP_ID, 4)
    assert client.get("/consent/status").json["tcf"]["tcString"] == tc_string  # type: ignore[index]
    page = tcdata_of(html_of(client.get(PAGE)))
    assert page["eventStatus"] == "tcloaded" and page["tcString"] == tc_string
    # No second source of truth: the same string as derived from the cookie's state.
    cookie = client.get_cookie(codec_of(app).name)
    assert cookie is not None
    state = codec_of(app).decode(cookie.value)
    with app.app_context():
        registry = app.extensions["consent"].registry
    assert tc_string == tc_string_for(registry, state, CmpSettings(CMP_ID, 4, "EN"))


def test_reject_all_objects_to_every_legitimate_interest() -> None:
    client = tcf_app().test_client()
    body = post(client, {"action": "reject_all"}, headers=JSON).json
    assert body is not None
    model = decode_tc_string(body["tcf"]["tcString"])
    assert not model.vendor_consents and not model.vendor_legitimate_interests
    assert not model.purpose_consents and not model.purpose_legitimate_interests


@pytest.mark.parametrize(
    ("region", "countries", "applies"),
    [
        (None, None, True),  # unknown region: the strictest reading
        ("DE", None, True),
        ("GB", None, True),
        ("NO", None, True),
        ("US-CA", None, False),
        ("CH", None, False),
        ("FR", ["DE"], False),
        ("DE", ["DE"], True),
    ],
)
def test_gdpr_applies_by_region(region: str | None, countries: list[str] | None, applies: bool) -> None:
    client = tcf_app(CONSENT_TCF_GDPR_COUNTRIES=countries, **REGION).test_client()
    headers = {"X-Region": region} if region else {}
    post(client, {"action": "accept_all"}, headers=headers)
    tcdata = tcdata_of(html_of(client.get(PAGE, headers=headers)))
    assert tcdata["gdprApplies"] is applies
    assert bool(tcdata["tcString"]) is applies
    params = render_for(client, "{{ consent_tcf_params()|urlencode }}", headers)
    assert params.startswith(f"gdpr={int(applies)}&gdpr_consent=")
    assert (tcdata["tcString"] in params) if applies else params.endswith("gdpr_consent=")


def test_the_consent_language_follows_the_locale_unless_fixed() -> None:
    client = tcf_app().test_client()
    body = post(client, {"action": "accept_all"}, headers=JSON | {"Accept-Language": "de"}).json
    assert body is not None and decode_tc_string(body["tcf"]["tcString"]).consent_language == "DE"
    fixed = tcf_app(CONSENT_TCF_CONSENT_LANGUAGE="fr").test_client()
    body = post(fixed, {"action": "accept_all"}, headers=JSON | {"Accept-Language": "de"}).json
    assert body is not None and decode_tc_string(body["tcf"]["tcString"]).consent_language == "FR"


def test_the_stub_carries_the_csp_nonce() -> None:
    response = tcf_app(CONSENT_CSP="enforce", CONSENT_GPP=True).test_client().get(PAGE)
    html = html_of(response)
    nonce = re.search(r"'nonce-([^']+)'", response.headers["Content-Security-Policy"])
    assert nonce is not None
    assert f'<script nonce="{nonce.group(1)}">/* The IAB TCF v2.3 CMP API' in html
    assert f'<script nonce="{nonce.group(1)}" data-consent-gpp=' in html


def test_the_euconsent_cookie_is_written_only_when_asked() -> None:
    client = tcf_app(CONSENT_TCF_COOKIE=True).test_client()
    body = post(client, {"action": "accept_all"}, headers=JSON).json
    assert body is not None
    cookie = client.get_cookie("euconsent-v2")
    assert cookie is not None and cookie.value == body["tcf"]["tcString"] and not cookie.http_only
    withdrawn = post(client, {"action": "withdraw"}, headers=JSON).json
    assert withdrawn is not None
    cookie = client.get_cookie("euconsent-v2")
    assert cookie is not None and cookie.value == withdrawn["tcf"]["tcString"]
    assert not decode_tc_string(cookie.value).vendor_consents
    # Where the GDPR does not apply there is no TC string: the cookie goes.
    moving = tcf_app(CONSENT_TCF_COOKIE=True, **REGION).test_client()
    post(moving, {"action": "accept_all"}, headers={"X-Region": "DE"})
    assert moving.get_cookie("euconsent-v2") is not None
    post(moving, {"action": "accept_all"}, headers={"X-Region": "US-CA"})
    assert moving.get_cookie("euconsent-v2") is None
    plain = tcf_app().test_client()
    post(plain, {"action": "accept_all"})
    assert plain.get_cookie("euconsent-v2") is None


def test_a_new_tcf_policy_version_asks_again() -> None:
    registry = tcf_registry()
    assert registry.tcf is not None
    since = datetime.now(UTC) + timedelta(days=1)  # every choice made now predates it
    newer = registry.model_copy(
        update={"tcf": registry.tcf.model_copy(update={"policy_version_since": since})}
    )
    client = tcf_app(CONSENT_REGISTRY=newer).test_client()
    post(client, {"action": "accept_all"})
    html = html_of(client.get(PAGE))
    assert "data-consent-banner" in html
    tcdata = tcdata_of(html)
    assert tcdata["eventStatus"] == "cmpuishown" and tcdata["tcString"]
    # The same registry without the new policy version: the decided visitor is not asked.
    settled = tcf_app().test_client()
    post(settled, {"action": "accept_all"})
    assert "data-consent-banner" not in html_of(settled.get(PAGE))


# -- GPP ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("region", "gpc", "action", "sids", "sale_opt_out"),
    [
        ("US-CA", True, None, [8], 1),  # GPC opts out of sale and sharing
        ("US-CA", False, None, [8], 2),
        ("US-CA", False, "opt_out", [8], 1),
        ("US-TX", False, "accept_all", [7], 2),
        ("DE", False, "accept_all", [2], None),
    ],
)
def test_gpp_follows_region_state_and_gpc(
    region: str, gpc: bool, action: str | None, sids: list[int], sale_opt_out: int | None
) -> None:
    client = tcf_app(CONSENT_GPP=True, **REGION).test_client()
    headers = {"X-Region": region} | ({"Sec-GPC": "1"} if gpc else {})
    body = post(client, {"action": action}, headers=headers | JSON).json if action else None
    html = html_of(client.get(PAGE, headers=headers))
    data = gppdata_of(html)
    assert data["applicableSections"] == sids and data["cmpId"] == CMP_ID
    if body is not None:
        assert data["gppString"] == body["gpp"]["gppString"]
    decoded = decode_gpp(data["gppString"])
    if sale_opt_out is None:  # the EEA: the TC string rides as section 2
        assert decoded.section_ids == (2,)
        assert decoded.sections[0].text == tcdata_of(html)["tcString"]  # type: ignore[union-attr]
    else:
        [section] = decoded.sections
        assert section.fields["SaleOptOut"] == sale_opt_out  # type: ignore[union-attr]
    params = render_for(client, "{{ consent_gpp_params()|urlencode }}", headers)
    assert params == f"gpp={data['gppString']}&gpp_sid=" + ",".join(map(str, sids))


# -- legitimate-interest objections ---------------------------------------------------------------------


def test_objecting_to_a_vendor_clears_its_legitimate_interest_and_keeps_its_consent() -> None:
    client = tcf_app().test_client()
    form = {"action": "custom", "category": "marketing", "object_vendor": "appnexus", "layer": "second"}
    body = post(client, form, headers=JSON).json
    assert body is not None
    model = decode_tc_string(body["tcf"]["tcString"])
    assert 32 not in model.vendor_legitimate_interests and 32 in model.vendor_consents
    assert {755, 52} <= set(model.vendor_legitimate_interests) and 755 in model.vendor_consents
    assert body["vendors"]["appnexus"] == "granted" and body["vendors"]["openx"] == "granted"
    panel = html_of(client.get("/consent/preferences"))
    assert re.search(r'name="object_vendor" value="appnexus" checked', panel)
    assert not re.search(r'name="object_vendor" value="rubicon-project" checked', panel)
    # The objection is in the signed cookie: the next page's TC string still carries it.
    page = html_of(client.get("/movie-review-her"))
    later = decode_tc_string(tcdata_of(page)["tcString"])
    assert 32 not in later.vendor_legitimate_interests and 32 in later.vendor_consents


def test_objecting_to_a_purpose_clears_its_legitimate_interest() -> None:
    client = tcf_app().test_client()
    form = {"action": "custom", "category": ["marketing", "statistics"], "object_purpose": "7"}
    body = post(client, form, headers=JSON).json
    assert body is not None
    model = decode_tc_string(body["tcf"]["tcString"])
    assert 7 not in model.purpose_legitimate_interests and 2 in model.purpose_legitimate_interests
    assert body["categories"]["marketing"] == "granted" and body["categories"]["statistics"] == "granted"


def test_the_next_save_without_objections_lifts_them() -> None:
    client = tcf_app().test_client()
    post(client, {"action": "custom", "category": "marketing", "object_vendor": "appnexus"}, headers=JSON)
    body = post(client, {"action": "custom", "category": "marketing"}, headers=JSON).json
    assert body is not None and 32 in decode_tc_string(body["tcf"]["tcString"]).vendor_legitimate_interests


def test_objections_do_not_count_for_accept_all() -> None:
    client = tcf_app().test_client()
    body = post(client, {"action": "accept_all", "object_vendor": "appnexus"}, headers=JSON).json
    assert body is not None and 32 in decode_tc_string(body["tcf"]["tcString"]).vendor_legitimate_interests


@pytest.mark.parametrize(
    "form",
    [
        {"object_vendor": "index-exchange"},  # declares no legitimate interest
        {"object_vendor": "nobody"},
        {"object_purpose": "1"},  # never on legitimate interest
        {"object_purpose": "x"},
        {"object_vendor": ["appnexus", "appnexus"]},
    ],
)
def test_bad_objections_are_refused(form: dict[str, Any]) -> None:
    response = post(tcf_app().test_client(), {"action": "custom", **form})
    assert response.status_code == 400


# -- the second layer ----------------------------------------------------------------------------------


def test_the_second_layer_lists_the_tcf_purposes_in_the_gvl_words_and_translated() -> None:
    client = tcf_app(CONSENT_TCF_GVL_TRANSLATIONS={"de": TCF_FILES / "purposes-de.json"}).test_client()
    english = html_of(client.get("/consent/preferences"))
    assert "data-consent-tcf" in english
    for text in ("Measure advertising performance", "Deliver and present advertising and content",
                 "Link different devices", "Use precise geolocation data",
                 "Personalised advertising and advertising measurement"):  # fmt: skip
        assert text in english, text
    assert english.count('name="object_purpose"') == 4  # 2, 7, 9, 10
    german = html_of(client.get("/consent/preferences", headers={"Accept-Language": "de"}))
    assert "Werbeleistung messen" in german and "Measure advertising performance" not in german


def test_the_second_layer_has_no_tcf_part_where_the_gdpr_does_not_apply() -> None:
    client = tcf_app(**REGION).test_client()
    assert "data-consent-tcf" not in html_of(
        client.get("/consent/preferences", headers={"X-Region": "US-CA"})
    )


# -- the ledger ----------------------------------------------------------------------------------------


def test_the_ledger_record_carries_the_tc_and_gpp_strings(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    Ledger(url, timeout=None).init()
    app = tcf_app(CONSENT_GPP=True, CONSENT_LEDGER_URL=url, CONSENT_LEDGER_KEY="k" * 32,
                  CONSENT_LEDGER_SPOOL=str(tmp_path / "spool"))  # fmt: skip
    body = post(app.test_client(), {"action": "accept_all"}, headers=JSON).json
    assert body is not None
    with app.app_context():
        ledger = app.extensions["consent"].ledger
    try:
        [record] = ledger.history(body["consent_id"])
        assert f"tcf:{body['tcf']['tcString']}" in record.signals
        assert f"gpp:{body['gpp']['gppString']}" in record.signals
    finally:
        ledger.close()


def test_visitors_never_get_each_others_strings() -> None:
    app = tcf_app(CONSENT_GPP=True, **REGION)
    seen = {}
    for action in ("accept_all", "reject_all", None):  # None: undecided, the shared render
        client = app.test_client()
        headers = {"X-Region": "DE"}
        if action:
            post(client, {"action": action}, headers=headers)
        html = html_of(client.get(PAGE, headers=headers))
        status = client.get("/consent/status", headers=headers).json
        assert status is not None
        assert tcdata_of(html)["tcString"] == status["tcf"]["tcString"]
        assert gppdata_of(html)["gppString"] == status["gpp"]["gppString"]
        seen[action] = status["gpp"]["gppString"]
    assert len(set(seen.values())) == 3
