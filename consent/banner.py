"""Rendering the consent banner, the preferences panel, click-to-load placeholders and the settings link.

Framework-free: give it a Jinja environment whose loader can find ``consent/...`` templates (the site's
own first, so any file can be overridden; :func:`make_environment` builds one), the registry, and per
request a :class:`WidgetContext`. The Flask extension passes Flask's own environment.

What depends on nothing but the registry and the language (the dialog frame, a placeholder's text, the
settings link) is rendered once per language by pure, memoised functions; what depends on the visitor
(the first layer, the panel) is rendered per request.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from jinja2 import BaseLoader, ChoiceLoader, Environment, PackageLoader, select_autoescape
from markupsafe import Markup, escape

from .i18n import text_direction, translations
from .lifetimes import describe_lifetime
from .own_cookie import PURPOSE as OWN_COOKIE_PURPOSE
from .registry import Cookie, Registry
from .state import ConsentState, Policy

POSITIONS = ("bar", "modal", "corner")
THEMES = ("auto", "light", "dark")
#: What a visitor who must be asked sees first, by the policy of their region.
FIRST_LAYERS = {
    Policy.OPT_IN: "consent/banner.html",  # Accept all / Reject all / Customize
    Policy.OPT_OUT: "consent/optout_notice.html",  # a notice and a one-step opt-out of sale and sharing
    Policy.NOTICE: "consent/notice.html",  # a notice, with the preferences one click away
}
#: The id of the one form every click-to-load button belongs to (``<button form=...>``): placeholders
#: sit wherever the site puts them, inside its own forms too, so they never contain a form themselves.
GRANT_FORM_ID = "consent-grant-form"


def make_environment(site_loader: BaseLoader | None = None) -> Environment:
    """A Jinja environment that finds the site's templates first and the package's last."""
    package = PackageLoader("consent.widget", "templates")
    loader = ChoiceLoader([site_loader, package]) if site_loader else package
    return Environment(loader=loader, autoescape=select_autoescape(default=True, default_for_string=True))


@dataclass(frozen=True)
class WidgetContext:
    """Everything the per-visitor templates need about one visitor and one page."""

    registry: Registry
    state: ConsentState
    locale: str
    action_url: str
    preferences_url: str
    stylesheet_url: str = ""
    policy_url: str | None = None
    next: str = "/"
    csrf_field: Markup = field(default_factory=Markup)
    position: str = "bar"
    floating: bool = False
    gpc: bool = False  # the request carries a Global Privacy Control signal
    theme: str = "auto"
    #: The consent cookie's own declaration (:mod:`consent.own_cookie`), listed as strictly necessary.
    consent_cookie: Cookie | None = None
    #: The TCF part of the second layer (``consent.tcf.panel.TcfPanel``); ``None`` when the TCF is off.
    tcf: Any = None
    #: A wording test's variant of the first layer (``consent.insights.variants``): its id, its title and
    #: statement in the visitor's locale (``None``: the widget's and the registry's own wording), and when
    #: the first layer was rendered (ISO time, posted back so the ledger can time the decision).
    variant: str | None = None
    variant_title: str | None = None
    variant_statement: str | None = None
    shown_at: str | None = None

    @property
    def policy(self) -> Policy:
        """The policy of the visitor's region now."""
        return self.state.current_policy or self.state.policy


