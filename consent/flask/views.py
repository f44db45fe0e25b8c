"""The blueprint: record a decision (form or fetch), the no-JavaScript preferences page, a status endpoint.

CSRF: every POST must come from the site itself. The ``Origin`` header (or, failing that, the
``Referer``) must name this host; a request with neither is refused. When flask-wtf's ``CSRFProtect``
is on the app it checks its token as well (the widget's forms carry it).
"""

from __future__ import annotations

from importlib.resources import as_file, files
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, redirect, request
from werkzeug.exceptions import BadRequest, HTTPException
from werkzeug.wrappers import Response as BaseResponse

from ..consent_mode import consent_mode_values
from ..decisions import Action, InvalidChoice, apply
from ..errors import UnknownIdError
from ..microsoft_consent import microsoft_consent_update
from ..state import Method
from ..tcf.objections import read_objections
from . import adtech
from .current import per_request
from .helpers import widget_context
from .http import (
    check_fetch_metadata,
    check_origin,
    expire_declined_cookies,
    insecure_cookie_problem,
    referring_path,
    safe_next,
    warn_insecure_cookie_once,
)
from .ledger import record_decision
from .signals import consent_changed, consent_given, consent_withdrawn
from .wording import posted_wording

FIELDS = {
    "action",
    "category",
    "vendor",
    "next",
    "layer",
    "csrf_token",
    "object_purpose",
    "object_vendor",
    "variant",
    "shown_at",
}
SINGLE_FIELDS = {"action", "next", "layer", "csrf_token", "variant", "shown_at"}
LAYERS = {"first", "second", "embed", "page"}


def create_blueprint() -> Blueprint:
    with as_file(files("consent.widget")) as widget_dir:
        bp = Blueprint(
            "consent",
            __name__,
            template_folder=str(widget_dir / "templates"),
            static_folder=str(widget_dir / "static"),
        )
    bp.add_url_rule("/", "decide", decide_view, methods=["POST"])
    bp.add_url_rule("/preferences", "preferences", preferences_view, methods=["GET"])
    bp.add_url_rule("/status", "status", status_view, methods=["GET"])
    bp.register_error_handler(HTTPException, error_response)
    return bp


def error_response(error: HTTPException) -> BaseResponse | HTTPException:
    """A script that asked for JSON gets its error as JSON too; a form gets Flask's error page."""
    if not wants_json():
        return error
    response = jsonify(error=error.name, description=error.description)
    response.status_code = error.code or 400
    response.cache_control.no_store = True
    return response


def wants_json() -> bool:
    return request.accept_mimetypes.best_match(["text/html", "application/json"]) == "application/json"


def parse_form() -> tuple[Action, list[str], list[str], str, str]:
    """The action, ticked categories and vendors, ``next`` and layer of a consent form; else 400."""
    form = request.form
    unknown = set(form) - FIELDS
    if unknown:
        raise BadRequest(f"Unexpected field {sorted(unknown)[0][:64]!r}.")
    if request.files:
        raise BadRequest("The consent form takes no files.")
    for name in SINGLE_FIELDS:
        if len(form.getlist(name)) > 1:
            raise BadRequest(f"The field {name!r} is sent more than once.")
    try:
        action = Action(form.get("action", ""))
    except ValueError:
        raise BadRequest("Unknown or missing action.") from None
    layer = form.get("layer", "page")
    if layer not in LAYERS:
        raise BadRequest("Unknown layer.")
    categories = form.getlist("category")
    vendors = form.getlist("vendor")
    objections = (
        ("object_purpose", form.getlist("object_purpose")),
        ("object_vendor", form.getlist("object_vendor")),
    )
    for kind, values in (("category", categories), ("vendor", vendors), *objections):
        if len(set(values)) != len(values):
            raise BadRequest(f"A {kind} is listed twice.")
    return action, categories, vendors, safe_next(form.get("next")), layer


