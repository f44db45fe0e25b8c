"""The consent states and what each one allows."""

from __future__ import annotations

import pytest

from consent.scan.states import ConsentState, plan_states


def test_plan_with_choices() -> None:
    names = [s.name for s in plan_states(["statistics", "marketing"])]
    assert names == ["before", "reject", "accept", "only:statistics", "only:marketing"]


def test_plan_without_a_way_to_choose() -> None:
    assert [s.name for s in plan_states(["statistics"], choices=False)] == ["before"]


@pytest.mark.parametrize(
    ("state", "category", "required", "allowed"),
    [
        ("before", "marketing", False, False),
        ("before", "necessary", True, True),
        ("reject", "statistics", False, False),
        ("accept", "marketing", False, True),
        ("only:statistics", "statistics", False, True),
        ("only:statistics", "marketing", False, False),
    ],
)
def test_allows(state: str, category: str, required: bool, allowed: bool) -> None:
    assert ConsentState(state).allows(category, required) is allowed


@pytest.mark.parametrize(
    ("state", "label"),
    [
        ("before", "before any choice"),
        ("reject", "after Reject all"),
        ("accept", "after Accept all"),
        ("only:marketing", "only 'marketing' accepted"),
    ],
)
def test_labels(state: str, label: str) -> None:
    assert ConsentState(state).label == label
