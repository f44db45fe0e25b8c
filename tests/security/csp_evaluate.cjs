// Google's CSP Evaluator over policies read as a JSON list on stdin: prints, per policy, its findings
// (severity name, directive, value, description) as JSON. Run by tests/security/test_csp_bypasses.py.
"use strict";
const { CspEvaluator } = require("csp_evaluator/dist/evaluator.js");
const { CspParser } = require("csp_evaluator/dist/parser.js");
const { Severity } = require("csp_evaluator/dist/finding.js");

let input = "";
process.stdin.on("data", (chunk) => (input += chunk));
process.stdin.on("end", () => {
  const names = Object.fromEntries(
    Object.entries(Severity).filter(([, v]) => typeof v === "number").map(([k, v]) => [v, k]),
  );
  const out = JSON.parse(input).map((policy) =>
    new CspEvaluator(new CspParser(policy).csp).evaluate().map((f) => ({
      severity: names[f.severity],
      directive: f.directive,
      value: f.value || null,
      description: f.description,
    })),
  );
  process.stdout.write(JSON.stringify(out));
});
