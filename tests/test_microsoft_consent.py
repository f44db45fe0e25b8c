"""Microsoft UET consent mode and Clarity consentv2 values, derived from the Consent Mode mapping."""

from __future__ import annotations

import pytest
from preset_helpers import MAPPED_CATEGORIES, only_category

from consent.loader import parse_registry
from consent.microsoft_consent import (
    MicrosoftConsent,
    clarity_call,
    clarity_consent_values,
    microsoft_consent_update,
    render_microsoft_consent_default,
    uet_call,
    uet_consent_values,
    update_script,
    uses_clarity,
    uses_uet,
)
from consent.registry import Registry
from consent.state import ConsentState, Method

CATEGORIES = MAPPED_CATEGORIES
UET = '[[vendors]]\nid = "uet"\nnumber = 1\npreset = "microsoft-uet"\nparams = { tag_id = "1" }\n'
CLARITY = (
    '[[vendors]]\nid = "clarity"\nnumber = 2\npreset = "microsoft-clarity"\nparams = { project_id = "p1" }\n'
)
# A hand-written vendor is recognised by its host.
OWN_UET = (
    '[[vendors]]\nid = "bing"\nnumber = 3\nname = "Bing"\ncategory = "marketing"\n'
    'policy_url = "https://privacy.microsoft.com/privacystatement"\nhosts = ["bat.bing.com"]\n'
)


@pytest.fixture
def registry() -> Registry:
    return parse_registry(CATEGORIES + UET + CLARITY, "toml")


@pytest.mark.parametrize(
    ("choice", "ad", "analytics"),
    [
        ("undecided", "denied", "denied"),
        ("accept", "granted", "granted"),
        ("reject", "denied", "denied"),
        ("statistics", "denied", "granted"),
        ("marketing", "granted", "denied"),
    ],
)
def test_values_follow_the_choice(registry: Registry, choice: str, ad: str, analytics: str) -> None:
    state = {
        "undecided": ConsentState.undecided(registry),
        "accept": ConsentState.accept_all(registry),
        "reject": ConsentState.reject_all(registry),
    }.get(choice) or only_category(registry, choice)
    assert uet_consent_values(registry, state) == {"ad_storage": ad}
    assert clarity_consent_values(registry, state) == {"ad_Storage": ad, "analytics_Storage": analytics}


def test_allowing_a_vendor_grants_the_types_its_preset_maps(registry: Registry) -> None:
    # No category granted: the vendors' own mapping (from their presets) decides.
    state = ConsentState.undecided(registry).with_choices(
        {"uet": True, "clarity": True}, method=Method.CUSTOM
    )
    assert uet_consent_values(registry, state) == {"ad_storage": "granted"}
    assert clarity_consent_values(registry, state) == {
        "ad_Storage": "granted",
        "analytics_Storage": "granted",
    }


def test_only_the_signals_of_vendors_the_site_has() -> None:
    neither = parse_registry(CATEGORIES, "toml")
    assert (uses_uet(neither), uses_clarity(neither)) == (False, False)
    assert render_microsoft_consent_default(neither, ConsentState.undecided(neither)) == ""
    by_host = parse_registry(CATEGORIES + OWN_UET, "toml")
    assert (uses_uet(by_host), uses_clarity(by_host)) == (True, False)
    signals = microsoft_consent_update(by_host, ConsentState.accept_all(by_host))
    assert signals == MicrosoftConsent({"ad_storage": "granted"}, None)
    assert signals.as_dict() == {"uet": {"ad_storage": "granted"}}


def test_the_default_script_queues_both_calls_and_carries_the_nonce(registry: Registry) -> None:
    html = str(render_microsoft_consent_default(registry, ConsentState.undecided(registry), nonce="abc"))
    assert html.startswith('<script nonce="abc" data-consent-microsoft="default">') and html.endswith(
        "</script>"
    )
    code = html[html.index(">") + 1 : -len("</script>")]
    assert code.index("window.uetq.push('consent','default',{\"ad_storage\": \"denied\"})") < code.index(
        'window.clarity(\'consentv2\',{"ad_Storage": "denied", "analytics_Storage": "denied"})'
    )
    assert "(window.clarity.q=window.clarity.q||[]).push(arguments)" in code  # Clarity's queue stub


def test_the_nonce_is_escaped(registry: Registry) -> None:
    html = str(render_microsoft_consent_default(registry, ConsentState.undecided(registry), nonce='"><x'))
    assert 'nonce="&#34;&gt;&lt;x"' in html


def test_only_granted_or_denied_can_be_written() -> None:
    assert uet_call({"ad_storage": "</script><script>alert(1)"}) == (
        "window.uetq=window.uetq||[];window.uetq.push('consent','default',{\"ad_storage\": \"denied\"});"
    )
    assert clarity_call({"ad_Storage": "granted", "analytics_Storage": "yes"}).endswith(
        'window.clarity(\'consentv2\',{"ad_Storage": "granted", "analytics_Storage": "denied"});'
    )


def test_update_script(registry: Registry) -> None:
    code = update_script(microsoft_consent_update(registry, ConsentState.accept_all(registry)))
    assert "window.uetq.push('consent','update',{\"ad_storage\": \"granted\"})" in code
    assert 'window.clarity(\'consentv2\',{"ad_Storage": "granted", "analytics_Storage": "granted"})' in code
    with pytest.raises(ValueError, match="'default' and 'update'"):
        uet_call({"ad_storage": "denied"}, "set")


@pytest.mark.parametrize("source", [UET, CLARITY, UET + CLARITY, OWN_UET, ""])
@pytest.mark.parametrize("ad", ["granted", "denied"])
@pytest.mark.parametrize("analytics", ["granted", "denied"])
def test_the_default_script_is_the_calls_for_the_two_answers(source: str, ad: str, analytics: str) -> None:
    registry = parse_registry(CATEGORIES + source, "toml")
    google = {"ad_storage": ad, "analytics_storage": analytics}
    signals = microsoft_consent_update(registry, ConsentState.undecided(registry), google)
    code = (uet_call(signals.uet) if signals.uet else "") + (
        clarity_call(signals.clarity) if signals.clarity else ""
    )
    script = render_microsoft_consent_default(registry, ConsentState.undecided(registry), "n", google=google)
    assert script == (f'<script nonce="n" data-consent-microsoft="default">{code}</script>' if code else "")
