"""The example article with IAB TCF and GPP on, against the same site with both off (issue #16).

Run with ``python -m benchmarks.bench_adtech``. Two apps of the example site, one with
``CONSENT_TCF_CMP_ID`` and ``CONSENT_GPP``, one without, render the article for the same visitors in
the same run (interleaved rounds, median of per-round ratios): a first visit (banner, undecided) and a
visitor who accepted everything (the TC and GPP strings are derived from the cookie on each request).
Target: the page with TCF on costs at most 1.15x the page without it.

Nothing a visitor gets is kept between requests: the TC string, TCData and the GPP PingReturn are joined
each time from per-registry tables (``consent.tcf.signal.SignalTable``) and pieces memoised by small inputs
(the site's CMP settings, a combination of category decisions, a day), so the visitor replayed here costs
what any visitor costs.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from benchmarks._timing import Verdicts, interleaved, median, ratio
from benchmarks.bench_pages import ARTICLE, consent_cookie
from examples.reviews.app import TCF_FILES, create_app

TARGET = 1.15
TCF_ON = {
    "CONSENT_TCF_CMP_ID": 300,
    "CONSENT_TCF_CMP_VERSION": 1,
    "CONSENT_TCF_GVL": TCF_FILES / "vendor-list.json",
    "CONSENT_GPP": True,
}


def run(*, rounds: int, number: int) -> list[tuple[str, float, bool]]:
    off = create_app({"TESTING": True})
    on = create_app({"TESTING": True, **TCF_ON})
    off_client, on_client = off.test_client(use_cookies=False), on.test_client(use_cookies=False)
    rows = []
    for label, headers_off, headers_on in (
        ("first visit (banner, __tcfapi + __gpp stubs)", {"Accept-Language": "en"}, {"Accept-Language": "en"}),
        ("accepted all (TC + GPP strings from the cookie)", consent_cookie(off, "accept_all"),
         consent_cookie(on, "accept_all")),
    ):  # fmt: skip
        page_on = on_client.get(ARTICLE, headers=headers_on).get_data(as_text=True)
        if "__tcfapiLocator" not in page_on or "data-consent-gpp" not in page_on:
            raise SystemExit("the TCF page carries no stubs: the benchmark would measure nothing")
        samples = interleaved(
            {
                "on": lambda h=headers_on: on_client.get(ARTICLE, headers=h),  # type: ignore[misc]
                "off": lambda h=headers_off: off_client.get(ARTICLE, headers=h),  # type: ignore[misc]
            },
            rounds=rounds,
            number=number,
        )
        value = ratio(samples, "on", "off")
        print(
            f"  {label}: on {median(samples, 'on') * 1e6:8.1f} µs, off {median(samples, 'off') * 1e6:8.1f} µs"
        )
        rows.append((f"article, TCF+GPP on / off: {label}", value, value <= TARGET))
    return rows


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.bench_adtech", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--rounds", type=int, default=21, help="interleaved rounds (median taken)")
    parser.add_argument("--number", type=int, default=100, help="calls per case per round")
    args = parser.parse_args(argv)
    rows = run(rounds=args.rounds, number=args.number)
    verdict = Verdicts()
    for label, value, ok in rows:
        print(f"{label:<80} {value:6.3f}x  (target <= {TARGET}x)  {verdict(ok)}")
    print("targets met" if not verdict.missed else "targets FAILED")
    return verdict.status


if __name__ == "__main__":
    sys.exit(main())
