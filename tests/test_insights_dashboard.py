"""The dashboard blueprint: refuses to exist without an access check, guards every request, no JS needed."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from insights_helpers import fill
from sqlalchemy import Engine

from consent.errors import ConsentError
from consent.insights.dashboard import create_insights_blueprint

pytest_plugins = ["ledger_fixtures", "insights_fixtures"]


def dashboard_app(url: str, access: Callable[[], bool]) -> Flask:
    app = Flask(__name__)
    app.config.update(TESTING=True, CONSENT_LEDGER_URL=url)
    app.register_blueprint(create_insights_blueprint(access), url_prefix="/admin/consent")
    return app


@pytest.mark.parametrize("access", [None, "yes", True])
def test_refuses_to_be_created_without_an_access_check(access: object) -> None:
    with pytest.raises(ConsentError, match="needs an access check"):
        create_insights_blueprint(access)  # type: ignore[arg-type]


def test_a_missing_access_argument_is_a_type_error() -> None:
    with pytest.raises(TypeError):
        create_insights_blueprint()  # type: ignore[call-arg]


@pytest.mark.parametrize("answer", [False, None, 1, "yes"])
def test_anything_but_true_is_refused(insights_url: str, answer: object) -> None:
    client = dashboard_app(insights_url, lambda: answer).test_client()  # type: ignore[arg-type, return-value]
    assert client.get("/admin/consent/").status_code == 403


def test_the_access_check_runs_on_every_request(insights_engine: Engine, insights_url: str) -> None:
    calls: list[bool] = []
    allowed = [True]

    def access() -> bool:
        calls.append(allowed[0])
        return allowed[0]

    client = dashboard_app(insights_url, access).test_client()
    assert client.get("/admin/consent/").status_code == 200
    allowed[0] = False
    assert client.get("/admin/consent/").status_code == 403
    assert calls == [True, False]


def test_the_page_is_server_rendered_without_script(insights_engine: Engine, insights_url: str) -> None:
    fill(insights_engine)
    response = dashboard_app(insights_url, lambda: True).test_client().get("/admin/consent/?by=region")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Robots-Tag"] == "noindex"
    assert "<script" not in html
    assert html.count("<svg") == 3 and html.count("<desc") == 3
    assert '<form method="get" action="/admin/consent/"' in html
    assert '<option value="region" selected>' in html
    assert "Rates by region" in html and ">uk<" in html


def test_the_period_filters_the_page(insights_engine: Engine, insights_url: str) -> None:
    fill(insights_engine)
    client = dashboard_app(insights_url, lambda: True).test_client()
    html = client.get("/admin/consent/?since=2026-05-05&until=2026-05-05").get_data(as_text=True)
    assert "From 2026-05-05 to 2026-05-05" in html
    assert ">2026-05-04<" not in html


@pytest.mark.parametrize("query", ["since=soon", "until=2026-13-01", "by=path"])
def test_bad_parameters_get_400(insights_url: str, query: str) -> None:
    client = dashboard_app(insights_url, lambda: True).test_client()
    assert client.get(f"/admin/consent/?{query}").status_code == 400


def test_without_a_database_url_it_says_so() -> None:
    app = Flask(__name__)
    app.testing = True  # let the error through instead of a 500 page
    app.register_blueprint(create_insights_blueprint(lambda: True), url_prefix="/insights")
    with pytest.raises(ConsentError, match="no database"):
        app.test_client().get("/insights/")
