"""The scan benchmark still runs and reports its measures (one page; its timing is not checked here)."""

from __future__ import annotations

import pytest

from benchmarks import bench_scan

pytestmark = pytest.mark.browser


def test_benchmark_reports_speed_and_target(capsys: pytest.CaptureFixture[str]) -> None:
    status = bench_scan.main(["1"])
    lines = capsys.readouterr().out.splitlines()
    assert status in (0, 1)
    assert lines[0] == "consent scan of the example site (1 pages)"
    assert lines[1].strip().startswith("scanned 1 page in 6 states (6 visits)") and lines[1].endswith(
        "states/s"
    )
    assert any("visits one by one" in line for line in lines)
    assert lines[-1].endswith(("PASS", "FAIL"))
