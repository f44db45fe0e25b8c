/* The __gpp CMP API (GPP CMP API v1.1), answered from the PingReturn object the server renders into the
   data-consent-gpp attribute of this script (consent.gpp.render_gpp_stub). Inlined in <head>, before any
   ad tag: it runs synchronously and needs no request. Contract for updates: a "consent:change" event on
   document whose detail.gpp is a new PingReturn object (consent.gpp.gpp_data). */
(function () {
  "use strict";
  var win = window;
  var doc = document;
  var script = doc.currentScript;
  var data;
  try {
    data = JSON.parse(script.getAttribute("data-consent-gpp"));
  } catch (e) {
    return; // no data, no API: a broken page must not answer with invented signals
  }
  var LOCATOR = "__gppLocator";
  var listeners = {};
  var nextListenerId = 1;
  var previous = win.__gpp;

  function copy(value) {
    return JSON.parse(JSON.stringify(value));
  }

  function ping() {
    return copy(data);
  }

  function call(callback, value, success) {
    if (typeof callback === "function") callback(value, success);
  }

  function prefixOf(id) {
    for (var i = 0; i < data.supportedAPIs.length; i++) {
      var pair = data.supportedAPIs[i].split(":");
      if (Number(pair[0]) === id) return pair[1];
    }
    return String(id);
  }

  function idOf(prefix) {
    for (var i = 0; i < data.supportedAPIs.length; i++) {
      var pair = data.supportedAPIs[i].split(":");
      if (pair[1] === prefix) return Number(pair[0]);
    }
    return NaN;
  }

  function parsedSection(name) {
    if (name === "tcfeuv2") return null; // TCF data is read through __tcfapi or an event handler only
    var sections = data.parsedSections;
    return Object.prototype.hasOwnProperty.call(sections, name) ? copy(sections[name]) : null;
  }

  function field(parameter) {
    var parts = String(parameter).split(".");
    if (parts.length !== 2) return undefined;
    var section = parsedSection(parts[0]);
    if (!section) return null;
    for (var i = 0; i < section.length; i++) {
      if (Object.prototype.hasOwnProperty.call(section[i], parts[1])) return section[i][parts[1]];
    }
    return null;
  }

  function fire(eventName, eventData) {
    var ids = Object.keys(listeners);
    for (var i = 0; i < ids.length; i++) {
      var listener = listeners[ids[i]];
      if (!listener) continue; // removed by an earlier listener of this event
      try {
        listener({ eventName: eventName, listenerId: Number(ids[i]), data: eventData, pingData: ping() }, true);
      } catch (error) {
        // one vendor's failing listener must not silence the others; the error still reaches the console
        win.setTimeout(function () { throw error; }, 0);
      }
    }
  }

  function gpp(command, callback, parameter) {
    if (!arguments.length) return []; // a later CMP script asking for the queue: nothing is queued here
    if (command === "events") return []; // ...nor are listeners kept for it
    if (typeof command !== "string") return call(callback, null, false);
    switch (command) {
      case "ping":
        return call(callback, ping(), true);
      case "addEventListener":
        if (typeof callback !== "function") return undefined;
        var id = nextListenerId++;
        listeners[id] = callback;
        return callback({ eventName: "listenerRegistered", listenerId: id, data: true, pingData: ping() }, true);
      case "removeEventListener":
        var removed = Object.prototype.hasOwnProperty.call(listeners, parameter);
        delete listeners[parameter];
        return call(callback, {
          eventName: "listenerRemoved", listenerId: parameter, data: removed, pingData: ping()
        }, true);
      case "hasSection":
        return call(callback, data.sectionList.indexOf(idOf(String(parameter).split(".")[0])) >= 0, true);
      case "getSection":
        return call(callback, parsedSection(String(parameter)), true);
      case "getField":
        var value = field(parameter);
        return value === undefined ? call(callback, null, false) : call(callback, value, true);
      default:
        return call(callback, null, false);
    }
  }

  function sectionTexts(ping) {
    var texts = {};
    var parts = String(ping.gppString || "").split("~").slice(1);
    for (var i = 0; i < ping.sectionList.length; i++) texts[ping.sectionList[i]] = parts[i];
    return texts;
  }

  function update(next) {
    var before = sectionTexts(data);
    var display = data.cmpDisplayStatus;
    data.signalStatus = "not ready";
    fire("signalStatus", "not ready");
    var incoming = copy(next);
    incoming.signalStatus = "not ready";
    data = incoming;
    if (data.cmpDisplayStatus !== display) fire("cmpDisplayStatus", data.cmpDisplayStatus);
    var after = sectionTexts(data);
    var ids = Object.keys(before).concat(Object.keys(after).filter(function (k) { return !(k in before); }));
    ids.sort(function (a, b) { return a - b; });
    for (var i = 0; i < ids.length; i++) {
      if (before[ids[i]] !== after[ids[i]]) fire("sectionChange", prefixOf(Number(ids[i])));
    }
    data.signalStatus = "ready";
    fire("signalStatus", "ready");
  }

  function onMessage(event) {
    var isString = typeof event.data === "string";
    var message = event.data;
    if (isString) {
      try { message = JSON.parse(event.data); } catch (e) { return; }
    }
    if (!message || typeof message !== "object" || !message.__gppCall) return;
    var request = message.__gppCall;
    var source = event.source;
    gpp(request.command, function (returnValue, success) {
      var answer = { __gppReturn: { returnValue: returnValue, success: success, callId: request.callId } };
      if (source && source.postMessage) source.postMessage(isString ? JSON.stringify(answer) : answer, "*");
    }, request.parameter, request.version);
  }

  // Added at once, as the __tcfapi stub does (in <head> there is no body yet: the root element takes
  // it), so that an ad frame loading before the page's <body> still finds it.
  function addLocator() {
    if (win.frames[LOCATOR]) return;
    var frame = doc.createElement("iframe");
    frame.style.cssText = "display:none";
    frame.name = LOCATOR;
    frame.title = "GPP locator";
    frame.setAttribute("aria-hidden", "true");
    frame.tabIndex = -1;
    (doc.body || doc.documentElement).appendChild(frame);
  }

  // Calls made to an earlier stub (the IAB sample stub keeps them in __gpp.queue / __gpp.events).
  var queued = previous && previous.queue ? previous.queue.slice() : [];
  var earlierListeners = previous && previous.events ? previous.events.slice() : [];
  win.__gpp = gpp;
  win.addEventListener("message", onMessage, false);
  doc.addEventListener("consent:change", function (event) {
    var next = event.detail && event.detail.gpp;
    if (next && typeof next === "object" && typeof next.gppString === "string") update(next);
  });
  addLocator();
  for (var i = 0; i < earlierListeners.length; i++) gpp("addEventListener", earlierListeners[i].callback);
  for (var j = 0; j < queued.length; j++) gpp.apply(null, queued[j]);
})();
