"""Fair wording tests in pages and decisions: which variant of the first layer's texts a visitor sees,
what the form posts back, and what the ledger records (see :mod:`consent.insights.variants`)."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flask import Flask, request
from werkzeug.exceptions import BadRequest

from ..state import ConsentState, Policy
from .settings import ConsentSettings

if TYPE_CHECKING:
    from ..insights.variants import Experiment

#: A first layer shown longer ago than this is not timed (a tab left open overnight says nothing).
MAX_DECISION_TIME = timedelta(days=1)
_SKEW = timedelta(minutes=5)


def load_variants(value: Any, app: Flask) -> Experiment | None:
    """``CONSENT_VARIANTS``: an :class:`Experiment`, a TOML/JSON file (relative to the app's root), or None.

    A file that breaks the schema or a fair-choice check raises ``VariantError`` at start-up.
    """
    if value is None:
        return None
    # Imported only for a site that tests wordings: the insights package needs the ledger's extras.
    from ..insights.variants import Experiment, load_experiment

    if isinstance(value, Experiment):
        return value
    path = Path(value)
    return load_experiment(path if path.is_absolute() else Path(app.root_path) / path)


def now_text() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def first_layer_wording(
    settings: ConsentSettings, state: ConsentState, locale: str
) -> tuple[str | None, str | None, str | None]:
    """(variant id, title, statement) of the opt-in banner for this visitor; Nones: the own wording.

    A visitor with a consent id keeps their variant (a hash of the id); a first visitor gets one by a
    random token of this page view, never stored: no cookie and nothing about the person is used.
    """
    experiment = settings.experiment
    if experiment is None or (state.current_policy or state.policy) is not Policy.OPT_IN:
        return None, None, None
    from ..insights.variants import assign_variant

    variant = assign_variant(experiment, state.consent_id, secrets.token_urlsafe(12))
    texts = variant.text_for(locale)
    return variant.id, texts.title if texts else None, texts.statement if texts else None


def posted_wording(settings: ConsentSettings) -> tuple[str | None, datetime | None]:
    """The variant and the time the first layer was shown, as a consent form posted them; else 400."""
    form = request.form
    variant = form.get("variant") or None
    if variant is not None:
        known = {v.id for v in settings.experiment.variants} if settings.experiment else set()
        if variant not in known:
            raise BadRequest("Unknown wording variant.")
    shown = form.get("shown_at") or None
    if shown is None:
        return variant, None
    try:
        shown_at = datetime.fromisoformat(shown.replace("Z", "+00:00"))
    except ValueError:
        raise BadRequest("The field 'shown_at' is not a time.") from None
    if shown_at.tzinfo is None:
        raise BadRequest("The field 'shown_at' needs a time zone.")
    now = datetime.now(UTC)
    if not now - MAX_DECISION_TIME <= shown_at <= now + _SKEW:
        return variant, None  # too old or from the future: the decision stands, it is just not timed
    return variant, shown_at.astimezone(UTC)


def variant_texts(settings: ConsentSettings, variant: str | None, locale: str) -> dict[str, str] | None:
    """The exact texts of ``variant`` in ``locale``, for the notice the ledger keeps."""
    if variant is None or settings.experiment is None:
        return None
    found = next((v for v in settings.experiment.variants if v.id == variant), None)
    texts = found.text_for(locale) if found else None
    out = {"variant": variant}
    if texts is not None:
        out["statement"] = texts.statement
        if texts.title:
            out["title"] = texts.title
    return out
