"""Fair wording tests in the running site: the variant a visitor sees, what the form posts back, what the
ledger keeps, and the insights' per-variant rates from real decisions."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_helpers import ORIGIN, PAGE, example_app, find, html_of
from sqlalchemy import Engine

from consent.insights import current_report
from consent.insights.errors import VariantError

pytestmark = pytest.mark.slow
pytest_plugins = ["ledger_fixtures", "insights_fixtures"]

VARIANTS = Path(__file__).resolve().parents[1] / "examples" / "reviews" / "variants.toml"
TEXTS = {
    "plain": "You can accept or reject all optional cookies, or choose purpose by purpose.",
    "short": "Accept or reject optional cookies: both are one click.",
}


OPEN: list[Flask] = []


@pytest.fixture(autouse=True)
def close_apps() -> Iterator[None]:
    yield
    while OPEN:
        OPEN.pop().extensions["consent"].close()


def app_for(url: str, tmp_path: Path, **config: Any) -> Flask:
    app = example_app(
        CONSENT_LEDGER_URL=url,
        CONSENT_LEDGER_SPOOL=str(tmp_path / "spool"),
        CONSENT_VARIANTS=VARIANTS,
        **config,
    )
    OPEN.append(app)
    return app


def ledger_of(app: Flask) -> Any:
    with app.app_context():
        return app.extensions["consent"].ledger


def first_layer(client: FlaskClient) -> tuple[str, dict[str, str]]:
    """The banner's statement and the hidden fields its form posts."""
    html = html_of(client.get(PAGE))
    (banner,) = find(html, "section", id="consent-banner")
    (form,) = find(banner.outer_html, "form")
    fields = {
        e.attrs["name"]: e.attrs.get("value", "") for e in find(form.outer_html, "input", type="hidden")
    }
    (statement,) = list(find(banner.outer_html, "p", class_="consent-text"))[:1]
    return statement.inner_text, fields


def test_the_banner_shows_a_variant_and_posts_it_back(insights_url: str, tmp_path: Path) -> None:
    client = app_for(insights_url, tmp_path).test_client()
    seen = set()
    for _ in range(40):  # a first visitor's variant is drawn per page view
        statement, fields = first_layer(client)
        variant = fields["variant"]
        assert variant in {"control", "plain", "short"}
        if variant in TEXTS:
            assert statement.startswith(TEXTS[variant])
        else:
            assert "HubPages uses cookies" in statement  # the registry's own statement
        shown_at = datetime.fromisoformat(fields["shown_at"].replace("Z", "+00:00"))
        assert abs(datetime.now(UTC) - shown_at) < timedelta(minutes=1)
        seen.add(variant)
    assert seen == {"control", "plain", "short"}


def test_the_ledger_keeps_the_variant_its_texts_the_region_and_when_it_was_shown(
    insights_url: str, tmp_path: Path
) -> None:
    app = app_for(insights_url, tmp_path)
    client = app.test_client()
    while True:
        _statement, fields = first_layer(client)
        if fields["variant"] == "plain":
            break
    response = client.post("/consent/", data={**fields, "action": "reject_all"}, headers=ORIGIN)
    assert response.status_code == 303
    ledger = ledger_of(app)
    assert ledger is not None
    (record,) = list(ledger.export())
    assert record.variant == "plain"
    assert record.region is None  # the example trusts no region header by default: unknown
    assert record.shown_at is not None and record.shown_at <= record.recorded_at
    notice = ledger.notice(record.notice)
    assert notice is not None
    assert notice["extra"]["variant"] == "plain"
    assert notice["extra"]["statement"].startswith(TEXTS["plain"])
    ledger.close()


@pytest.mark.parametrize(
    ("fields", "status"),
    [
        ({"variant": "loud"}, 400),
        ({"shown_at": "yesterday"}, 400),
        ({"shown_at": "2026-12-01T10:00:00"}, 400),  # no time zone
    ],
)
def test_a_bad_wording_field_is_refused(
    insights_url: str, tmp_path: Path, fields: dict[str, str], status: int
) -> None:
    app = app_for(insights_url, tmp_path)
    response = app.test_client().post("/consent/", data={"action": "accept_all", **fields}, headers=ORIGIN)
    assert response.status_code == status
    ledger = ledger_of(app)
    assert ledger is None or list(ledger.export()) == []


def test_a_stale_first_layer_is_recorded_but_not_timed(insights_url: str, tmp_path: Path) -> None:
    app = app_for(insights_url, tmp_path)
    old = (datetime.now(UTC) - timedelta(days=3)).isoformat()
    response = app.test_client().post(
        "/consent/", data={"action": "accept_all", "variant": "short", "shown_at": old}, headers=ORIGIN
    )
    assert response.status_code == 303
    (record,) = list(ledger_of(app).export())
    assert (record.variant, record.shown_at) == ("short", None)


def test_without_a_wording_test_the_first_layer_is_still_timed(insights_url: str, tmp_path: Path) -> None:
    app = example_app(CONSENT_LEDGER_URL=insights_url, CONSENT_LEDGER_SPOOL=str(tmp_path / "spool"))
    OPEN.append(app)
    client = app.test_client()
    _statement, fields = first_layer(client)
    assert "variant" not in fields and "shown_at" in fields
    assert (
        client.post(
            "/consent/", data={"action": "accept_all", "variant": "plain"}, headers=ORIGIN
        ).status_code
        == 400
    )


def test_a_broken_variants_file_fails_at_start_up(tmp_path: Path) -> None:
    broken = tmp_path / "variants.toml"
    broken.write_text('id = "x"\n[[variants]]\nid = "control"\nbutton_colour = "green"\n', encoding="utf-8")
    with pytest.raises(VariantError):
        example_app(CONSENT_VARIANTS=broken)


def test_the_insights_report_each_variants_rates_from_real_decisions(
    insights_url: str, insights_engine: Engine, tmp_path: Path
) -> None:
    app = app_for(insights_url, tmp_path)
    answers = {"control": "accept_all", "plain": "reject_all", "short": "accept_all"}
    done: set[str] = set()
    while done != set(answers):
        client = app.test_client()
        _, fields = first_layer(client)
        variant = fields["variant"]
        if variant in done:
            continue
        client.post("/consent/", data={**fields, "action": answers[variant]}, headers=ORIGIN)
        done.add(variant)
    app.extensions["consent"].ledger.flush(timeout=10) if hasattr(
        app.extensions["consent"].ledger, "flush"
    ) else None
    report = current_report(insights_engine, by="variant")
    rows = json.loads(json.dumps({k: (v.accept_all, v.reject_all) for k, v in report.rows.items()}))
    assert rows["plain"] == [0, 1] and rows["control"] == [1, 0] and rows["short"] == [1, 0]
