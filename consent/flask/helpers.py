"""The Jinja helpers a page template calls, and the ``consent`` object templates ask."""

from __future__ import annotations

from collections.abc import Callable, Collection
from functools import wraps
from typing import Any, ParamSpec, TypeVar

from flask import abort
from markupsafe import Markup, escape

from ..banner import WidgetContext, embed_frame, grant_form, grant_form_markup
from ..consent_mode import consent_mode_default
from ..errors import UnknownIdError
from ..gate import embed_digest, find_embed, render_iframe, render_scripts
from ..microsoft_consent import render_microsoft_consent_default
from ..state import ConsentState
from ..tcf.panel import TcfPanel, tcf_panel
from . import adtech
from .adtech_settings import gdpr_applies
from .current import RequestConsent, get_consent, per_request
from .http import current_path, new_nonce, quote_next
from .wording import first_layer_wording, now_text


def nonce_for(data: RequestConsent) -> str:
    if data.nonce is None:
        data.nonce = new_nonce()
    return data.nonce


def nonce_if_csp(data: RequestConsent) -> str | None:
    return nonce_for(data) if data.settings.config["CONSENT_CSP"] else None


def csrf_field(data: RequestConsent | None = None) -> Markup:
    # With flask-wtf's CSRFProtect on the app, its token rides along; the view also checks Origin.
    extensions = (data or per_request()).settings.app_extensions
    if "csrf" not in extensions:
        return Markup("")
    from flask_wtf.csrf import generate_csrf  # type: ignore[import-untyped, import-not-found, unused-ignore]

    return Markup(f'<input type="hidden" name="csrf_token" value="{escape(generate_csrf())}">')


def widget_context(
    data: RequestConsent,
    state: ConsentState | None = None,
    next_url: str | None = None,
    *,
    panel: bool = False,
) -> WidgetContext:
    """What the per-visitor widget templates need for this request (``panel``: for the second layer,
    which also lists the TCF's purposes when the TCF is on)."""
    settings = data.settings
    config = settings.config
    urls = data.get_urls()
    target = next_url if next_url is not None else current_path(data.request)
    state = state or data.get_state()
    locale = data.get_locale()
    variant, title, statement = first_layer_wording(settings, state, locale)
    return WidgetContext(
        registry=settings.registry,
        state=state,
        locale=locale,
        action_url=urls.action,
        preferences_url=f"{urls.preferences}?next={quote_next(target)}",
        stylesheet_url=urls.stylesheet,
        policy_url=config["CONSENT_POLICY_URL"],
        next=target,
        csrf_field=csrf_field(data),
        position=config["CONSENT_POSITION"],
        floating=bool(config["CONSENT_FLOATING_BUTTON"]),
        gpc=data.get_region().gpc,
        theme=config["CONSENT_THEME"],
        consent_cookie=settings.consent_cookie,
        tcf=tcf_panel_for(data, state) if panel else None,
        variant=variant,
        variant_title=title,
        variant_statement=statement,
        shown_at=now_text(),
    )


def tcf_panel_for(data: RequestConsent, state: ConsentState | None = None) -> TcfPanel | None:
    """The TCF part of the second layer, when the TCF is on with a GVL and the GDPR applies."""
    settings = data.settings.adtech
    if settings is None or not gdpr_applies(settings, data.get_region_code()):
        return None
    gvl = settings.gvl_for(data.get_locale())
    if gvl is None:
        return None
    return tcf_panel(data.settings.registry, gvl, state or data.get_state())


# -- Jinja helpers ----------------------------------------------------------------------------------


def consent_head() -> Markup:
    """For ``<head>``: the widget's stylesheet and, where the registry needs them, the consent defaults
    of Google Consent Mode and of Microsoft UET and Clarity, then the IAB ``__tcfapi`` and ``__gpp``
    stubs when the TCF or GPP is on.

    The defaults come from the visitor's stored choices, so a returning visitor never starts as denied;
    put this before any Google, Microsoft or ad tag.
    """
    data = per_request()
    settings = data.settings
    registry = settings.registry
    parts = [data.get_urls().stylesheet_link]
    nonce = nonce_if_csp(data)
    if settings.consent_mode:
        wait = settings.config["CONSENT_CONSENT_MODE_WAIT"]
        parts.append(consent_mode_default(registry, data.get_consent_mode(), nonce, wait))
    if settings.microsoft_consent:
        parts.append(
            render_microsoft_consent_default(
                registry, data.get_state(), nonce, google=data.get_consent_mode_values()
            )
        )
    if settings.adtech is not None:  # the IAB CMP API stubs: before any ad tag
        parts.append(adtech.head_stubs(data, nonce))
    return Markup("".join(parts))


def consent_scripts(placement: str = "body", only: Collection[str] | None = None) -> Markup:
    """The scripts and pixels of approved vendors only, each script with the CSP nonce.

    Scripts limited to some pages (``paths`` in the registry) come only on a page whose path matches;
    ``only=["stripe"]`` renders just those vendors' tags (for a template that loads one where it needs it).
    """
    data = per_request()
    return render_scripts(data.get_gate(), placement, nonce_if_csp(data), path=data.request.path, only=only)


