// IAB's own GPP library (@iabgpp/cmpapi) behind a JSON-lines pipe, for tests/test_gpp_iab.py.
// One request per stdin line, one answer per stdout line, in order:
//   {"op": "decode", "gpp": "DBABLA~..."}
//      -> {"ok": true, "sectionList": [7], "sections": {"usnat": {...fields...}}, "gpcIncluded": {"usnat": true},
//          "ping": {...PingReturn from __gpp("ping")...}}
//      or {"ok": false, "error": "..."}
//   {"op": "encode", "sections": {"usnat": {"SaleOptOut": 1, ...}}, "gpcIncluded": {"usnat": false}, "tc": "C..."}
//      -> {"ok": true, "gpp": "DBABLA~..."}
//   {"op": "tcf", "fields": {"CmpId": 10, "PurposeConsents": [...], ...}} -> {"ok": true, "tc": "C..."}
// Decoding goes through CmpApi (setGppString, then the page API __gpp("ping")), as a page's ad tag reads it.
import * as readline from "node:readline";

// CmpApi installs window.__gpp and reads queued calls from an earlier stub: give it a window without one.
globalThis.window = { __gpp: () => [] };
const { CmpApi, GppModel } = await import("@iabgpp/cmpapi");

const cmp = new CmpApi(1, 1);
const GPC_SECTIONS = ["usnat", "usca", "usco", "usct"];

function ping() {
  let result = null;
  globalThis.window.__gpp("ping", (data, success) => { result = success ? data : null; });
  return result;
}

function decode(gpp) {
  cmp.setGppString(gpp);
  const answer = ping();
  if (answer === null) throw new Error("ping failed");
  const sections = {};
  const gpcIncluded = {};
  for (const name of Object.keys(answer.parsedSections)) {
    sections[name] = cmp.getSection(name);
    if (GPC_SECTIONS.includes(name)) gpcIncluded[name] = cmp.getFieldValue(name, "GpcSegmentIncluded");
  }
  return { ok: true, sectionList: answer.sectionList, sections, gpcIncluded, ping: answer };
}

function encode(sections, gpcIncluded, tc) {
  const model = new GppModel();
  if (tc) model.decodeSection("tcfeuv2", tc);
  for (const [name, fields] of Object.entries(sections)) {
    for (const [field, value] of Object.entries(fields)) model.setFieldValue(name, field, value);
    if (name in (gpcIncluded || {})) model.setFieldValue(name, "GpcSegmentIncluded", gpcIncluded[name]);
  }
  return { ok: true, gpp: model.encode() };
}

function tcf(fields) {
  const model = new GppModel();
  for (const [field, value] of Object.entries(fields)) {
    model.setFieldValue("tcfeuv2", field, field === "Created" || field === "LastUpdated" ? new Date(value) : value);
  }
  return { ok: true, tc: model.encodeSection("tcfeuv2") };
}

const lines = readline.createInterface({ input: process.stdin, terminal: false });
for await (const line of lines) {
  if (!line.trim()) continue;
  let answer;
  try {
    const request = JSON.parse(line);
    if (request.op === "decode") answer = decode(request.gpp);
    else if (request.op === "encode") answer = encode(request.sections, request.gpcIncluded, request.tc);
    else if (request.op === "tcf") answer = tcf(request.fields);
    else answer = { ok: false, error: `unknown op ${request.op}` };
  } catch (error) {
    answer = { ok: false, error: String(error && error.message ? error.message : error) };
  }
  process.stdout.write(JSON.stringify(answer) + "\n");
}
