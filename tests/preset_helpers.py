"""Registry snippets and consent states shared by the preset and Microsoft consent tests."""

from __future__ import annotations

from consent.registry import Registry
from consent.state import ConsentState, Method

#: Statistics and marketing, mapped to Google Consent Mode (which the Microsoft signals derive from).
MAPPED_CATEGORIES = """
name = "Consent signals test"
[[categories]]
id = "statistics"
title = "Statistics"
consent_mode = ["analytics_storage"]
[[categories]]
id = "marketing"
title = "Marketing"
consent_mode = ["ad_storage", "ad_user_data", "ad_personalization"]
"""

#: A UET and a Clarity vendor from their presets, in MAPPED_CATEGORIES' categories.
MICROSOFT_VENDORS = """
[[vendors]]
id = "bing-ads"
number = 1
category = "marketing"
preset = "microsoft-uet"
params = { tag_id = "26012345" }
[[vendors]]
id = "clarity"
number = 2
category = "statistics"
preset = "microsoft-clarity"
params = { project_id = "abcdefghij" }
"""

#: The four categories presets suggest.
SUGGESTED_CATEGORIES = """
name = "Preset test"
[[categories]]
id = "necessary"
title = "Necessary"
required = true
justification = "The site cannot work without them."
[[categories]]
id = "functional"
title = "Features"
[[categories]]
id = "statistics"
title = "Statistics"
[[categories]]
id = "marketing"
title = "Marketing"
"""


def only_category(registry: Registry, category: str) -> ConsentState:
    """A custom choice granting one category and its vendors, denying every other optional one."""
    return ConsentState.undecided(registry).with_choices(
        {v.id: v.category == category for v in registry.optional_vendors()},
        {c.id: c.id == category for c in registry.categories if not c.required},
        method=Method.CUSTOM,
    )
