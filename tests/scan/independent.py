"""The independent scanner: npm ``@slashgear/gdpr-cookie-scanner`` (``gdpr-scan``), run beside ours.

It drives Playwright's "Chrome Headless Shell", which cannot be downloaded here: ``PLAYWRIGHT_BROWSERS_PATH``
points at a folder where that executable is Debian's Chromium, wrapped in a small script that adds the
same ``--host-resolver-rules`` our scan uses, so both scanners meet the same fake third parties.

Both results are reduced to what both scanners judge: which cookies and third-party hosts needing
consent appear before any choice and after "Reject all", and what a cookie is said to be.
"""

from __future__ import annotations

import json
import shlex
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from consent.scan import ScanReport
from consent.scan.browser import resolver_rules

ROOT = Path(__file__).resolve().parents[2]
GDPR_SCAN = ROOT / "node_modules" / "@slashgear" / "gdpr-cookie-scanner" / "dist" / "cli.js"
BROWSERS = ROOT / "node_modules" / "playwright-core" / "browsers.json"
CHROMIUM = "/usr/lib/chromium/chromium"


@dataclass(frozen=True)
class Verdict:
    """What a scanner says needs consent but happened before any choice, and after Reject all."""

    before: frozenset[str]
    after_reject: frozenset[str]


def browsers_folder(folder: Path, host_map: Mapping[str, str]) -> Path:
    """A ``PLAYWRIGHT_BROWSERS_PATH`` whose headless shell is Debian's Chromium (with the host map)."""
    browsers = json.loads(BROWSERS.read_text(encoding="utf-8"))["browsers"]
    revision = next(b["revision"] for b in browsers if b["name"] == "chromium-headless-shell")
    executable = (
        folder
        / f"chromium_headless_shell-{revision}"
        / "chrome-headless-shell-linux64"
        / "chrome-headless-shell"
    )
    executable.parent.mkdir(parents=True, exist_ok=True)
    flags = (
        [f"--host-resolver-rules={resolver_rules(host_map)}", "--ignore-certificate-errors"]
        if host_map
        else []
    )
    executable.write_text(f'#!/bin/sh\nexec {CHROMIUM} {shlex.join(flags)} "$@"\n', encoding="utf-8")
    executable.chmod(0o755)
    return folder


def gdpr_scan(url: str, folder: Path, host_map: Mapping[str, str]) -> dict[str, Any]:
    """Run ``gdpr-scan scan URL --strict`` and return its JSON report."""
    out = folder / "report"
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(folder),
        "PLAYWRIGHT_BROWSERS_PATH": str(browsers_folder(folder / "browsers", host_map)),
    }
    command = ["node", str(GDPR_SCAN), "scan", url, "-o", str(out), "-f", "json", "-l", "en-US", "--strict"]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=240, check=False)
    reports = sorted(out.rglob("gdpr-report-*.json"))
    if not reports:
        raise AssertionError(
            f"gdpr-scan wrote no report (exit {done.returncode}):\n{done.stdout}\n{done.stderr}"
        )
    data: dict[str, Any] = json.loads(reports[-1].read_text(encoding="utf-8"))
    return data


def their_verdict(report: Mapping[str, Any]) -> Verdict:
    """gdpr-scan's findings; with ``--strict`` it flags every unrecognised request, the site's own
    included, so requests to the scanned site itself are left out."""
    site = _host(str(report.get("url", "")))

    def flagged(cookies: str, network: str) -> frozenset[str]:
        names = {f"cookie {c['name']}" for c in report.get(cookies, ()) if c.get("requiresConsent")}
        hosts = {
            f"host {_host(r['url'])}"
            for r in report.get(network, ())
            if r.get("isThirdParty") and r.get("requiresConsent") and _host(r["url"]) != site
        }
        return frozenset(names | hosts)

    return Verdict(
        flagged("cookiesBeforeInteraction", "networkBeforeInteraction"),
        flagged("cookiesAfterReject", "networkAfterReject"),
    )


def our_verdict(report: ScanReport) -> Verdict:
    def flagged(code: str) -> frozenset[str]:
        found = set()
        for f in report.findings:
            if f.code == code and f.kind in ("cookie", "host"):
                name = f.subject.split(" (")[0]
                found.add(f"{f.kind} {name}")
        return frozenset(found)

    return Verdict(flagged("before-consent"), flagged("after-reject"))


CLASSIFY = """
import { classifyCookie } from %s;
const names = JSON.parse(process.argv[1]);
console.log(JSON.stringify(Object.fromEntries(names.map((n) => [n, classifyCookie(n, "", "", true)]))));
"""


def their_categories(names: list[str]) -> dict[str, str]:
    """gdpr-scan's own cookie classifier (it bundles the Open Cookie Database): name -> category."""
    module = GDPR_SCAN.parent / "classifiers" / "cookie-classifier.js"
    script = CLASSIFY % json.dumps(module.as_uri())
    done = subprocess.run(
        ["node", "--input-type=module", "-e", script, json.dumps(names)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return {name: found["category"] for name, found in json.loads(done.stdout).items()}


def side_by_side(site: str, ours: Verdict, theirs: Verdict) -> str:
    lines = [f"{site}:"]
    for label, a, b in (
        ("before any choice", ours.before, theirs.before),
        ("after Reject all", ours.after_reject, theirs.after_reject),
    ):
        lines.append(f"  {label:<18} consent scan: {', '.join(sorted(a)) or '-'}")
        lines.append(f"  {'':<18} gdpr-scan:    {', '.join(sorted(b)) or '-'}")
    return "\n".join(lines)


def _host(url: str) -> str:
    from urllib.parse import urlsplit

    return (urlsplit(url).hostname or "").lower()