def decide_view() -> BaseResponse:
    data = per_request()
    settings = data.settings
    # A larger body is refused (413) before it is parsed; Werkzeug decodes bad UTF-8 as U+FFFD, which
    # then matches no known id and is refused like any other unknown value.
    request.max_content_length = int(settings.config["CONSENT_MAX_FORM_BYTES"])
    check_origin()
    check_fetch_metadata()
    action, categories, vendors, next_url, layer = parse_form()
    variant, shown_at = posted_wording(settings)
    previous = data.get_state()
    codec = settings.codec
    try:
        object_vendors: list[str] = []
        object_purposes: list[int] = []
        if action is Action.CUSTOM and settings.adtech is not None and settings.adtech.tcf:
            object_vendors, object_purposes = read_objections(
                settings.registry,
                request.form.getlist("object_purpose"),
                request.form.getlist("object_vendor"),
            )
        state = apply(
            settings.registry,
            data.get_region(),
            previous,
            action,
            categories,
            vendors,
            lifetime=codec.lifetime,
            object_vendors=object_vendors,
            object_purposes=object_purposes,
        )
    except UnknownIdError as error:
        raise BadRequest(f"Unknown {error.kind} {error.id[:64]!r}.") from None
    except InvalidChoice as error:
        raise BadRequest(str(error)) from None
    data.set_state(state)
    problem = insecure_cookie_problem(codec.secure)
    if problem:
        warn_insecure_cookie_once(problem)

    response: BaseResponse
    if wants_json():
        dropped = previous.allowed & ~state.allowed
        body: dict[str, Any] = state.as_dict() | {"reload": bool(dropped)}
        # consent.js reports a failed save when the browser cannot keep the cookie (a Secure one on http).
        body["stored"] = problem is None
        if problem:
            body["store_problem"] = problem
        if settings.consent_mode:  # consent.js pushes gtag('consent', 'update', ...) with these
            body["consent_mode"] = consent_mode_values(settings.registry, state)
        if (
            settings.microsoft_consent
        ):  # ... and uetq.push('consent', 'update', ...), clarity('consentv2', ...)
            body["microsoft_consent"] = microsoft_consent_update(settings.registry, state).as_dict()
        body |= adtech.json_members(data)  # the __tcfapi and __gpp stubs answer listeners from these
        response = jsonify(body)
        response.cache_control.no_store = True
    else:
        response = redirect(next_url, code=303)
    response.set_cookie(codec.name, codec.encode(state), **codec.cookie_options())
    adtech.set_tc_cookie(response, data)
    record_decision(
        data, state, control=action.value, layer=layer, next_url=next_url, variant=variant, shown_at=shown_at
    )
    expire_declined_cookies(response, state, settings)

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if state.method is Method.WITHDRAW:
        consent_withdrawn.send(app, state=state, previous=previous)
    elif previous.is_decided:
        consent_changed.send(app, state=state, previous=previous)
    else:
        consent_given.send(app, state=state, previous=previous)
    return response


def preferences_view() -> Response:
    data = per_request()
    # The settings link carries no page: come back to the page that linked here, if it is this site.
    wanted = request.args.get("next")
    ctx = widget_context(
        data, next_url=safe_next(wanted) if wanted is not None else (referring_path() or "/"), panel=True
    )
    widget = data.settings.widget
    html = widget.panel(ctx) if request.args.get("fragment") == "1" else widget.preferences_page(ctx)
    response = Response(html, mimetype="text/html")
    response.cache_control.no_store = True
    return response


def status_view() -> Response:
    data = per_request()
    response = jsonify(data.get_state().as_dict() | adtech.json_members(data))
    response.cache_control.no_store = True
    return response


def gpc_json() -> Response:
    """``/.well-known/gpc.json``: this site honours Global Privacy Control."""
    body: dict[str, Any] = {"gpc": True}
    updated = per_request().settings.config["CONSENT_GPC_UPDATED"]
    if updated:
        body["lastUpdate"] = str(updated)
    response = jsonify(body)
    response.cache_control.public = True
    response.cache_control.max_age = 86400
    return response
