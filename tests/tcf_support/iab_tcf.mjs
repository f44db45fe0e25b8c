// The judge: IAB Tech Lab's own TC string library (@iabtechlabtcf/core), driven over stdin/stdout.
// One request per line, one JSON answer per line:
//   {"op": "decode", "string": "..."}  -> {"ok": true, "fields": {...}} or {"ok": false, "error": "..."}
//   {"op": "encode", "model": {...}}   -> {"ok": true, "string": "...", "fields": {...}} (fields: IAB's
//                                          decoding of the string it wrote; "full": true in the model
//                                          goes through TCString.encode and its semantic pre-pass)
import readline from "node:readline";
import { GVL, PurposeRestriction, Segment, SegmentEncoder, TCModel, TCString } from "@iabtechlabtcf/core";

// A vendor list where every id up to 3,000 is a vendor declaring every purpose (and purposes 2, 7-10
// as flexible), so that IAB's restriction vector keeps whatever restrictions the test sets.
const vendors = {};
for (let id = 1; id <= 3000; id++) {
  vendors[id] = {
    id, name: `Vendor ${id}`, purposes: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11], legIntPurposes: [2, 7, 8, 9, 10, 11],
    flexiblePurposes: [2, 7, 8, 9, 10], specialPurposes: [1, 2], features: [1, 2, 3], specialFeatures: [1, 2],
    urls: [], dataRetention: { stdRetention: 30, purposes: {}, specialPurposes: {} }, dataDeclaration: [],
  };
}
const named = (n) => Object.fromEntries(Array.from({ length: n }, (_, i) => [i + 1, { id: i + 1, name: `#${i + 1}`, description: "" }]));
const gvl = new GVL({
  gvlSpecificationVersion: 3, vendorListVersion: 100, tcfPolicyVersion: 5, lastUpdated: "2026-01-01T00:00:00Z",
  purposes: named(11), specialPurposes: named(2), features: named(3), specialFeatures: named(2), stacks: {},
  dataCategories: named(11), vendors,
});

const ids = (vector) => Array.from(vector.values()).sort((a, b) => a - b);

function fields(model, string) {
  const restrictions = [];
  for (const hash of model.publisherRestrictions.map.keys()) {
    const [purpose, type] = hash.split("-").map(Number);
    restrictions.push([purpose, type, Array.from(model.publisherRestrictions.map.get(hash)).sort((a, b) => a - b)]);
  }
  restrictions.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  return {
    segments: string.split(".").slice(1).map((s) => "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".indexOf(s[0]) >> 3),
    version: model.version,
    created: model.created.getTime(),
    lastUpdated: model.lastUpdated.getTime(),
    cmpId: model.cmpId,
    cmpVersion: model.cmpVersion,
    consentScreen: model.consentScreen,
    consentLanguage: model.consentLanguage,
    vendorListVersion: model.vendorListVersion,
    policyVersion: model.policyVersion,
    isServiceSpecific: model.isServiceSpecific,
    useNonStandardTexts: model.useNonStandardTexts,
    specialFeatureOptins: ids(model.specialFeatureOptins),
    purposeConsents: ids(model.purposeConsents),
    purposeLegitimateInterests: ids(model.purposeLegitimateInterests),
    purposeOneTreatment: model.purposeOneTreatment,
    publisherCountryCode: model.publisherCountryCode,
    vendorConsents: ids(model.vendorConsents),
    vendorLegitimateInterests: ids(model.vendorLegitimateInterests),
    publisherRestrictions: restrictions,
    vendorsDisclosed: ids(model.vendorsDisclosed),
    publisherConsents: ids(model.publisherConsents),
    publisherLegitimateInterests: ids(model.publisherLegitimateInterests),
    numCustomPurposes: model.numCustomPurposes,
    publisherCustomConsents: ids(model.publisherCustomConsents),
    publisherCustomLegitimateInterests: ids(model.publisherCustomLegitimateInterests),
  };
}

function encode(m) {
  // IAB's segment encoder, field by field. TCString.encode would first run its semantic pre-pass,
  // which copies the list's versions and language into the model and clones the whole 3,000-vendor
  // list on every call (minutes for 500 strings); the fields it copies are set here instead.
  const model = new TCModel();
  model.created = new Date(m.created);
  model.lastUpdated = new Date(m.lastUpdated);
  model.cmpId = m.cmpId;
  model.cmpVersion = m.cmpVersion;
  model.consentScreen = m.consentScreen;
  model.consentLanguage = m.consentLanguage;
  model.vendorListVersion = m.vendorListVersion;
  model.policyVersion = m.policyVersion;
  model.isServiceSpecific = m.isServiceSpecific;
  model.useNonStandardTexts = m.useNonStandardTexts;
  model.purposeOneTreatment = m.purposeOneTreatment;
  model.publisherCountryCode = m.publisherCountryCode;
  for (const [name, values] of Object.entries(m.vectors)) if (values.length) model[name].set(values);
  // Restrictions are range-encoded across vendor ids the list knows: give it the list.
  model.publisherRestrictions.gvl = gvl;
  for (const [purpose, type, list] of m.publisherRestrictions) {
    for (const vendor of list) model.publisherRestrictions.add(vendor, new PurposeRestriction(purpose, type));
  }
  if (m.numCustomPurposes) model.numCustomPurposes = m.numCustomPurposes;
  const segments = [Segment.CORE, Segment.VENDORS_DISCLOSED, ...(m.publisherTC ? [Segment.PUBLISHER_TC] : [])];
  let string;
  if (m.full) {
    // The whole public path, pre-pass included, for a few strings: it takes the versions and the
    // language from the vendor list (cached under the language so that nothing is fetched).
    gvl.vendorListVersion = m.vendorListVersion;
    gvl.tcfPolicyVersion = m.policyVersion;
    if (!GVL.LANGUAGE_CACHE.has(m.consentLanguage)) GVL.LANGUAGE_CACHE.set(m.consentLanguage, GVL.LANGUAGE_CACHE.get("EN"));
    gvl.lang_ = m.consentLanguage;
    model.gvl = gvl;
    string = TCString.encode(model, { segments });
  } else {
    string = segments.map((segment) => SegmentEncoder.encode(model, segment)).join(".");
  }
  return { ok: true, string, fields: fields(TCString.decode(string), string) };
}

const lines = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
for await (const line of lines) {
  if (!line.trim()) continue;
  let answer;
  try {
    const request = JSON.parse(line);
    if (request.op === "decode") {
      answer = { ok: true, fields: fields(TCString.decode(request.string), request.string) };
    } else if (request.op === "encode") {
      answer = encode(request.model);
    } else {
      answer = { ok: false, error: `unknown op ${request.op}` };
    }
  } catch (err) {
    answer = { ok: false, error: String(err && err.message ? err.message : err) };
  }
  process.stdout.write(JSON.stringify(answer) + "\n");
}
