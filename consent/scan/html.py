"""The HTML report: one self-contained file (inline CSS, screenshots as base64 PNG, no script)."""

from __future__ import annotations

import base64

from jinja2 import Environment

from .findings import ScanReport
from .report import speed_line
from .states import ConsentState

_TEMPLATE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Consent scan of {{ run.start_url }}</title>
<style>
body { font: 15px/1.45 system-ui, sans-serif; margin: 2rem auto; max-width: 72rem; padding: 0 1rem; color: #1b1b1b; }
h1 { font-size: 1.6rem; } h2 { margin-top: 2.5rem; border-bottom: 1px solid #ccc; } h3 { margin-top: 1.5rem; }
table { border-collapse: collapse; width: 100%; margin: .5rem 0 1rem; font-size: .9rem; }
th, td { border: 1px solid #ddd; padding: .3rem .5rem; text-align: left; vertical-align: top; }
th { background: #f3f3f3; }
.error { background: #fde2e1; } .warning { background: #fff4d6; } .info { background: #eaf2ff; }
.violation { color: #a00; font-weight: 600; } .undeclared { color: #8a5a00; font-weight: 600; }
.summary { display: flex; gap: 1rem; flex-wrap: wrap; }
.summary div { border: 1px solid #ddd; border-radius: .4rem; padding: .6rem 1rem; min-width: 8rem; }
.summary strong { display: block; font-size: 1.6rem; }
.shot { max-width: 100%; border: 1px solid #ccc; }
.timeline { position: relative; border-left: 2px solid #555; margin: .5rem 0 1.5rem 12rem; }
.timeline div { position: relative; height: 1.4rem; }
.timeline span.label { position: absolute; right: 100%; width: 11.5rem; padding-right: .5rem; text-align: right; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.timeline span.mark { position: absolute; top: .35rem; width: .7rem; height: .7rem; border-radius: 50%; background: #2a6; }
.timeline span.mark.violation { background: #c00; } .timeline span.mark.undeclared { background: #d90; }
code { font-size: .85rem; }
</style>
</head>
<body>
<h1>Consent scan of <a href="{{ run.start_url }}">{{ run.start_url }}</a></h1>
<p>{% if report.registry_name %}Registry: <strong>{{ report.registry_name }}</strong>. {% endif %}{{ speed }}.</p>
<section aria-labelledby="summary">
<h2 id="summary">Summary</h2>
<div class="summary">
{% for severity, count in counts.items() %}<div class="{{ severity }}"><strong>{{ count }}</strong>{{ severity }}{{ "s" if count != 1 }}</div>{% endfor %}
<div><strong>{{ run.pages|length }}</strong>pages</div>
<div><strong>{{ run.states|length }}</strong>states</div>
</div>
{% if report.findings %}
<table>
<thead><tr><th>Severity</th><th>Code</th><th>Subject</th><th>Message</th><th>States</th><th>Pages</th></tr></thead>
<tbody>
{% for f in report.findings %}
<tr class="{{ f.severity.value }}"><td>{{ f.severity.value }}</td><td><code>{{ f.code }}</code></td><td>{{ f.subject }}</td>
<td>{{ f.message }}{% if f.suggestion %}<br><em>Suggested entry: {{ f.suggestion.vendor_id }}{{ " (new vendor)" if f.suggestion.new_vendor }}{% if f.suggestion.category %} in {{ f.suggestion.category }}{% endif %}</em>{% endif %}</td>
<td>{{ f.states|join(", ") }}</td><td>{{ f.pages|join(", ") }}</td></tr>
{% endfor %}
</tbody>
</table>
{% else %}<p>No findings: the site does what its registry says.</p>{% endif %}
{% if report.unseen_required %}<p>Required vendors not observed (server-side, or behind a sign-in): {{ report.unseen_required|join(", ") }}.</p>{% endif %}
</section>
{% for page in run.pages %}
<section>
<h2>{{ page }}</h2>
{% for visit in visits[page] %}
<h3>{{ label(visit.state) }}</h3>
{% if visit.problem %}<p class="violation">Could not reach this state: {{ visit.problem }}</p>{% endif %}
{% if visit.screenshot %}<p><img class="shot" alt="The consent controls the scanner used {{ label(visit.state) }}" src="data:image/png;base64,{{ png(visit.screenshot) }}"></p>{% endif %}
{% set rows = report.rows.get((visit.page, visit.state), []) %}
{% if rows %}
<table>
<thead><tr><th>Time (s)</th><th>Kind</th><th>Name</th><th>Where</th><th>Vendor</th><th>How</th><th>Verdict</th></tr></thead>
<tbody>
{% for r in rows %}
<tr><td>{{ "%.2f"|format(r.time) }}</td><td>{{ r.kind }}</td><td><code>{{ r.name }}</code></td><td>{{ r.where }}</td>
<td>{{ r.attribution.name if r.attribution else "unknown" }}{% if r.attribution and r.attribution.category %} ({{ r.attribution.category }}){% endif %}</td>
<td>{{ r.attribution.how if r.attribution else "" }}{% if r.detail %}<br><small>{{ r.detail }}</small>{% endif %}</td>
<td class="{{ r.verdict }}">{{ r.verdict }}</td></tr>
{% endfor %}
</tbody>
</table>
{% set cookies = rows|selectattr("kind", "equalto", "cookie")|list %}
{% if cookies %}
<p>When each cookie appeared (seconds after the context opened{{ ", the choice included" if visit.state != "before" }}):</p>
<div class="timeline" role="list">
{% set longest = [cookies|map(attribute="time")|max, 0.001]|max %}
{% for r in cookies %}<div role="listitem"><span class="label">{{ r.name }}</span><span class="mark {{ r.verdict }}" style="left: calc({{ (r.time / longest * 95)|round(1) }}% )" title="{{ r.name }} at {{ '%.2f'|format(r.time) }} s"></span></div>{% endfor %}
</div>
{% endif %}
{% else %}<p>Nothing but the site itself.</p>{% endif %}
{% endfor %}
</section>
{% endfor %}
</body>
</html>
"""

_environment = Environment(autoescape=True, trim_blocks=True, lstrip_blocks=True)


def render_html(report: ScanReport) -> str:
    run = report.run
    visits = {page: [v for v in run.visits if v.page == page] for page in run.pages}
    return _environment.from_string(_TEMPLATE).render(
        report=report,
        run=run,
        visits=visits,
        counts=report.severity_counts(),
        speed=speed_line(report),
        label=lambda state: ConsentState(state).label,
        png=lambda data: base64.b64encode(data).decode("ascii"),
    )
