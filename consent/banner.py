"""Rendering the consent banner, the preferences panel, click-to-load placeholders and the settings link.

Framework-free: give it a Jinja environment whose loader can find ``consent/...`` templates (the site's
own first, so any file can be overridden; :func:`make_environment` builds one) and a
:class:`WidgetContext`. The Flask extension passes Flask's own environment.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field, replace
from typing import Any

from jinja2 import BaseLoader, ChoiceLoader, Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from .gate import embed_slot, render_iframe
from .i18n import text_direction, translations
from .registry import Cookie, Embed, Registry
from .state import ConsentState, Policy

POSITIONS = ("bar", "modal", "corner")
#: What a visitor who must be asked sees first, by the policy of their region.
FIRST_LAYERS = {
    Policy.OPT_IN: "consent/banner.html",  # Accept all / Reject all / Customize
    Policy.OPT_OUT: "consent/optout_notice.html",  # a notice and a one-step opt-out of sale and sharing
    Policy.NOTICE: "consent/notice.html",  # a notice, with the preferences one click away
}


def make_environment(site_loader: BaseLoader | None = None) -> Environment:
    """A Jinja environment that finds the site's templates first and the package's last."""
    package = PackageLoader("consent.widget", "templates")
    loader = ChoiceLoader([site_loader, package]) if site_loader else package
    return Environment(loader=loader, autoescape=select_autoescape(default=True, default_for_string=True))


@dataclass(frozen=True)
class WidgetContext:
    """Everything the widget templates need about one visitor and one page."""

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

    @property
    def policy(self) -> Policy:
        """The policy of the visitor's region now."""
        return self.state.current_policy or self.state.policy

    def with_state(self, state: ConsentState) -> WidgetContext:
        return replace(self, state=state)


def describe_lifetime(
    cookie: Cookie, ngettext: Callable[[str, str, int], str], gettext: Callable[[str], str]
) -> str:
    seconds = cookie.lifetime_seconds
    if cookie.lifetime is None:
        return gettext("not stated")
    if seconds is None:
        return gettext("session")
    units: tuple[tuple[int, Callable[[int], str]], ...] = (
        (365 * 86400, lambda n: ngettext("%(num)d year", "%(num)d years", n)),
        (30 * 86400, lambda n: ngettext("%(num)d month", "%(num)d months", n)),
        (86400, lambda n: ngettext("%(num)d day", "%(num)d days", n)),
        (3600, lambda n: ngettext("%(num)d hour", "%(num)d hours", n)),
        (60, lambda n: ngettext("%(num)d minute", "%(num)d minutes", n)),
    )
    # The largest unit that states the lifetime without rounding it away ("13 months", not "1 year").
    for size, phrase in units:
        ratio = seconds / size
        if ratio >= 1 and abs(ratio - round(ratio)) <= 0.05 * ratio:
            count = round(ratio)
            return phrase(count) % {"num": count}
    return ngettext("%(num)d second", "%(num)d seconds", seconds) % {"num": seconds}


