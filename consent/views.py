"""The blueprint: record a decision (form or fetch), the no-JavaScript preferences page, a status endpoint.

CSRF: every POST must come from the site itself. The ``Origin`` header (or, failing that, the
``Referer``) must name this host; a request with neither is refused. When flask-wtf's ``CSRFProtect``
is on the app it checks its token as well (the widget's forms carry it).
"""

from __future__ import annotations

from collections.abc import Iterable
from importlib.resources import as_file, files
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, Response, current_app, jsonify, redirect, request
from werkzeug.exceptions import BadRequest, HTTPException
from werkzeug.wrappers import Response as BaseResponse

from .consent_mode import consent_mode_values
from .ext import (
    consent_changed,
    consent_given,
    consent_withdrawn,
    current_region,
    get_consent,
    get_settings,
    read_in_region,
    record_decision,
    request_signals,
    safe_next,
    set_request_consent,
    widget_context,
)
from .regions import policy_of
from .registry import Registry
from .state import ConsentState, Decision, Method, Policy, Signal

ACTIONS = {
    "accept_all": Method.ACCEPT_ALL,
    "reject_all": Method.REJECT_ALL,
    "custom": Method.CUSTOM,
    "withdraw": Method.WITHDRAW,
    "grant": Method.EMBED,
    "opt_out": Method.OPT_OUT,
    "acknowledge": Method.ACKNOWLEDGE,
}
FIELDS = {"action", "category", "vendor", "next", "layer", "csrf_token"}
SINGLE_FIELDS = {"action", "next", "layer", "csrf_token"}
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


def check_origin() -> None:
    """Refuse a cross-site POST: the Origin (or Referer) must be this very site."""
    source = request.headers.get("Origin") or request.headers.get("Referer")
    if not source or source == "null":
        raise BadRequest("The consent form must be sent from this site (no Origin or Referer header).")
    parts = urlsplit(source)
    if f"{parts.scheme}://{parts.netloc}".lower() != request.host_url.rstrip("/").lower():
        raise BadRequest("The consent form must be sent from this site.")


def _ids(values: Iterable[str], known: set[str], kind: str) -> list[str]:
    seen: list[str] = []
    for value in values:
        if value not in known:
            raise BadRequest(f"Unknown {kind} {value[:64]!r}.")
        if value in seen:
            raise BadRequest(f"The {kind} {value!r} is listed twice.")
        seen.append(value)
    return seen


def parse_decision(registry: Registry, previous: ConsentState) -> tuple[ConsentState, str, str]:
    """The new state a valid form asks for, with the ``next`` path and the layer used; else 400."""
    form = request.form
    unknown = set(form) - FIELDS
    if unknown:
        raise BadRequest(f"Unexpected field {sorted(unknown)[0][:64]!r}.")
    if request.files:
        raise BadRequest("The consent form takes no files.")
    for name in SINGLE_FIELDS:
        if len(form.getlist(name)) > 1:
            raise BadRequest(f"The field {name!r} is sent more than once.")
    action = form.get("action", "")
    method = ACTIONS.get(action)
    if method is None:
        raise BadRequest("Unknown or missing action.")
    layer = form.get("layer", "page")
    if layer not in LAYERS:
        raise BadRequest("Unknown layer.")
    optional_categories = {c.id for c in registry.categories if not c.required}
    optional_vendors = {v.id for v in registry.optional_vendors()}
    categories = _ids(form.getlist("category"), optional_categories, "category")
    vendors = _ids(form.getlist("vendor"), optional_vendors, "vendor")
    # Every decision records the policy of the visitor's region and the privacy signals they sent.
    region = current_region()
    policy = policy_of(region)
    signals = request_signals()
    context: dict[str, Any] = {
        "lifetime": get_settings().codec.lifetime,
        "policy": policy,
        "signals": signals,
    }
    if method is Method.ACCEPT_ALL:
        state = _keep_id(ConsentState.accept_all(registry, **context), previous)
    elif method is Method.REJECT_ALL:
        state = _keep_id(ConsentState.reject_all(registry, **context), previous)
    elif method is Method.WITHDRAW:
        state = previous.withdrawn(**context)
    elif method is Method.EMBED:
        if len(vendors) != 1 or categories:
            raise BadRequest("A click-to-load grant names exactly one vendor.")
        state = previous.with_choices({vendors[0]: True}, method=method, **context)
    elif method is Method.OPT_OUT:  # one step: everything that sells or shares data stops
        sellers = {v.id: False for v in registry.optional_vendors() if v.sale_share}
        state = previous.with_choices(sellers, method=method, **context)
    elif method is Method.ACKNOWLEDGE:
        state = previous.with_choices({}, method=method, **context)
    else:
        granted = custom_grants(registry, categories, vendors)
        # A full custom save: everything shown and not ticked is declined. A purpose is on when all of
        # its vendors are.
        on = {
            c: bool(registry.vendors_in(c)) and all(v.id in granted for v in registry.vendors_in(c))
            for c in optional_categories
        }
        state = previous.with_choices(
            {v: v in granted for v in optional_vendors},
            {c: c in categories and on[c] for c in optional_categories},
            method=method,
            **context,
        )
    gpc = Signal.GPC in signals
    if gpc and policy is not Policy.OPT_IN:
        # Global Privacy Control is an opt-out of sale and sharing: a decision taken with it keeps that
        # opt-out (what the notice promised) unless the visitor opted in to a vendor explicitly, so it
        # holds on a later visit that does not send the signal.
        unasked = {
            v.id: False
            for v in registry.optional_vendors()
            if v.sale_share and state.vendor_decision(v.id) is Decision.UNASKED
        }
        if unasked:
            state = state.with_choices(unasked, method=method, **context)
    return read_in_region(state), safe_next(form.get("next")), layer


