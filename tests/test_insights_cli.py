"""``consent insights``: every format, the dimensions, the period, and clear errors."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from insights_helpers import fill
from sqlalchemy import Engine

from consent.cli import main

pytest_plugins = ["ledger_fixtures", "insights_fixtures"]
Capsys = pytest.CaptureFixture[str]


@pytest.fixture(autouse=True)
def filled(insights_engine: Engine, insights_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    fill(insights_engine)
    monkeypatch.setenv("CONSENT_LEDGER_URL", insights_url)


def test_text_report(capsys: Capsys) -> None:
    assert main(["insights"]) == 0
    out = capsys.readouterr().out
    assert "First layers shown 180, to undecided visitors 150, answers 105" in out
    assert "accept all 40.0 %, reject all 22.0 %, custom 6.7 %, no decision 30.0 %, GPC share 28.6 %" in out
    assert "2026-05-04" in out and "2026-05-05" in out
    assert "statistics" in out and "66.7 %" in out
    assert "plain" in out and "vs control p=" in out


def test_json_report_by_region(capsys: Capsys) -> None:
    assert main(["insights", "--by", "region", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["by"] == "region"
    assert set(data["rows"]) == {"eu", "uk"}
    assert data["rows"]["uk"]["rates"]["accept_all"] == pytest.approx(0.25)
    assert data["total"]["counts"]["no_decision"] == 45
    assert data["total"]["categories"]["statistics"] == {
        "asked": 105,
        "granted": 70,
        "opt_in": pytest.approx(70 / 105),
    }
    assert [v["variant"] for v in data["variants"]] == ["control", "plain"]
    assert data["variants"][1]["accept_vs_control"]["significant"] in (True, False)


def test_csv_report_by_variant_with_a_period(capsys: Capsys) -> None:
    assert main(["insights", "--by", "variant", "--until", "2026-05-04", "--format", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [r["variant"] for r in rows] == ["control", "plain", "all"]
    assert rows[0]["undecided"] == "100" and rows[0]["answers"] == "80"
    assert float(rows[0]["accept_all_rate"]) == pytest.approx(0.5)
    assert rows[2]["undecided"] == "140"
    assert "opt_in:statistics" in rows[0]


def test_html_report_is_one_self_contained_file(tmp_path: Path) -> None:
    target = tmp_path / "insights.html"
    assert main(["insights", "--format", "html", "--output", str(target)]) == 0
    html = target.read_text(encoding="utf-8")
    assert html.startswith("<!doctype html>")
    assert html.count("<svg") == 3
    assert "<script" not in html and "src=" not in html and "<link" not in html
    assert "Rates per region" in html


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["insights", "--since", "2026-05-05", "--until", "2026-05-04"], "--since is after --until"),
        (["insights", "--url", "mysql://x/y"], "the ledger runs on SQLite or PostgreSQL"),
    ],
)
def test_errors_exit_2_with_a_message(argv: list[str], message: str, capsys: Capsys) -> None:
    assert main(argv) == 2
    assert message in capsys.readouterr().err


def test_without_a_url(monkeypatch: pytest.MonkeyPatch, capsys: Capsys) -> None:
    monkeypatch.delenv("CONSENT_LEDGER_URL")
    assert main(["insights"]) == 2
    assert "no database URL" in capsys.readouterr().err


def test_a_bad_date_is_an_argument_error(capsys: Capsys) -> None:
    assert main(["insights", "--since", "yesterday"]) == 2
    assert "'yesterday' is not a date" in capsys.readouterr().err


def test_the_control_can_be_named(capsys: Capsys) -> None:
    assert main(["insights", "--control", "plain", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["control"] == "plain"
    by_name = {v["variant"]: v for v in data["variants"]}
    assert by_name["plain"]["accept_vs_control"] is None
    assert by_name["control"]["accept_vs_control"]["difference"] == pytest.approx(50 / 100 - 10 / 50)