class Widget:
    """Renders the widget's templates for one registry."""

    def __init__(self, env: Environment, registry: Registry, *, policy_url: str | None = None) -> None:
        self.env = env
        self.registry = registry
        self.policy_url = policy_url or registry.privacy_policy_url
        # Pure functions of (language, ids): bounded, since languages and vendors are the registry's own.
        self.dialog = lru_cache(maxsize=64)(self._dialog)
        self.placeholder_body = lru_cache(maxsize=4096)(self._placeholder_body)
        self.settings_link = lru_cache(maxsize=256)(self._settings_link)
        self._placeholder = lru_cache(maxsize=4096)(self._whole_placeholder)
        self._embed_placeholder_parts = lru_cache(maxsize=4096)(self._placeholder_parts)

    # -- what every visitor in one language shares --------------------------------------------------

    def _common(self, locale: str) -> dict[str, Any]:
        catalog = translations(locale)
        registry = self.registry.localized(locale)

        def gettext(message: str, **kwargs: Any) -> str:
            text = catalog.gettext(message)
            return text % kwargs if kwargs else text

        return {
            "registry": registry,
            "categories": registry.ordered_categories(),
            "locale": locale,
            "dir": text_direction(locale),
            "_": gettext,
            "gettext": gettext,
            "ngettext": catalog.ngettext,
            "lifetime": lambda cookie: describe_lifetime(cookie.lifetime, catalog.ngettext, catalog.gettext),
            "policy_url": self.policy_url,
        }

    def _dialog(self, locale: str) -> Markup:
        """The empty dialog the script fills with the panel."""
        return Markup(self.env.get_template("consent/dialog.html").render(self._common(locale)))

    def _placeholder_body(self, locale: str, vendor_id: str) -> Markup:
        """A click-to-load placeholder's content: what loading it means, and the button that grants it."""
        values = self._common(locale)
        vendor = values["registry"].vendor(vendor_id)
        values |= {
            "vendor": vendor,
            "category": values["registry"].category(vendor.category),
            "grant_form": GRANT_FORM_ID,
        }
        return Markup(self.env.get_template("consent/placeholder.html").render(values))

    def _settings_link(self, locale: str, policy: Policy, preferences_url: str, floating: bool) -> Markup:
        """The persistent "Cookie settings" (or "Your Privacy Choices") link."""
        values = self._common(locale) | {
            "policy": policy.value,
            "preferences_url": preferences_url,
            "floating": floating,
        }
        return Markup(self.env.get_template("consent/settings_link.html").render(values))

    # -- per visitor ----------------------------------------------------------------------------------

    def _variables(self, ctx: WidgetContext, template: str) -> dict[str, Any]:
        state = ctx.state if ctx.state.registry is self.registry else ctx.state.rebind(self.registry)
        values = self._common(ctx.locale)
        registry = values["registry"]
        # Only the banner and the panel mark what is new; working it out costs a pass over every vendor.
        news = template in (*FIRST_LAYERS.values(), "consent/panel.html", "consent/preferences.html")
        new_vendors = tuple(registry.vendor(v.id) for v in state.new_vendors()) if news else ()
        return values | {
            "state": state,
            "action_url": ctx.action_url,
            "preferences_url": ctx.preferences_url,
            "stylesheet_url": ctx.stylesheet_url,
            "policy_url": ctx.policy_url or self.policy_url,
            "next": ctx.next,
            "csrf_field": ctx.csrf_field,
            "position": ctx.position if ctx.position in POSITIONS else "bar",
            "theme": ctx.theme if ctx.theme in THEMES else "auto",
            "floating": ctx.floating,
            "new_vendors": new_vendors,
            "new_vendor_ids": frozenset(v.id for v in new_vendors),
            "gpc": ctx.gpc,
            "consent_cookie": ctx.consent_cookie,
            "own_cookie_purpose": OWN_COOKIE_PURPOSE,  # translated in the template when it is ours
            "policy": ctx.policy.value,
            "variant": ctx.variant,
            "variant_title": ctx.variant_title,
            "variant_statement": ctx.variant_statement,
            "shown_at": ctx.shown_at,
            "tcf": ctx.tcf,
        }

    def render(self, template: str, ctx: WidgetContext, **extra: Any) -> Markup:
        return Markup(self.env.get_template(template).render(self._variables(ctx, template) | extra))

    def first_layer(self, ctx: WidgetContext) -> Markup:
        """The first layer of the visitor's region when they must be asked, else nothing."""
        if not ctx.state.needs_prompt(self.registry):
            return Markup("")
        return self.render(FIRST_LAYERS[ctx.policy], ctx)

    def banner(self, ctx: WidgetContext) -> Markup:
        """The first layer (when the visitor must be asked), the dialog, and the click-to-load form."""
        return self.first_layer(ctx) + self.dialog(ctx.locale) + grant_form(ctx)

    def panel(self, ctx: WidgetContext) -> Markup:
        return self.render("consent/panel.html", ctx)

    def preferences_page(self, ctx: WidgetContext) -> Markup:
        return self.render("consent/preferences.html", ctx)

    def placeholder(self, locale: str, vendor_id: str, slot: str | None = None) -> Markup:
        """A click-to-load placeholder that grants just this vendor, in the slot its content will take."""
        if slot is None:
            return self._placeholder(locale, vendor_id)
        return embed_slot_markup(slot, vendor_id, self.placeholder_body(locale, vendor_id))

    def _whole_placeholder(self, locale: str, vendor_id: str) -> Markup:
        return embed_slot_markup(
            f"placeholder-{vendor_id}", vendor_id, self.placeholder_body(locale, vendor_id)
        )

    def embed_placeholder(self, locale: str, vendor_id: str, digest: str) -> Markup:
        """The placeholder of an embed in its slot (``digest``: the embed's, see ``gate.embed_digest``)."""
        before, after = self._embed_placeholder_parts(locale, vendor_id)
        return Markup(before + digest + after)

    def _placeholder_parts(self, locale: str, vendor_id: str) -> tuple[str, str]:
        before, after = embed_parts(vendor_id)  # plain strings: adding Markup to them would escape them
        return before, after + str(self.placeholder_body(locale, vendor_id)) + "</div>"


