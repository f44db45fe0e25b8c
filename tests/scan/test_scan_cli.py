"""``consent scan`` on the command line: arguments, exit codes, output files.

The scanner itself is replaced by a recorded run in the tests without a browser; the last test runs
the real thing end to end.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from consent.cli import main
from consent.loader import load_registry
from consent.scan import cli as scan_cli
from consent.scan.observations import ScanRun

from .builders import cookie, request, run, visit
from .fakes import FakeHosts
from .site import COOKIE_DB, REGISTRY, serve_site

TRACKLY = "https://cdn.trackly.test/tracker.js"
COUNTLY = "https://stats.countly.test/tracker.js?cookie=_cnt&max_age=2592000"


def recorded(*visits: Any) -> Any:
    def scan_site(url: str, options: Any, progress: Any = None) -> ScanRun:
        return run(*visits)

    return scan_site


@pytest.fixture
def warnings_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """A site whose only problem is an undeclared cookie (a warning)."""
    seen = (request(TRACKLY), request(COUNTLY), cookie("_hjSessionUser_1", lifetime=86400.0))
    monkeypatch.setattr(scan_cli, "scan_site", recorded(visit("accept", *seen)))


def test_listed_in_the_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    assert "scan" in capsys.readouterr().out
    assert main(["scan", "--help"]) == 0
    out = capsys.readouterr().out
    for option in (
        "--registry",
        "--pages",
        "--sitemap",
        "--format",
        "--fail-on",
        "--write",
        "--cookie-db",
        "--accept-selector",
        "--reject-selector",
        "--no-robots",
        "--host-map",
    ):
        assert option in out


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--pages", "0"], "--pages and --concurrency must be at least 1"),
        (["--host-map", "nonsense"], "expected HOST=ADDRESS[:PORT], got 'nonsense'"),
        (["--write", "x.toml"], "--write needs --registry"),
        (["--cookie-db", "absent.csv"], "cannot read the cookie database"),
    ],
)
def test_bad_arguments_exit_2(capsys: pytest.CaptureFixture[str], arguments: list[str], message: str) -> None:
    assert main(["scan", "http://site.test/", *arguments]) == 2
    assert message in capsys.readouterr().err


def test_a_broken_registry_lists_its_problems(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    broken = tmp_path / "vendors.toml"
    broken.write_text('name = "x"\ncategories = []\n', encoding="utf-8")
    assert main(["scan", "http://site.test/", "--registry", str(broken)]) == 2
    assert "at least one category is needed" in capsys.readouterr().err


@pytest.mark.parametrize(("fail_on", "status"), [("info", 1), ("warning", 1), ("error", 0), ("never", 0)])
def test_exit_code_follows_fail_on(
    warnings_only: None, capsys: pytest.CaptureFixture[str], fail_on: str, status: int
) -> None:
    assert main(["scan", "http://site.test/", "--registry", str(REGISTRY), "--fail-on", fail_on]) == status
    captured = capsys.readouterr()
    assert "undeclared-cookie" in captured.out
    assert "states/s" in captured.err  # the duration and rates, always on stderr


def test_violations_fail_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(scan_cli, "scan_site", recorded(visit("before", request(TRACKLY))))
    assert main(["scan", "http://site.test/", "--registry", str(REGISTRY)]) == 1


@pytest.mark.parametrize("fmt", ["text", "json", "markdown", "html"])
def test_every_format_to_a_file(warnings_only: None, tmp_path: Path, fmt: str) -> None:
    out = tmp_path / f"report.{fmt}"
    args = ["scan", "http://site.test/", "--registry", str(REGISTRY), "--format", fmt, "-o", str(out)]
    assert main([*args, "--fail-on", "never"]) == 0
    text = out.read_text(encoding="utf-8")
    assert "_hjSessionUser_1" in text
    if fmt == "json":
        assert json.loads(text)["summary"]["warning"] == 1


def test_write_adds_the_suggestions(
    warnings_only: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "vendors.toml"
    target.write_text(REGISTRY.read_text(encoding="utf-8"), encoding="utf-8")
    args = ["scan", "http://site.test/", "--registry", str(target), "--cookie-db", str(COOKIE_DB)]
    assert main([*args, "--write", str(target), "--fail-on", "never"]) == 0
    assert f"{target}: new vendor 'hotjar' in 'statistics'" in capsys.readouterr().err
    assert [c.name for c in load_registry(target).vendor("hotjar").cookies] == ["_hjSessionUser_1"]


@pytest.mark.browser
def test_end_to_end(fake_hosts: FakeHosts, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "vendors.toml"
    target.write_text(REGISTRY.read_text(encoding="utf-8"), encoding="utf-8")
    report = tmp_path / "report.html"
    with serve_site("undeclared") as url:
        status = main(
            [
                "scan",
                url + "/",
                "--registry",
                str(target),
                "--cookie-db",
                str(COOKIE_DB),
                "--pages",
                "1",
                "--delay",
                "0",
                "--host-map",
                f"*=127.0.0.1:{fake_hosts.port}",
                "--format",
                "html",
                "-o",
                str(report),
                "--write",
                str(target),
                "--fail-on",
                "warning",
            ]
        )
    assert status == 1
    err = capsys.readouterr().err
    assert "scanned 1 page in 5 states" in err and f"{target}: new vendor 'hotjar' in 'statistics'" in err
    html = report.read_text(encoding="utf-8")
    assert "undeclared-cookie" in html and "data:image/png;base64," in html
    assert load_registry(target).vendor("hotjar").category == "statistics"


def test_progress_on_a_terminal(warnings_only: None, monkeypatch: pytest.MonkeyPatch) -> None:
    lines: list[str] = []

    class Terminal:
        def isatty(self) -> bool:
            return True

        def write(self, text: str) -> None:
            lines.append(text)

    monkeypatch.setattr("sys.stderr", Terminal())
    show = scan_cli._progress_printer()
    assert show is not None
    show(scan_cli.Progress(3, 18, "https://site.test/about", "only:marketing", None))
    assert lines == ["[3/18] only:marketing     https://site.test/about\n"]


@pytest.mark.browser
def test_robots_txt_can_forbid_the_start_page(
    fake_hosts: FakeHosts, capsys: pytest.CaptureFixture[str]
) -> None:
    with serve_site("none") as url:
        assert main(["scan", url + "/private", "--host-map", f"*=127.0.0.1:{fake_hosts.port}"]) == 2
    assert "robots.txt does not allow this page (use --no-robots)" in capsys.readouterr().err


@pytest.mark.browser
def test_an_unreachable_site_is_a_clear_error(capsys: pytest.CaptureFixture[str]) -> None:
    import socket

    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    assert main(["scan", f"http://127.0.0.1:{port}/", "--no-robots"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: http://127.0.0.1:{port}/: ") and "ERR_CONNECTION_REFUSED" in err