def custom_grants(registry: Registry, categories: list[str], vendors: list[str]) -> set[str]:
    """The vendors a custom save grants.

    The form works without JavaScript, where ticking a purpose does not tick its vendors: a ticked
    purpose whose vendor boxes were all left alone grants all of them; as soon as any of its vendors
    is ticked, the vendor boxes decide (so unticking one vendor is never overridden by its purpose).
    """
    ticked = set(vendors)
    granted = set(ticked)
    for category in categories:
        members = {v.id for v in registry.vendors_in(category) if not registry.is_required(v)}
        if not members & ticked:
            granted |= members
    return granted


def _keep_id(state: ConsentState, previous: ConsentState) -> ConsentState:
    from dataclasses import replace

    return replace(state, consent_id=previous.consent_id) if previous.consent_id else state


def decide_view() -> BaseResponse:
    settings = get_settings()
    # A larger body is refused (413) before it is parsed; Werkzeug decodes bad UTF-8 as U+FFFD, which
    # then matches no known id and is refused like any other unknown value.
    request.max_content_length = int(settings.config["CONSENT_MAX_FORM_BYTES"])
    check_origin()
    previous = get_consent()
    state, next_url, _layer = parse_decision(settings.registry, previous)

    set_request_consent(state)
    response: BaseResponse
    if wants_json():
        was_allowed = {v.id for v in previous.granted_vendors()}
        now_allowed = {v.id for v in state.granted_vendors()}
        body: dict[str, Any] = state.as_dict() | {"reload": bool(was_allowed - now_allowed)}
        if settings.consent_mode:  # consent.js pushes gtag('consent', 'update', ...) with these
            body["consent_mode"] = consent_mode_values(settings.registry, state)
        response = jsonify(body)
        response.cache_control.no_store = True
    else:
        response = redirect(next_url, code=303)
    response.set_cookie(settings.codec.name, settings.codec.encode(state), **settings.codec.cookie_options())
    record_decision(state, control=request.form.get("action", ""), layer=_layer, next_url=next_url)
    expire_declined_cookies(response, state)

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if state.method is Method.WITHDRAW:
        consent_withdrawn.send(app, state=state, previous=previous)
    elif previous.is_decided:
        consent_changed.send(app, state=state, previous=previous)
    else:
        consent_given.send(app, state=state, previous=previous)
    return response


def expire_declined_cookies(response: BaseResponse, state: ConsentState) -> None:
    """Delete the first-party cookies that declined vendors left on this site.

    Each cookie is expired once, and only when no vendor that may still run declares it (``_ga`` is
    declared by two Analytics properties: granting one keeps it).
    """
    declared = [(v.id, c) for v in state.registry.vendors for c in v.cookies if c.party == "first"]
    codec = get_settings().codec
    domains = cookie_domains(request.host)
    if codec.domain and codec.domain not in domains:
        domains.append(codec.domain)
    for name in request.cookies:
        if name == codec.name:
            continue
        owners = {vendor_id for vendor_id, cookie in declared if cookie.matches(name)}
        if owners and not any(state.allows(vendor_id) for vendor_id in owners):
            # A browser deletes a cookie only with the domain it was set for, which the request does
            # not tell: expire it host-only and on each parent domain (analytics tags use the widest).
            response.delete_cookie(name, path="/")
            for domain in domains:
                response.delete_cookie(name, path="/", domain=domain)


def cookie_domains(host: str) -> list[str]:
    """The domains a first-party cookie of ``host`` may have been set for: itself and its parents."""
    name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
    labels = name.lower().split(".")
    if len(labels) < 2 or name.startswith("[") or all(label.isdigit() for label in labels):
        return []  # localhost, or an IP address: cookies there are host-only
    return [".".join(labels[i:]) for i in range(len(labels) - 1)]


def preferences_view() -> Response | str:
    ctx = widget_context(next_url=request.args.get("next", "/"))
    widget = get_settings().widget
    html = widget.panel(ctx) if request.args.get("fragment") == "1" else widget.preferences_page(ctx)
    response = Response(html, mimetype="text/html")
    response.cache_control.no_store = True
    return response


def status_view() -> Response:
    response = jsonify(get_consent().as_dict())
    response.cache_control.no_store = True
    return response
