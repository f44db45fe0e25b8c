"""What the consent ledger costs (issue: proof of consent): a decision, and a decided visitor's page view.

Run with ``python -m benchmarks.bench_ledger``. Two copies of the example site, one with the ledger on
SQLite (in a temporary directory, schema created first) and one without, are timed interleaved in the
same run (median of several rounds; the machine is shared and noisy, so only ratios are compared):

- a decision POST with the ledger: at most 3x the same POST without it;
- a decided visitor's page view with the ledger: at most 1.05x the same view without it (it does no
  ledger I/O at all).

The target applies to the ledger's default SQLite setting (``synchronous=normal``: a commit survives
the process being killed, not the machine losing power). ``?synchronous=full`` (an fsync per commit) is
timed alongside for information: its cost is mostly the disk's fsync latency.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from flask import Flask

from benchmarks._timing import Verdicts
from consent.ledger import Ledger
from examples.reviews.app import create_app

ARTICLE = "/movie-review-her"
ORIGIN = {"Origin": "http://localhost"}
DECISIONS = ({"action": "accept_all", "layer": "first"}, {"action": "reject_all", "layer": "first"})


def decider(app: Flask) -> Callable[[], object]:
    """A visitor who keeps changing their mind (each call is one decision POST)."""
    client = app.test_client()
    turn = [0]

    def decide() -> object:
        turn[0] += 1
        response = client.post("/consent/", data=DECISIONS[turn[0] % 2] | {"next": ARTICLE}, headers=ORIGIN)
        if response.status_code != 303:
            raise RuntimeError(f"decision failed: {response.status}")
        return response

    return decide


def reader(app: Flask, cookie: str) -> Callable[[], object]:
    client = app.test_client()
    return lambda: client.get(ARTICLE, headers={"Cookie": cookie, "Accept-Language": "en"})


def paired(
    cases: dict[str, Callable[[], object]], rounds: int, number: int
) -> tuple[dict[str, float], dict[str, float]]:
    """Median seconds per call of each case, and the median per-round ratio of each case to the first.

    Every round times each case once (``number`` calls), in an order that rotates from round to round,
    so drift on a shared machine hits every case alike; a ratio is taken within a round, then the
    median over rounds.
    """
    names = list(cases)
    for fn in cases.values():  # warm every cache first
        for _ in range(max(5, number // 5)):
            fn()
    samples: dict[str, list[float]] = {name: [] for name in names}
    ratios: dict[str, list[float]] = {name: [] for name in names}
    for r in range(rounds):
        timing: dict[str, float] = {}
        for name in names[r % len(names) :] + names[: r % len(names)]:
            fn = cases[name]
            start = time.perf_counter()
            for _ in range(number):
                fn()
            timing[name] = (time.perf_counter() - start) / number
        for name in names:
            samples[name].append(timing[name])
            ratios[name].append(timing[name] / timing[names[0]])
    return (
        {name: statistics.median(v) for name, v in samples.items()},
        {name: statistics.median(v) for name, v in ratios.items()},
    )


def main(rounds: int = 21, number: int = 60) -> int:
    verdict = Verdicts()

    def report(label: str, ratio: float, target: float) -> None:
        print(f"  {label:<58} {ratio:6.3f}x  (target <= {target}x)  {verdict(ratio <= target)}")

    with tempfile.TemporaryDirectory(prefix="consent-bench-ledger-") as workdir:

        def ledger_app(name: str, query: str = "") -> Flask:
            url = f"sqlite:///{Path(workdir) / name}.sqlite3{query}"
            Ledger(url, timeout=None).init()
            return create_app(
                {
                    "TESTING": True,
                    "CONSENT_LEDGER_URL": url,
                    "CONSENT_LEDGER_KEY": "bench-ledger-key",
                    "CONSENT_LEDGER_SPOOL": str(Path(workdir) / f"{name}.spool"),
                }
            )

        without = create_app({"TESTING": True})
        with_ledger = ledger_app("ledger")
        with_full_sync = ledger_app("full", "?synchronous=full")
        apps = (with_ledger, with_full_sync)
        try:
            print("Decision POST (in-process; medians over interleaved rounds)")
            times, ratios = paired(
                {
                    "ledger off": decider(without),
                    "ledger on (SQLite)": decider(with_ledger),
                    "ledger on (SQLite, synchronous=full)": decider(with_full_sync),
                },
                rounds,
                number,
            )
            for name, seconds in times.items():
                print(f"  {name:<40} {seconds * 1e6:8.1f} µs")
            report("decision POST, ledger on SQLite / ledger off", ratios["ledger on (SQLite)"], 3.0)
            full = ratios["ledger on (SQLite, synchronous=full)"]
            print(f"  {'(information) the same with synchronous=full':<58} {full:6.3f}x")
            for app in apps:
                ledger = app.extensions["consent"].ledger
                assert ledger is not None and ledger.spool is not None
                spooled = sum(1 for _ in ledger.spool.records())
                mode = ledger.url.query.get("synchronous", "normal")
                print(f"  records ({mode}): {ledger.count()} in the database, {spooled} in the spool")

            response = decider(without)()
            cookie = response.headers["Set-Cookie"].split(";")[0]  # type: ignore[union-attr]
            print("Decided visitor's page view")
            times, ratios = paired(
                {"ledger off": reader(without, cookie), "ledger on (SQLite)": reader(with_ledger, cookie)},
                rounds,
                number,
            )
            for name, seconds in times.items():
                print(f"  {name:<40} {seconds * 1e6:8.1f} µs")
            report("page view, ledger on / ledger off", ratios["ledger on (SQLite)"], 1.05)
        finally:
            for app in apps:
                ledger = app.extensions["consent"]._ledger
                if ledger is not None:
                    ledger.close()
    return verdict.status


if __name__ == "__main__":
    sys.exit(main())
