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
          mark(form, text + (j.replayed ? " (already logged)" : ""));
          if (form.dataset.kind === "morning") { location.reload(); }
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

  window.addEventListener("online", flush);
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/sw.js").catch(function () {});
  }
  flush();
  window.kcTodayQueue = { load: load, save: save, flush: flush };
})();
