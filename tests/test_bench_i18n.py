"""The language benchmark still runs (tiny iteration counts; its timings are not checked here)."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_language_benchmark_reports_every_measure(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.syspath_prepend(str(ROOT))
    bench = importlib.import_module("benchmarks.bench_i18n")
    assert bench.main(["--rounds", "1", "--number", "2"]) in (0, 1)  # two calls: only the report's shape
    lines = capsys.readouterr().out.splitlines()
    for prefix in ["(a) 100 KB header", "(b) 10,000 entries", "(c) negotiate usual tags"]:
        [row] = [line for line in lines if line.startswith(prefix)]
        assert row.endswith(("PASS", "FAIL")), row
    assert lines[-1] in ("all targets met", "FAILED")
