"""The example site: the "Movie review: Her" article page whose consent dialog lists 34 services.

Every third-party piece (ads, analytics, video, map, PayPal, Facebook login, reCAPTCHA...) is declared
in ``vendors.toml`` and rendered through the consent gate, so the page only ever contains what the
visitor approved. Run it with ``make example`` (http://127.0.0.1:5000).
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Flask, Response, redirect, render_template, request, url_for

from consent import Consent
from consent.i18n import UI_LOCALES
from consent.loader import validate_registry
from consent.registry import Registry

HERE = Path(__file__).resolve().parent
TCF_FILES = HERE / "tcf"
TOPICS = (
    "Arts",
    "Autos",
    "Books",
    "Business",
    "Education",
    "Entertainment",
    "Family",
    "Fashion",
    "Food",
    "Games",
    "Gender",
    "Health",
    "Holidays",
    "Home",
    "HubPages",
    "Personal Finance",
    "Pets",
    "Politics",
    "Religion",
    "Sports",
    "Technology",
    "Travel",
)
# 1x1 transparent GIF for the first-party traffic pixel.
PIXEL = bytes.fromhex(
    "47494638396101000100800000000000ffffff21f90401000000002c00000000010001000002024401003b"
)


@dataclass
class Comment:
    author: str
    when: str
    body: str
    place: str = ""
    is_author: bool = False


SEED_COMMENTS = (
    Comment(
        "Luke Ellis",
        "4 years ago",
        "It's definitely up there but Being John Malkovich and Adaptation were also "
        "very good. Not so big a fan of Where the Wild Things Are.",
        "Nottingham, England",
    ),
    Comment(
        "Boomuk",
        "4 years ago",
        "Hi there, thanks for your comment. Yep, reviews are out of five. Had high hopes "
        "for this one, considering Spike Jonze is one of the better directors out there, which is probably why "
        "this was all the more disappointing. Glad you enjoyed it though. Even if not one of his best (would you "
        "agree with that at least?!), still worth watching over usual standard Hollywood fare.",
        "London, UK",
        is_author=True,
    ),
    Comment(
        "Luke Ellis",
        "4 years ago",
        "Good review but I have to disagree with you overall. Then again, Her was "
        "probably my No. 1 film of 2013. I take it you rate films out of 5 booms?",
        "Nottingham, England",
    ),
)


def tcf_config() -> dict[str, Any]:
    """IAB TCF and GPP, off unless the environment turns them on: ``REVIEWS_TCF_CMP_ID`` (the CMP id IAB
    Europe assigned; only a registered CMP may emit live TC strings), ``REVIEWS_TCF_CMP_VERSION``,
    ``REVIEWS_TCF_COOKIE=1`` (an ``euconsent-v2`` cookie), ``REVIEWS_GPP=1``, ``REVIEWS_GPP_CMP_ID``."""
    env = os.environ
    config: dict[str, Any] = {}
    if env.get("REVIEWS_TCF_CMP_ID"):
        config |= {
            "CONSENT_TCF_CMP_ID": int(env["REVIEWS_TCF_CMP_ID"]),
            "CONSENT_TCF_CMP_VERSION": int(env.get("REVIEWS_TCF_CMP_VERSION", "1")),
            "CONSENT_TCF_COOKIE": env.get("REVIEWS_TCF_COOKIE", "0") == "1",
            # The vendor list whose texts the second layer shows, and its German translation.
            "CONSENT_TCF_GVL": TCF_FILES / "vendor-list.json",
            "CONSENT_TCF_GVL_TRANSLATIONS": {"de": TCF_FILES / "purposes-de.json"},
        }
    if env.get("REVIEWS_GPP", "0") == "1":
        config["CONSENT_GPP"] = True
        if env.get("REVIEWS_GPP_CMP_ID"):
            config["CONSENT_GPP_CMP_ID"] = int(env["REVIEWS_GPP_CMP_ID"])
    return config


def tcf_registry() -> Registry:
    """``vendors.toml`` with the TCF declarations of ``tcf/tcf.toml`` merged in."""
    data = tomllib.loads((HERE / "vendors.toml").read_text(encoding="utf-8"))
    tcf = tomllib.loads((TCF_FILES / "tcf.toml").read_text(encoding="utf-8"))
    declared = tcf.pop("vendors")
    for vendor in data["vendors"]:
        if vendor["id"] in declared:
            vendor["tcf"] = declared[vendor["id"]]
    return validate_registry(data | tcf, str(TCF_FILES / "tcf.toml"))


def create_app(config: dict[str, Any] | None = None) -> Flask:
    app = Flask(__name__, instance_path=str(HERE / "instance"))
    testing = bool((config or {}).get("TESTING"))
    app.config.update(
        SECRET_KEY=os.environ.get("REVIEWS_SECRET_KEY", "dev-only-secret-change-me"),
        CONSENT_REGISTRY=HERE / "vendors.toml",
        # The development server speaks plain http; production keeps the default (Secure, __Host- prefix).
        CONSENT_COOKIE_SECURE=os.environ.get("REVIEWS_SECURE_COOKIE", "0") == "1",
        CONSENT_FLOATING_BUTTON=True,
        # Every language the widget speaks; registry texts without a translation fall back to English.
        CONSENT_LOCALES=list(UI_LOCALES),
        # The consent ledger (proof of consent): `make example` runs `consent ledger init` for this URL
        # first. Tests get no ledger unless they pass CONSENT_LEDGER_URL themselves.
        CONSENT_LEDGER_URL=None
        if testing
        else os.environ.get("CONSENT_LEDGER_URL", f"sqlite:///{HERE / 'instance' / 'ledger.sqlite3'}"),
        CONSENT_LEDGER_KEY=os.environ.get("CONSENT_LEDGER_KEY"),
        # Regional policies: the visitor's region comes from a header the site's CDN sets (for example
        # Cloudflare's CF-IPCountry). Never trust it unless the proxy in front sets it: by default there
        # is none, every visitor counts as "unknown region", which is the strictest policy (opt-in).
        CONSENT_REGION_HEADER=os.environ.get("REVIEWS_REGION_HEADER") or None,
        CONSENT_SUBDIVISION_HEADER=os.environ.get("REVIEWS_SUBDIVISION_HEADER") or None,
        CONSENT_GPC_UPDATED="2026-11-25",
        # One consent for www. and blog. of the same site: set REVIEWS_COOKIE_DOMAIN=example.com.
        CONSENT_COOKIE_DOMAIN=os.environ.get("REVIEWS_COOKIE_DOMAIN") or None,
        # Analytics tags set their cookies on the registrable domain: declined ones are deleted there too.
        CONSENT_DECLINED_COOKIE_DOMAINS=[
            d for d in os.environ.get("REVIEWS_SITE_DOMAINS", "").split(",") if d
        ],
    )
    app.config.update(tcf_config())
    app.config.update(config or {})
    if app.config.get("CONSENT_TCF_CMP_ID") and app.config["CONSENT_REGISTRY"] == HERE / "vendors.toml":
        app.config["CONSENT_REGISTRY"] = tcf_registry()
    Consent(app)
    comments = list(SEED_COMMENTS)

    @app.context_processor
    def site() -> dict[str, Any]:
        return {"topics": TOPICS}

    @app.get("/")
    def home() -> str:
        return render_template("home.html", topic=request.args.get("topic"))

    @app.get("/movie-review-her")
    def article() -> str:
        return render_template("article.html", comments=reversed(comments), comment_error=None)

    @app.post("/movie-review-her/comments")
    def post_comment() -> Any:
        body = request.form.get("body", "").strip()
        if not body or len(body) > 8192:
            error = "Please write a comment of at most 8192 characters."
            return render_template("article.html", comments=reversed(comments), comment_error=error), 400
        # Akismet (a necessary, server-side service) would screen the comment here.
        comments.append(Comment("Guest", "just now", body))
        return redirect(url_for("article") + "#comments-title", code=303)

    @app.get("/privacy")
    def privacy() -> str:
        return render_template("privacy.html")

    @app.get("/t/pixel.gif")
    def traffic_pixel() -> Response:
        # Only requested where the gate let the pixel onto the page, so its cookie follows consent too.
        response = Response(PIXEL, mimetype="image/gif")
        response.cache_control.no_store = True
        visit = request.cookies.get("hp_visit") or os.urandom(8).hex()
        response.set_cookie("hp_visit", visit, max_age=30 * 60, path="/", samesite="Lax", httponly=True)
        return response

    return app
