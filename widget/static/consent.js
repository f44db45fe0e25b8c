// consent.js: progressive enhancement for the consent widget. Without it every control is a plain form or
// link that works; with it, choices are sent with fetch, the preferences open in a dialog, and newly
// approved scripts and embeds start without a reload. No dependencies, no build step.
const doc = document;
const self = doc.querySelector("script[data-consent-script]");
const nonce = self ? self.nonce || self.getAttribute("nonce") : "";
const reloadAlways = self ? self.hasAttribute("data-consent-reload") : false;
let opener = null;

const $$ = (sel, root = doc) => Array.from(root.querySelectorAll(sel));
const focusables = (root) => $$("a[href],button:not([disabled]),input:not([disabled]),summary,select,textarea,[tabindex]:not([tabindex='-1'])", root)
  .filter((el) => el.offsetParent !== null || el === doc.activeElement);

function dialog() { return doc.querySelector("[data-consent-dialog]"); }

async function openPanel(url, from) {
  const box = dialog();
  if (!box || typeof box.showModal !== "function") { location.href = url; return; }
  const u = new URL(url, location.href);
  u.searchParams.set("fragment", "1");
  const res = await fetch(u, { credentials: "same-origin", headers: { Accept: "text/html" } });
  if (!res.ok) { location.href = url; return; }
  box.querySelector("[data-consent-dialog-content]").innerHTML = await res.text();
  opener = from || doc.activeElement;
  box.showModal();
  doc.dispatchEvent(new CustomEvent("consent:shown")); // the __tcfapi stub tells listeners "cmpuishown"
  const first = focusables(box).find((el) => !el.matches("[data-consent-close]"));
  if (first) first.focus();
}

function closePanel() {
  const box = dialog();
  if (box && box.open) box.close();
}

function syncBoxes(changed) {
  const form = changed.form;
  if (!form) return;
  if (changed.dataset.consentCategory) {
    for (const v of $$(`[data-consent-in="${changed.dataset.consentCategory}"]`, form)) v.checked = changed.checked;
  } else if (changed.dataset.consentIn) {
    const cat = form.querySelector(`[data-consent-category="${changed.dataset.consentIn}"]`);
    const all = $$(`[data-consent-in="${changed.dataset.consentIn}"]`, form);
    if (cat) cat.checked = all.every((v) => v.checked);
  }
}

// Where a node sits under its nearest ancestor with an id: how to find its twin in a fresh copy of the page.
function pathOf(el) {
  const steps = [];
  let node = el;
  for (; node.parentElement && !node.parentElement.id && node.parentElement !== doc.body; node = node.parentElement) steps.unshift(node);
  const root = node.parentElement;
  return { id: root.id, steps: [node, ...steps].map((n) => Array.prototype.indexOf.call(n.parentElement.children, n)) };
}
function twin(fresh, { id, steps }) {
  let node = id ? fresh.getElementById(id) : fresh.body;
  for (const i of steps) node = node && node.children[i];
  return node;
}

async function refreshGated() {
  const res = await fetch(location.href, { credentials: "same-origin", headers: { Accept: "text/html" } });
  if (!res.ok) { location.reload(); return; }
  const fresh = new DOMParser().parseFromString(await res.text(), "text/html");
  const blocked = (el) => !!el.querySelector(".consent-placeholder");
  // Replace only what changed: an embed that was already running (a playing video) is left alone.
  const changes = $$("[data-consent-slot]").map((slot) => {
    const next = fresh.querySelector(`[data-consent-slot="${slot.dataset.consentSlot}"]`);
    // A script vendor's placeholder is gone from the fresh page: what the site shows instead takes its place.
    return [slot, next || twin(fresh, pathOf(slot))];
  });
  for (const [slot, next] of changes) {
    const name = next && next.dataset.consentSlot;
    if (!next || (name !== undefined && name !== slot.dataset.consentSlot)) slot.remove();
    else if (name === undefined || blocked(next) !== blocked(slot)) slot.replaceWith(doc.importNode(next, true));
  }
  for (const tag of $$("script[data-consent-key],img[data-consent-key]", fresh)) {
    // A pixel meant for visitors without JavaScript only (<noscript>) must not fire here too.
    if (tag.closest("noscript") || doc.querySelector(`[data-consent-key="${tag.dataset.consentKey}"]`)) continue;
    const el = doc.createElement(tag.tagName.toLowerCase());
    for (const { name, value } of Array.from(tag.attributes)) if (name !== "nonce") el.setAttribute(name, value);
    if (el.tagName === "SCRIPT") { if (nonce) el.nonce = nonce; el.textContent = tag.textContent; }
    (tag.closest("head") ? doc.head : doc.body).appendChild(el);
  }
}

