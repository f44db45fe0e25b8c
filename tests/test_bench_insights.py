"""The insights benchmark still runs and reports every measure (tiny sizes; timings are not checked)."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_insights_benchmark_reports_every_measure(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.syspath_prepend(str(ROOT))
    bench = importlib.import_module("benchmarks.bench_insights")
    status = bench.main(
        ["--records", "500", "--days", "5", "--rounds", "1", "--number", "2", "--backends", "sqlite"]
    )
    lines = capsys.readouterr().out.splitlines()
    assert status in (0, 1)
    for prefix in [
        "  record_impression / decided page render",
        "  sqlite: report by day, all time",
        "  sqlite: report by region, all time",
        "  sqlite: report by variant, last 30 days",
    ]:
        (row,) = [line for line in lines if line.startswith(prefix)]
        assert row.endswith(("PASS", "FAIL")), row
    assert any("added 500 records" in line for line in lines)