def consent_banner() -> Markup:
    """The first layer when the visitor must be asked, the preferences dialog, the click-to-load form
    and the widget script."""
    data = per_request()
    data.shows_controls = True
    settings = data.settings
    urls = data.get_urls()
    nonce = nonce_if_csp(data)
    plain, before_nonce, after_nonce = urls.script_tag
    script = plain if nonce is None else before_nonce + nonce + after_nonce
    state = data.get_state()
    widget = settings.widget
    if adtech.first_layer_due(data):
        ctx = widget_context(data, state)
        impressions = settings.impressions
        if impressions is not None:  # aggregate counters: no id, no cookie, nothing per person
            impressions.record(
                data.get_region().id,
                ctx.locale,
                data.request.endpoint or "",
                ctx.variant,
                not state.is_decided,
            )
        return Markup(
            "".join((adtech.first_layer(data, ctx), widget.dialog(ctx.locale), grant_form(ctx), script))
        )
    # The common case: a decided visitor gets the dialog frame and the click-to-load form only.
    grant = grant_form_markup(urls.action, current_path(data.request), csrf_field(data))
    return Markup("".join((widget.dialog(data.get_locale()), grant, script)))


def consent_settings_link(floating: bool | None = None) -> Markup:
    """The persistent "Cookie settings" link that reopens the preferences (and returns to this page)."""
    data = per_request()
    settings = data.settings
    state = data.get_state()
    show_floating = bool(settings.config["CONSENT_FLOATING_BUTTON"]) if floating is None else floating
    return settings.widget.settings_link(
        data.get_locale(), state.current_policy or state.policy, data.get_urls().preferences, show_floating
    )


def consent_embed(
    vendor_id: str, name: str | None = None, title: str | None = None, **params: object
) -> Markup:
    """The vendor's iframe when approved, else a click-to-load placeholder that grants just it."""
    data = per_request()
    settings = data.settings
    registry = settings.registry
    embed = find_embed(registry, vendor_id, name)
    digest = embed_digest(vendor_id, embed, params)
    if data.get_gate().allows(vendor_id):
        return embed_frame(vendor_id, digest, render_iframe(registry, vendor_id, embed, params, title))
    return settings.widget.embed_placeholder(data.get_locale(), vendor_id, digest)


def consent_placeholder(vendor_id: str) -> Markup:
    """A click-to-load placeholder for a script-based vendor (login button, captcha...), until allowed."""
    data = per_request()
    if data.get_gate().allows(vendor_id):
        return Markup("")
    if data.settings.registry.get_vendor(vendor_id) is None:
        raise UnknownIdError("vendor", vendor_id)
    return data.settings.widget.placeholder(data.get_locale(), vendor_id)


def consent_tcf_params() -> dict[str, str]:
    """``gdpr``, ``gdpr_consent`` (and ``addtl_consent``) for server-side ad calls and embeds, e.g.
    ``url ~ "?" ~ consent_tcf_params()|urlencode``; empty when the TCF is off."""
    return adtech.url_params(per_request(), "tcf")


def consent_gpp_params() -> dict[str, str]:
    """``gpp`` and ``gpp_sid`` for server-side ad calls, pixels and embeds; empty when GPP is off."""
    return adtech.url_params(per_request(), "gpp")


def consent_nonce() -> str:
    """This response's CSP nonce (use it on the site's own inline scripts when ``CONSENT_CSP`` is on)."""
    return nonce_for(per_request())


class TemplateConsent:
    """``consent`` in templates: the current visitor's state, answered from the request's gate."""

    __slots__ = ()

    def allows(self, vendor_id: str) -> bool:
        return per_request().get_gate().allows(vendor_id)

    def allows_category(self, category_id: str) -> bool:
        return get_consent().allows_category(category_id)

    def __getattr__(self, name: str) -> Any:
        return getattr(get_consent(), name)


JINJA_GLOBALS: dict[str, object] = {
    "consent": TemplateConsent(),
    "consent_head": consent_head,
    "consent_scripts": consent_scripts,
    "consent_banner": consent_banner,
    "consent_settings_link": consent_settings_link,
    "consent_embed": consent_embed,
    "consent_placeholder": consent_placeholder,
    "consent_nonce": consent_nonce,
    "consent_tcf_params": consent_tcf_params,
    "consent_gpp_params": consent_gpp_params,
}


# -- decorators -------------------------------------------------------------------------------------

P = ParamSpec("P")
R = TypeVar("R")


def consent_required(vendor_or_category: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Refuse a view (403) unless the visitor allowed this vendor or category."""

    def decorator(view: Callable[P, R]) -> Callable[P, R]:
        @wraps(view)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            data = per_request()
            registry = data.settings.registry
            state = data.get_state()
            if registry.get_vendor(vendor_or_category) is not None:
                allowed = state.allows(vendor_or_category)
            elif registry.get_category(vendor_or_category) is not None:
                allowed = state.allows_category(vendor_or_category)
            else:
                raise UnknownIdError("vendor or category", vendor_or_category)
            if not allowed:
                abort(403, description=f"This page needs your consent to {vendor_or_category!r}.")
            return view(*args, **kwargs)

        return wrapper

    return decorator
