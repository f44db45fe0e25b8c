"""One clear action per state: which of Accept all, Reject all and Withdraw consent the panel offers."""

from __future__ import annotations

from typing import Any

import pytest
from flask_helpers import example_app, find, html_of, post

#: what the visitor did -> the panel's buttons, in order
STATES: list[tuple[dict[str, Any] | None, list[str]]] = [
    (None, ["Save choices", "Accept all", "Reject all"]),
    ({"action": "reject_all"}, ["Save choices", "Accept all"]),
    ({"action": "withdraw"}, ["Save choices", "Accept all"]),
    ({"action": "custom", "category": "statistics"}, ["Save choices", "Accept all", "Withdraw consent"]),
    ({"action": "grant", "vendor": "google-youtube"}, ["Save choices", "Accept all", "Withdraw consent"]),
    ({"action": "accept_all"}, ["Save choices", "Withdraw consent"]),
]


@pytest.mark.parametrize(
    ("choice", "buttons"),
    STATES,
    ids=["undecided", "rejected", "withdrawn", "custom", "one-embed", "accepted"],
)
def test_the_panel_offers_one_way_out_per_state(choice: dict[str, Any] | None, buttons: list[str]) -> None:
    client = example_app().test_client()
    if choice is not None:
        assert post(client, choice).status_code == 303
    html = html_of(client.get("/consent/preferences?fragment=1"))
    (actions,) = find(html, "div", class_="consent-actions")
    assert [b.inner_text for b in find(actions.outer_html, "button")] == buttons