class Widget:
    """Renders the widget's templates; caches the banner, which is the same for every undecided visitor."""

    def __init__(self, env: Environment, cache_size: int = 256) -> None:
        self.env = env
        self._cache: OrderedDict[tuple[Any, ...], Markup] = OrderedDict()
        self._lock = threading.Lock()
        self._cache_size = cache_size

    def _variables(self, ctx: WidgetContext, template: str) -> dict[str, Any]:
        catalog = translations(ctx.locale)
        registry = ctx.registry.localized(ctx.locale)
        state = ctx.state if ctx.state.registry is ctx.registry else ctx.state.rebind(ctx.registry)
        # Only the banner and the panel mark what is new; working it out costs a pass over every vendor.
        news = template in (*FIRST_LAYERS.values(), "consent/panel.html", "consent/preferences.html")
        new_vendors = tuple(registry.vendor(v.id) for v in state.new_vendors()) if news else ()

        def gettext(message: str, **kwargs: Any) -> str:
            text = catalog.gettext(message)
            return text % kwargs if kwargs else text

        def ngettext(singular: str, plural: str, n: int, **kwargs: Any) -> str:
            return catalog.ngettext(singular, plural, n) % ({"num": n} | kwargs)

        return {
            "registry": registry,
            "categories": registry.ordered_categories(),
            "state": state,
            "locale": ctx.locale,
            "dir": text_direction(ctx.locale),
            "_": gettext,
            "gettext": gettext,
            "ngettext": catalog.ngettext,
            "lifetime": lambda cookie: describe_lifetime(cookie, catalog.ngettext, catalog.gettext),
            "action_url": ctx.action_url,
            "preferences_url": ctx.preferences_url,
            "stylesheet_url": ctx.stylesheet_url,
            "policy_url": ctx.policy_url or registry.privacy_policy_url,
            "next": ctx.next,
            "csrf_field": ctx.csrf_field,
            "position": ctx.position if ctx.position in POSITIONS else "bar",
            "floating": ctx.floating,
            "new_vendors": new_vendors,
            "new_vendor_ids": frozenset(v.id for v in new_vendors),
            "gpc": ctx.gpc,
            "policy": ctx.policy.value,
            # A purpose's toggle is on when it is granted, or not asked yet while the visitor's region
            # runs every one of its vendors (opt-out and notice-only regions): it shows what runs.
        }

    def render(self, template: str, ctx: WidgetContext, **extra: Any) -> Markup:
        return Markup(self.env.get_template(template).render(self._variables(ctx, template) | extra))

    def banner(self, ctx: WidgetContext) -> Markup:
        """The first layer when the visitor must be asked, plus the (empty) dialog for the second."""
        dialog = self.dialog(ctx.registry, ctx.locale, lambda: ctx)
        if not ctx.state.needs_prompt(ctx.registry):
            return dialog
        template = FIRST_LAYERS[ctx.policy]
        # Not shared when it lists what is new for this visitor, or carries their CSRF token.
        if ctx.state.is_decided or ctx.csrf_field:
            return self.render(template, ctx) + dialog
        key = (
            template,
            ctx.gpc,
            ctx.locale,
            ctx.registry.revision,
            ctx.next,
            ctx.position,
            ctx.policy_url,
            ctx.action_url,
            ctx.preferences_url,
        )
        return self.cached(key, lambda: self.render(template, ctx)) + dialog

    def dialog(self, registry: Registry, locale: str, context: Callable[[], WidgetContext]) -> Markup:
        """The empty dialog the script fills with the panel: the same for everyone in one language."""
        return self.cached(
            ("dialog", locale, registry.revision), lambda: self.render("consent/dialog.html", context())
        )

    def panel(self, ctx: WidgetContext) -> Markup:
        return self.render("consent/panel.html", ctx)

    def preferences_page(self, ctx: WidgetContext) -> Markup:
        return self.render("consent/preferences.html", ctx)

    def settings_link(self, ctx: WidgetContext) -> Markup:
        return self.render("consent/settings_link.html", ctx)

    def placeholder(self, ctx: WidgetContext, vendor_id: str) -> Markup:
        """A click-to-load placeholder that grants just this vendor (empty once it is allowed)."""
        if ctx.state.allows(vendor_id):
            return Markup("")
        return self._placeholder(ctx, vendor_id, f"placeholder-{vendor_id}")

    def embed(
        self,
        ctx: WidgetContext,
        vendor_id: str,
        name: str | None = None,
        title: str | None = None,
        **params: object,
    ) -> Markup:
        """The embed itself when its vendor is allowed, else a click-to-load placeholder."""
        if ctx.state.allows(vendor_id):
            return self.iframe(ctx.registry, vendor_id, name, title, **params)
        embed = _find_embed(ctx.registry, vendor_id, name)
        return self._placeholder(ctx, vendor_id, embed_slot(vendor_id, embed, params))

    def _placeholder(self, ctx: WidgetContext, vendor_id: str, slot: str) -> Markup:
        def render() -> Markup:
            localized = ctx.registry.localized(ctx.locale)
            vendor = localized.vendor(vendor_id)
            inner = self.render(
                "consent/placeholder.html", ctx, vendor=vendor, category=localized.category(vendor.category)
            )
            return _slot(slot, vendor_id, inner)

        if ctx.csrf_field:  # a per-visitor token: nothing to share
            return render()
        # Otherwise the same for every visitor who has not allowed the vendor.
        return self.cached(("placeholder", slot, ctx.locale, ctx.next, ctx.action_url), render)

    def iframe(
        self,
        registry: Registry,
        vendor_id: str,
        name: str | None = None,
        title: str | None = None,
        **params: object,
    ) -> Markup:
        """The vendor's iframe, in the slot its placeholder would take (for an allowed vendor)."""
        # Keyed by the template's own keyword order; a value that cannot be a key is rendered uncached.
        key = ("iframe", id(registry), vendor_id, name, title, *params.items())

        def render() -> Markup:
            embed = _find_embed(registry, vendor_id, name)
            return _slot(embed_slot(vendor_id, embed, params), vendor_id, render_iframe(embed, params, title))

        try:
            hash(key)
        except TypeError:
            return render()
        return self.cached(key, render)

    def cached(self, key: tuple[Any, ...], render: Callable[[], Markup]) -> Markup:
        """``render()``, remembered under ``key`` (a bounded cache, least recently used out first)."""
        hit = self._cache.get(key)
        if hit is not None:
            with suppress(KeyError):  # another thread may have evicted it meanwhile
                self._cache.move_to_end(key)
            return hit
        value = render()
        with self._lock:
            self._cache[key] = value
            if len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return value


def _find_embed(registry: Registry, vendor_id: str, name: str | None) -> Embed:
    embed = registry.vendor(vendor_id).embed(name)
    if embed is None:
        raise KeyError(f"vendor {vendor_id!r} declares no embed named {name!r}")
    return embed


def _slot(slot: str, vendor_id: str, inner: Markup) -> Markup:
    return Markup(
        '<div class="consent-embed" data-consent-slot="{}" data-consent-vendor="{}">{}</div>'
    ).format(slot, vendor_id, inner)