async function submit(event) {
  const form = event.target.closest("form[data-consent-form]");
  if (!form) return;
  event.preventDefault();
  const data = new FormData(form, event.submitter || undefined);
  // Not form.action: the buttons named "action" shadow that property.
  const url = new URL(form.getAttribute("action") || "", location.href);
  let res;
  try {
    res = await fetch(url, {
      method: "POST", body: new URLSearchParams(data), credentials: "same-origin",
      headers: { Accept: "application/json" },
    });
  } catch (err) { res = null; }
  if (!res || !res.ok) {
    // Let the server answer the plain form instead, so a choice is never silently lost.
    if (event.submitter && event.submitter.name) {
      const hidden = doc.createElement("input");
      hidden.type = "hidden"; hidden.name = event.submitter.name; hidden.value = event.submitter.value;
      form.appendChild(hidden);
    }
    HTMLFormElement.prototype.submit.call(form);
    return;
  }
  const state = await res.json();
  if (!(await stored(url, state))) { report(form, event.submitter); return; }
  // A click-to-load grant answers no purpose: the banner stays until the visitor chooses.
  if (!state.needs_prompt) for (const banner of $$("[data-consent-banner]")) banner.hidden = true;
  closePanel();
  if (state.consent_mode && typeof window.gtag === "function") window.gtag("consent", "update", state.consent_mode);
  const ms = state.microsoft_consent;
  if (ms && ms.uet) { window.uetq = window.uetq || []; window.uetq.push("consent", "update", ms.uet); }
  if (ms && ms.clarity && typeof window.clarity === "function") window.clarity("consentv2", ms.clarity);
  doc.dispatchEvent(new CustomEvent("consent:change", { detail: state }));
  if (state.reload || reloadAlways) { location.reload(); return; }
  await refreshGated();
  land();
}

// The consent cookie is HttpOnly: ask the site what it reads back, so a cookie the browser refused (a
// Secure cookie over plain http) is reported instead of hiding the banner as if the choice were kept.
async function stored(url, state) {
  try {
    const res = await fetch(new URL("status", url), { credentials: "same-origin", headers: { Accept: "application/json" } });
    const now = await res.json();
    return now.consent_id === state.consent_id && now.method === state.method
      && JSON.stringify(now.vendors) === JSON.stringify(state.vendors);
  } catch (err) { return false; }
}

function report(form, submitter) {
  const msg = doc.querySelector("[data-consent-error]");
  if (!msg) return;
  const host = form.closest("[data-consent-banner],[data-consent-dialog-content]")
    || (submitter && submitter.closest(".consent-placeholder")) || doc.body;
  host.prepend(msg);
  msg.hidden = false;
  msg.focus();
}

// After a save the control used may be hidden (the banner's) or replaced: never leave the focus on <body>.
const shown = (el) => el && el.isConnected && el.getClientRects().length > 0;
function land(from) {
  const now = doc.activeElement;
  if (shown(now) && now !== doc.body) return;
  const to = [from, ...$$(".consent-floating,[data-consent-open]")].find(shown);
  if (to) to.focus();
}

doc.addEventListener("submit", submit);
doc.addEventListener("change", (e) => { if (e.target.matches("input[type=checkbox]")) syncBoxes(e.target); });
doc.addEventListener("click", (e) => {
  const link = e.target.closest("[data-consent-open]");
  if (link) { e.preventDefault(); openPanel(link.href, link); return; }
  if (e.target.closest("[data-consent-close]")) closePanel();
});
doc.addEventListener("keydown", (e) => {
  const box = dialog();
  if (!box || !box.open || e.key !== "Tab") return;
  const items = focusables(box);
  if (!items.length) return;
  const first = items[0], last = items[items.length - 1];
  if (e.shiftKey && doc.activeElement === first) { e.preventDefault(); last.focus(); }
  else if (!e.shiftKey && doc.activeElement === last) { e.preventDefault(); first.focus(); }
});
const box = dialog();
if (box) box.addEventListener("close", () => { land(opener); opener = null; });
