// Today: one-tap logging that survives a lost connection (issue 16).
// Each form carries a random idempotency key rendered by the server. A tap is sent with fetch;
// if the network is down it is queued in localStorage with its key and sent again when the
// browser is back online. The server stores a key once, so a tap replayed any number of times
// is one diary entry. Without JavaScript the forms post normally.
(function () {
  "use strict";
  var QUEUE = "kc-today-queue";

  function load() {
    try { return JSON.parse(localStorage.getItem(QUEUE) || "[]"); } catch (e) { return []; }
  }
  function save(q) { localStorage.setItem(QUEUE, JSON.stringify(q)); }

  function mark(form, text, cls) {
    var item = form.closest("li") || form.closest("section");
    var state = item && item.querySelector(".state");
    if (!state) {
      state = document.createElement("p");
      state.className = "state";
      state.setAttribute("role", "status");
      form.parentNode.insertBefore(state, form);
    }
    state.textContent = text;
    state.className = "state" + (cls ? " " + cls : "");
    form.hidden = true;
  }

  function send(entry) {
    return fetch(entry.url, {
      method: "POST", credentials: "same-origin",
      headers: { "Accept": "application/json", "Content-Type": "application/x-www-form-urlencoded" },
      body: entry.body
    });
  }

  var flushing = false;
  function flush() {
    if (flushing || !navigator.onLine) return Promise.resolve();
    var q = load();
    if (!q.length) return Promise.resolve();
    flushing = true;
    var head = q[0];
    return send(head).then(function (r) {
      // 2xx: stored (or already stored); 4xx: refused for good (shown on the page). Keep only 5xx.
      if (r.status < 500) {
        save(load().filter(function (e) { return e.key !== head.key; }));
        var el = document.querySelector("[data-queued='" + head.key + "']");
        if (el) { el.textContent = r.ok ? "Sent ✓" : "Not saved: reload the page"; el.className = "state"; }
      }
      flushing = false;
      return r.status < 500 ? flush() : null;
    }, function () { flushing = false; });
  }

  function label(form, submitter) {
    if (form.dataset.kind === "morning") return "Morning check " + submitter.value + "/10";
    if (submitter.name === "pain") return "Done, it hurt (" + submitter.value + "/10)";
    return submitter.value === "skipped" ? "Skipped" : "Done ✓";
  }

  document.addEventListener("submit", function (ev) {
    var form = ev.target;
    if (!form.classList || !form.classList.contains("tapform")) return;
    ev.preventDefault();
    var submitter = ev.submitter || form.querySelector("button[type=submit]");
    var data = new FormData(form);
    if (submitter && submitter.name) data.append(submitter.name, submitter.value);
    var body = new URLSearchParams(data).toString();
    var entry = { url: form.getAttribute("action"), body: body, key: data.get("idempotency_key") };
    var text = label(form, submitter);
    send(entry).then(function (r) {
      return r.json().then(function (j) {
        if (r.ok) {
          var item = form.closest("li");
          mark(form, text + (j.replayed ? " (already logged)" : ""));
          if (form.dataset.kind === "morning") { location.reload(); }
          else if (item) { refreshItem(item); }  // brings the Change and Undo controls of the logged item
        } else {
          var err = document.createElement("p");
          err.className = "flash bad"; err.setAttribute("role", "alert");
          err.textContent = typeof j.detail === "string" ? j.detail : "That was not saved.";
          form.parentNode.insertBefore(err, form);
        }
      });
    }, function () {
      var q = load();
      if (!q.some(function (e) { return e.key === entry.key; })) { q.push(entry); save(q); }
      mark(form, text + " - saved on this phone, will be sent when you are back online", "queued");
      var st = (form.closest("li") || form.closest("section")).querySelector(".state");
      if (st) st.setAttribute("data-queued", entry.key);
    });
  });

  // Change / Undo under a logged exercise: the same posts as without JavaScript, sent with fetch; on
  // success the item (and the day's count and adherence) is replaced by its fresh copy from /today.
  // A correction needs a connection (it is not queued: it must not land after a later tap).
  function alertBefore(form, text) {
    var old = form.parentNode.querySelector(".flash.bad");
    if (old) old.remove();
    var err = document.createElement("p");
    err.className = "flash bad"; err.setAttribute("role", "alert"); err.textContent = text;
    form.parentNode.insertBefore(err, form);
  }
  function refreshFrom(html, item) {
    var doc = new DOMParser().parseFromString(html, "text/html");
    var fresh = item && item.id ? doc.getElementById(item.id) : null;
    if (item && fresh) item.replaceWith(fresh);
    ["ex-h", "adh-h"].forEach(function (id) {
      var mine = document.getElementById(id), theirs = doc.getElementById(id);
      var a = mine && (id === "ex-h" ? mine : mine.closest("section"));
      var b = theirs && (id === "ex-h" ? theirs : theirs.closest("section"));
      if (a && b) a.replaceWith(b);
    });
    return fresh;
  }
  function refreshItem(item) {
    return fetch("/today", { credentials: "same-origin" }).then(function (p) { return p.text(); })
      .then(function (html) { return refreshFrom(html, item); }, function () { return null; });
  }
  document.addEventListener("submit", function (ev) {
    var form = ev.target;
    if (!form.classList || !form.classList.contains("editform")) return;
    ev.preventDefault();
    var item = form.closest("li");
    var body = new URLSearchParams(new FormData(form)).toString();
    fetch(form.getAttribute("action"), {
      method: "POST", credentials: "same-origin",
      headers: { "Accept": "application/json", "Content-Type": "application/x-www-form-urlencoded" },
      body: body
    }).then(function (r) {
      return r.json().then(function (j) {
        if (!r.ok) { alertBefore(form, typeof j.detail === "string" ? j.detail : "That change was not saved."); return; }
        return refreshItem(item).then(function (fresh) {
            var state = fresh && fresh.querySelector(".state");
            if (state) state.textContent = state.textContent + " · " + j.detail;
            var focus = fresh && fresh.querySelector("button, summary");
            if (focus) focus.focus();
          });
      });
    }, function () {
      alertBefore(form, "You are offline: the change was not saved. Try again when you are back online.");
    });
  });

  // Reminders: subscribe this device with the server's VAPID key, at the time the runner picks.
  function b64ToBytes(s) {
    var pad = "=".repeat((4 - s.length % 4) % 4);
    var raw = atob((s + pad).replace(/-/g, "+").replace(/_/g, "/"));
    var out = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i);
    return out;
  }
  function csrf() {
    var f = document.querySelector("input[name=csrf_token]");
    return f ? f.value : "";
  }
  var remind = document.getElementById("remind-form");
  if (remind && "serviceWorker" in navigator && "PushManager" in window) {
    remind.hidden = false;
    remind.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var status = document.getElementById("remind-status");
      var time = remind.querySelector("input[name=time]").value;
      var unsubscribe = ev.submitter && ev.submitter.value === "off";
      navigator.serviceWorker.ready.then(function (reg) {
        if (unsubscribe) {
          return reg.pushManager.getSubscription().then(function (sub) {
            var endpoint = sub ? sub.endpoint : null;
            return (sub ? sub.unsubscribe() : Promise.resolve()).then(function () {
              return fetch("/api/v1/push/unsubscribe", { method: "POST", credentials: "same-origin",
                headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf() },
                body: JSON.stringify({ endpoint: endpoint }) });
            });
          }).then(function () { status.textContent = "Reminders are off on this device."; });
        }
        return fetch("/api/v1/push/key", { credentials: "same-origin" }).then(function (r) { return r.json(); })
          .then(function (k) {
            return reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: b64ToBytes(k.public_key) });
          }).then(function (sub) {
            return fetch("/api/v1/push/subscribe", { method: "POST", credentials: "same-origin",
              headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf() },
              body: JSON.stringify({ subscription: sub.toJSON(), time: time,
                                     utc_offset_min: -new Date().getTimezoneOffset() }) });
          }).then(function (r) {
            status.textContent = r.ok ? "Reminder set for " + time + " on this device." : "Could not set the reminder.";
          });
      }).catch(function () { status.textContent = "This browser did not allow notifications."; });
    });
  }

  window.addEventListener("online", flush);
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/sw.js").catch(function () {});
  }
  flush();
  window.kcTodayQueue = { load: load, save: save, flush: flush };
})();
