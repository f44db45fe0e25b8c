"""The scan report as text (terminal), JSON (tools) and Markdown (pull requests); HTML is in
:mod:`consent.scan.html`."""

from __future__ import annotations

import json
from typing import Any

from .findings import Finding, Row, ScanReport
from .states import ConsentState


def speed_line(report: ScanReport) -> str:
    """Duration and throughput of the scan, printed after every run."""
    run = report.run
    seconds = max(run.duration, 1e-9)
    visits = len(run.visits)
    return (
        f"scanned {len(run.pages)} page{'s' if len(run.pages) != 1 else ''} in {len(run.states)} states "
        f"({visits} visits) in {run.duration:.1f} s: {len(run.pages) / seconds:.2f} pages/s, "
        f"{visits / seconds:.2f} states/s"
    )


def _summary(report: ScanReport) -> str:
    counts = report.severity_counts()
    total = sum(counts.values())
    if not total:
        return "no findings"
    return ", ".join(f"{n} {sev}{'s' if n != 1 else ''}" for sev, n in counts.items() if n)


def render_text(report: ScanReport) -> str:
    run = report.run
    lines = [
        f"consent scan of {run.start_url}"
        + (f" against {report.registry_name!r}" if report.registry_name else ""),
        f"pages: {', '.join(run.pages)}",
        f"states: {', '.join(ConsentState(s).label for s in run.states)}",
        "",
    ]
    for finding in report.findings:
        lines.append(str(finding))
        if finding.pages:
            lines.append(f"    pages: {', '.join(finding.pages)}")
        if finding.suggestion:
            lines.append(f"    suggestion: {_suggestion_text(finding)}")
    if report.unseen_required:
        lines.append("")
        lines.append(
            "required vendors not observed (server-side or behind a sign-in?): "
            + ", ".join(report.unseen_required)
        )
    lines += ["", f"{_summary(report)}; {speed_line(report)}"]
    return "\n".join(lines) + "\n"


def _suggestion_text(finding: Finding) -> str:
    s = finding.suggestion
    assert s is not None
    parts = []
    if s.hosts:
        parts.append("hosts " + ", ".join(s.hosts))
    if s.cookies:
        parts.append("cookies " + ", ".join(f"{c.name} ({c.lifetime})" for c in s.cookies))
    target = f"new vendor {s.vendor_id!r} in {s.category!r}" if s.new_vendor else f"vendor {s.vendor_id!r}"
    return f"add {' and '.join(parts)} to {target}"


def report_data(report: ScanReport) -> dict[str, Any]:
    run = report.run
    return {
        "url": run.start_url,
        "registry": report.registry_name,
        "pages": run.pages,
        "states": run.states,
        "duration_seconds": round(run.duration, 3),
        "summary": report.severity_counts(),
        "findings": [_finding_data(f) for f in report.findings],
        "unseen_required_vendors": list(report.unseen_required),
        "visits": [
            {
                "page": v.page,
                "state": v.state,
                "problem": v.problem,
                "duration_seconds": round(v.duration, 3),
                "observations": [_row_data(r) for r in report.rows.get((v.page, v.state), [])],
            }
            for v in run.visits
        ],
    }


def _finding_data(finding: Finding) -> dict[str, Any]:
    data: dict[str, Any] = {
        "severity": finding.severity.value,
        "code": finding.code,
        "kind": finding.kind,
        "subject": finding.subject,
        "message": finding.message,
        "vendor": finding.vendor,
        "states": list(finding.states),
        "pages": list(finding.pages),
    }
    s = finding.suggestion
    if s is not None:
        data["suggestion"] = {
            "vendor_id": s.vendor_id,
            "new_vendor": s.new_vendor,
            "name": s.name,
            "category": s.category,
            "policy_url": s.policy_url,
            "hosts": list(s.hosts),
            "cookies": [c.__dict__ for c in s.cookies],
        }
    return data


def _row_data(row: Row) -> dict[str, Any]:
    a = row.attribution
    return {
        "kind": row.kind,
        "name": row.name,
        "where": row.where,
        "time": row.time,
        "verdict": row.verdict,
        "detail": row.detail,
        "attribution": None
        if a is None
        else {
            "source": a.source,
            "vendor": a.vendor_id,
            "name": a.name,
            "category": a.category,
            "how": a.how,
        },
    }


def render_json(report: ScanReport) -> str:
    return json.dumps(report_data(report), indent=2, ensure_ascii=False) + "\n"


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(report: ScanReport) -> str:
    run = report.run
    lines = [f"# consent scan of {run.start_url}", "", f"**{_summary(report)}** — {speed_line(report)}", ""]
    if report.findings:
        lines += ["| Severity | Code | Subject | Message | Pages |", "|---|---|---|---|---|"]
        for f in report.findings:
            lines.append(
                f"| {f.severity.value} | `{f.code}` | {_md(f.subject)} | {_md(f.message)} | {len(f.pages)} |"
            )
        lines.append("")
    for visit in run.visits:
        rows = report.rows.get((visit.page, visit.state), [])
        lines += [f"## {visit.page} — {ConsentState(visit.state).label}", ""]
        if visit.problem:
            lines += [f"Could not reach this state: {_md(visit.problem)}", ""]
        if not rows:
            lines += ["Nothing but the site itself.", ""]
            continue
        lines += ["| Time (s) | Kind | Name | Where | Vendor | Verdict |", "|---|---|---|---|---|---|"]
        for r in rows:
            who = r.attribution.name if r.attribution else "?"
            lines.append(
                f"| {r.time:.2f} | {r.kind} | `{_md(r.name)}` | {_md(r.where)} | {_md(who)} | {r.verdict} |"
            )
        lines.append("")
    return "\n".join(lines)
