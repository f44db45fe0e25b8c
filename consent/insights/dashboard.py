"""The insights dashboard: a Flask blueprint the site mounts behind its own access check.

``create_insights_blueprint(access)`` refuses to build a blueprint without an ``access`` callable: the
page shows a site's consent rates, which are business data. ``access()`` runs before every request
(inside the request context, so it can read ``flask_login.current_user`` or ``request``); ``False``
answers 403. The page is server-rendered HTML with inline SVG charts and a GET form, so it works
without JavaScript; responses are ``no-store`` and ``noindex``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from flask import Blueprint, Response, abort, current_app, request

from .errors import InsightsError
from .page import render_report
from .rates import DIMENSIONS, current_report
from .schema import open_engine


def create_insights_blueprint(
    access: Callable[[], bool],
    *,
    url: str | None = None,
    name: str = "consent_insights",
    title: str = "Consent insights",
) -> Blueprint:
    """A blueprint with one page, ``/`` (mount it with ``url_prefix``), guarded by ``access``.

    ``url`` is the ledger's database (default: ``CONSENT_LEDGER_URL`` of the app).
    """
    if access is None or not callable(access):
        raise InsightsError(
            "the insights dashboard needs an access check: create_insights_blueprint(access=lambda: ...) "
            "returning True only for people allowed to see the site's consent rates"
        )
    blueprint = Blueprint(name, __name__)

    @blueprint.before_request
    def _check_access() -> None:
        if access() is not True:
            abort(403)

    def database() -> str:
        where = url or current_app.config.get("CONSENT_LEDGER_URL")
        if not where:
            raise InsightsError("the insights dashboard has no database: set CONSENT_LEDGER_URL or pass url=")
        return str(where)

    def day(field: str) -> date | None:
        value = request.args.get(field, "")
        if not value:
            return None
        try:
            return date.fromisoformat(value)
        except ValueError:
            abort(400, f"{field} is not a date (YYYY-MM-DD)")

    @blueprint.get("/")
    def dashboard() -> Response:
        by = request.args.get("by", "day")
        if by not in DIMENSIONS:
            abort(400, f"by is one of {', '.join(DIMENSIONS)}")
        since, until = day("since"), day("until")
        # A page for a few people now and then: an engine per view, closed after it, holds nothing open.
        engine = open_engine(database(), timeout=10.0)
        try:
            report = current_report(engine, since=since, until=until, by=by)
        finally:
            engine.dispose()
        html = render_report(report, title=title, form_action=request.path)
        response = Response(str(html), mimetype="text/html")
        response.cache_control.no_store = True
        response.headers["X-Robots-Tag"] = "noindex"
        return response

    return blueprint


__all__ = ["create_insights_blueprint"]
