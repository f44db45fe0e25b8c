/* The IAB TCF v2.3 CMP API (__tcfapi), answered from TCData the server rendered into the page.
 *
 * consent.tcf.cmpapi.render_tcf_stub inlines this file in <head>, before any ad tag, as
 * `(<this function>)(tcData, ping)`, so ping, addEventListener and getTCData answer at once, with no
 * request. It creates the __tcfapiLocator frame and answers __tcfapiCall messages from child frames.
 *
 * Events: listeners get the current TCData on addEventListener (eventStatus "tcloaded", or
 * "cmpuishown" when the page shows the banner); then
 *   - document "consent:shown" (the widget opened the banner or preferences): "cmpuishown";
 *   - document "consent:change" whose detail.tcf is the new TCData (the status JSON's "tcf"
 *     member): "useractioncomplete" with that data.
 */
(function (tcData, ping) {
  "use strict";
  var win = window, doc = document;
  if (typeof win.__tcfapi === "function" && win.__tcfapi.consentGate) return;
  var listeners = {}, nextId = 1;

  function copy(data, listenerId) {
    var out = JSON.parse(JSON.stringify(data));
    if (listenerId !== undefined) out.listenerId = listenerId;
    return out;
  }
  function only(data, vendorIds) {
    if (!Array.isArray(vendorIds) || !data.vendor) return data;
    ["consents", "legitimateInterests", "disclosedVendors"].forEach(function (key) {
      var all = data.vendor[key] || {}, picked = {};
      vendorIds.forEach(function (id) { picked[String(id)] = all[String(id)] === true; });
      data.vendor[key] = picked;
    });
    return data;
  }
  function notify() {
    Object.keys(listeners).forEach(function (id) {
      var entry = listeners[id];
      entry.callback(only(copy(tcData, Number(id)), entry.param), true);
    });
  }

  function api(command, version, callback, parameter) {
    if (typeof callback !== "function") return;
    if (version !== undefined && version !== null && version !== 0 && version !== 2) { callback(null, false); return; }
    if (command === "ping") {
      var answer = copy(ping);
      answer.cmpStatus = tcData.cmpStatus;
      answer.displayStatus = !tcData.gdprApplies ? "disabled" : tcData.eventStatus === "cmpuishown" ? "visible" : "hidden";
      callback(answer, true);
    } else if (command === "addEventListener") {
      var id = nextId++;
      listeners[id] = { callback: callback, param: parameter };
      callback(only(copy(tcData, id), parameter), true);
    } else if (command === "removeEventListener") {
      var known = Object.prototype.hasOwnProperty.call(listeners, parameter);
      delete listeners[parameter];
      callback(known, known);
    } else if (command === "getTCData") {
      callback(only(copy(tcData), parameter), true);
    } else {
      callback(null, false);
    }
  }
  api.consentGate = true;
  win.__tcfapi = api;

  // Frames that cannot call window.__tcfapi find this window by the frame's name and postMessage.
  // Added at once (in <head> there is no body yet: the root element takes it), so that an ad frame
  // loading early still finds it.
  if (!win.frames.__tcfapiLocator) {
    var frame = doc.createElement("iframe");
    frame.name = "__tcfapiLocator";
    frame.style.display = "none";
    frame.setAttribute("aria-hidden", "true");
    frame.setAttribute("tabindex", "-1");
    frame.setAttribute("title", "TCF locator");
    (doc.body || doc.documentElement).appendChild(frame);
  }

  win.addEventListener("message", function (event) {
    var asText = typeof event.data === "string", message = event.data;
    if (asText) { try { message = JSON.parse(event.data); } catch (e) { return; } }
    var call = message && typeof message === "object" && message.__tcfapiCall;
    if (!call || !event.source || typeof event.source.postMessage !== "function") return;
    api(call.command, call.version, function (returnValue, success) {
      var reply = { __tcfapiReturn: { returnValue: returnValue, success: success, callId: call.callId } };
      event.source.postMessage(asText ? JSON.stringify(reply) : reply, "*");
    }, call.parameter);
  }, false);

  doc.addEventListener("consent:shown", function () {
    tcData.eventStatus = "cmpuishown";
    notify();
  });
  doc.addEventListener("consent:change", function (event) {
    var next = event.detail && event.detail.tcf;
    if (!next || typeof next !== "object") return;
    tcData = copy(next);
    tcData.eventStatus = "useractioncomplete";
    notify();
  });
})
