"""The GPP benchmark still runs and reports every measure (tiny counts; its timings are not checked here)."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_gpp_benchmark_reports_every_measure(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.syspath_prepend(str(ROOT))
    bench = importlib.import_module("benchmarks.bench_gpp")
    status = bench.main(["--rounds", "1", "--number", "2"])
    lines = capsys.readouterr().out.splitlines()
    assert status in (0, 1)
    for prefix in [
        "one HMAC-SHA1 verification",
        "(a) GPP string, US-CA visitor",
        "(a) ... / HMAC",
        "(c) __gpp page data",
    ]:
        assert len([line for line in lines if line.startswith(prefix)]) == 1, prefix
    assert next(line for line in lines if line.startswith("(a) ... / HMAC")).endswith(("PASS", "FAIL"))
    assert lines[-1] in ("all targets met", "FAILED")
