"""Recording decisions in the consent ledger, when one is configured."""

from __future__ import annotations

import logging
from datetime import datetime
from urllib.parse import urlsplit

from flask import request

from ..state import ConsentState
from .adtech import ledger_signals
from .current import RequestConsent
from .wording import variant_texts

ledger_log = logging.getLogger("consent.ledger")


def record_decision(
    data: RequestConsent,
    state: ConsentState,
    *,
    control: str,
    layer: str,
    next_url: str | None = None,
    variant: str | None = None,
    shown_at: datetime | None = None,
) -> None:
    """Write this request's decision to the consent ledger, when one is configured.

    Never raises, and waits for the database at most ``CONSENT_LEDGER_TIMEOUT``: the visitor's choice
    stands (its cookie is set) whatever the database does, and a record it cannot take is spooled.
    Stores the page path without its query string, the locale, the GPC signal and, through
    ``CONSENT_LEDGER_SUBJECT``, the site's own subject id; never an IP address or a user agent. With a
    wording test, the variant the visitor saw (its exact texts join the notice) and when the first layer
    was shown; and always the region's id.
    """
    settings = data.settings
    if not settings.config["CONSENT_LEDGER_URL"]:
        return
    try:
        ledger = settings.ledger
        assert ledger is not None
        subject = None
        hook = settings.config["CONSENT_LEDGER_SUBJECT"]
        if hook is not None:
            try:
                value = hook(request)
                subject = None if value is None else str(value)
            except Exception:
                ledger_log.exception(
                    "CONSENT_LEDGER_SUBJECT failed: the decision is recorded without a subject id"
                )
        ledger.record_decision(
            state,
            control=control,
            layer=layer,
            locale=data.get_locale(),
            path=urlsplit(next_url or request.path).path or "/",
            # The TC and GPP strings ride in the record's signals as "tcf:..." and "gpp:...".
            signals=(("gpc",) if data.get_region().gpc else ()) + ledger_signals(data),
            subject=subject,
            policy_url=settings.config["CONSENT_POLICY_URL"],
            region=data.get_region().id,
            variant=variant,
            variant_texts=variant_texts(settings, variant, data.get_locale()),
            shown_at=shown_at,
        )
    except Exception:
        ledger_log.exception("consent ledger: the decision of %s was NOT recorded", state.consent_id)
