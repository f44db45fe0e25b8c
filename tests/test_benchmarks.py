"""The benchmark scripts still run (tiny iteration counts; their timings are not checked here)."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def run_benchmark(
    name: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> list[str]:
    """The lines a benchmark prints with two calls per case (timings that mean nothing)."""
    monkeypatch.syspath_prepend(str(ROOT))
    bench = importlib.import_module(f"benchmarks.{name}")
    status = bench.main(["--rounds", "1", "--number", "2"])
    assert status in (0, 1)  # only the report's shape is checked
    return list(capsys.readouterr().out.splitlines())


def test_codec_benchmark_reports_every_measure(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = run_benchmark("bench_codec", monkeypatch, capsys)
    for prefix in [
        "(a) read seed cookie / itsdangerous loads",
        "(a) read seed cookie / bare Signer.unsign",
        "(e) all 34 allows() from the raw cookie / one HMAC verification",
        "(b) decode 1000 vendors / seed's 34",
        "(c) allows: last / first vendor of 1000",
        "(c) allows: 1000 / 40 vendors",
        "(d) cookie size, 34 vendors (seed registry)",
        "(d) cookie size, 40 vendors",
        "(d) cookie size, 200 vendors",
        "(d) cookie size, 1000 vendors",
    ]:
        row = [line for line in lines if line.startswith(prefix)]
        assert len(row) == 1, prefix
        assert row[0].endswith(("PASS", "FAIL")), row[0]
    assert any(line.endswith("targets met") or line.endswith("FAILED") for line in lines)


def test_presets_benchmark_reports_every_measure(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.syspath_prepend(str(ROOT))
    bench = importlib.import_module("benchmarks.bench_presets")
    status = bench.main(["--rounds", "1", "--number", "2"])
    lines = capsys.readouterr().out.splitlines()
    assert status in (0, 1)  # timings from two calls mean nothing: only the report's shape is checked
    for prefix in ["(a) load: presets registry / full registry", "(b) default: Microsoft UET+Clarity"]:
        [row] = [line for line in lines if line.startswith(prefix)]
        assert row.endswith(("PASS", "FAIL")), row
    assert lines[-1] in ("targets met", "targets FAILED")


def test_gpp_benchmark_reports_every_measure(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = run_benchmark("bench_gpp", monkeypatch, capsys)
    for prefix in [
        "one HMAC-SHA1 verification",
        "(a) GPP string, US-CA visitor",
        "(b) GPP string with TC string",
    ]:
        assert len([line for line in lines if line.startswith(prefix)]) == 1, prefix
    (verdict,) = [line for line in lines if line.startswith("(a) ... / HMAC")]
    assert verdict.endswith(("PASS", "FAIL")), verdict
    assert lines[-1] in ("all targets met", "FAILED")


def test_scoped_scripts_benchmark_reports_both_cases(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = run_benchmark("bench_scoped", monkeypatch, capsys)
    assert [line.split(" / ")[0].strip() for line in lines] == [
        "script tags, scoped, no match",
        "script tags, scoped, all match",
    ]


def test_security_benchmark_reports_every_measure(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = run_benchmark("bench_security", monkeypatch, capsys)
    for prefix in (
        "(a) hostile reject-all post / same cookies",
        "(a) hostile reject-all post / post without cookies",
        "(b) 700 cookies",
        "(c) preferences",
        "(d) CSP",
    ):
        row = [line for line in lines if line.startswith(prefix)]
        assert len(row) == 1, prefix
        assert row[0].endswith(("PASS", "FAIL")), row[0]


def test_pages_benchmark_reports_the_bars_and_the_floor(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.syspath_prepend(str(ROOT))
    bench = importlib.import_module("benchmarks.bench_pages")
    status = bench.main(rounds=1, number=1)
    lines = capsys.readouterr().out.splitlines()
    assert status in (0, 1)  # 2 would mean the inline baseline renders another page
    for prefix in ["rejected all: gated", "custom choice: gated", "accepted all: gated"]:
        [row] = [line for line in lines if line.strip().startswith(prefix)]
        assert row.endswith(("PASS", "FAIL")), row
    floor = lines.index("The floor: verifying the cookie alone on the inline page (after Reject all)")
    assert [line.split("  ")[1] for line in lines[floor + 1 : floor + 5]] == [
        "inline, no extension",
        "inline + our cookie read",
        "inline + itsdangerous loads",
        "gated",
    ]
    assert lines[floor + 5].strip().startswith("gated / inline + our cookie read")


def test_make_bench_imports_every_benchmark_outside_pytest() -> None:
    """``python -m benchmarks`` runs without pytest's import paths: each benchmark finds its fixtures."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    script = "import benchmarks.__main__"
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