def grant_form(ctx: WidgetContext) -> Markup:
    """The one form every click-to-load button posts (hidden: its buttons live in the placeholders)."""
    return grant_form_markup(ctx.action_url, ctx.next, ctx.csrf_field)


def grant_form_markup(action_url: str, next_url: str, csrf_field: Markup) -> Markup:
    opening = _grant_form_opening(action_url)
    return Markup(
        f'{opening}{csrf_field}<input type="hidden" name="next" value="{escape(next_url)}">{_GRANT_FORM_END}'
    )


@lru_cache(maxsize=16)
def _grant_form_opening(action_url: str) -> str:
    # One action URL per script root: the opening tag is escaped once.
    return (
        f'<form id="{GRANT_FORM_ID}" class="consent-grant-form" method="post" action="{escape(action_url)}" '
        "hidden data-consent-form>"
    )


_GRANT_FORM_END = (
    '<input type="hidden" name="layer" value="embed"><input type="hidden" name="action" value="grant"></form>'
)


def embed_slot_markup(slot: str, vendor_id: str, inner: Markup) -> Markup:
    """``inner`` in the slot ``slot`` of one of ``vendor_id``'s embeds or placeholders."""
    return Markup(_SLOT_OPEN + str(escape(slot)) + _slot_vendor(vendor_id) + str(inner) + "</div>")


#: A slot's element, the one spelling of it (the script swaps its content by these two attributes):
#: ``_SLOT_OPEN``, the escaped slot id, then :func:`_slot_vendor`.
_SLOT_OPEN = '<div class="consent-embed" data-consent-slot="'


def _slot_vendor(vendor_id: str) -> str:
    return f'" data-consent-vendor="{escape(vendor_id)}">'


@lru_cache(maxsize=4096)
def embed_parts(vendor_id: str) -> tuple[str, str]:
    """The slot of one of ``vendor_id``'s embeds, split where the embed's digest goes (the slot id is
    ``embed-<vendor id>-<digest>``, see ``gate.embed_slot``)."""
    return f"{_SLOT_OPEN}embed-{escape(vendor_id)}-", _slot_vendor(vendor_id)


def embed_frame(vendor_id: str, digest: str, iframe: Markup) -> Markup:
    """An allowed embed's iframe in its slot."""
    before, after = embed_parts(vendor_id)
    return Markup(before + digest + after + str(iframe) + "</div>")
