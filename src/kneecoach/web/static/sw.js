// kneecoach service worker (issue 16): Today and its figures offline.
// Pages are fetched from the network first and kept as the last good copy; without a network the
// copy is shown. Taps are not handled here: today.js queues them with their idempotency keys.
// Logging out deletes the copy, so the next person on a shared device does not see it.
var CACHE = "kc-today-v1";
var SHELL = ["/today", "/static/style.css", "/static/today.js", "/figures.css", "/static/favicon.svg",
             "/manifest.webmanifest"];

self.addEventListener("install", function (ev) {
  ev.waitUntil(caches.open(CACHE).then(function (c) {
    return Promise.all(SHELL.map(function (u) {
      return fetch(u, { credentials: "same-origin" }).then(function (r) {
        if (r.ok && !r.redirected) return c.put(u, r);
      }).catch(function () {});
    }));
  }).then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (ev) {
  ev.waitUntil(caches.keys().then(function (keys) {
    return Promise.all(keys.filter(function (k) { return k !== CACHE; }).map(function (k) { return caches.delete(k); }));
  }).then(function () { return self.clients.claim(); }));
});

function cacheable(url) {
  return url.origin === self.location.origin && SHELL.indexOf(url.pathname) !== -1;
}

self.addEventListener("fetch", function (ev) {
  var req = ev.request;
  var url = new URL(req.url);
  if (req.method === "POST" && url.pathname === "/logout") {
    ev.waitUntil(caches.delete(CACHE));
    return;
  }
  if (req.method !== "GET" || !cacheable(url)) return;
  ev.respondWith(fetch(req).then(function (r) {
    if (r.ok && !r.redirected) {
      var copy = r.clone();
      caches.open(CACHE).then(function (c) { c.put(url.pathname, copy); });
    }
    return r;
  }).catch(function () {
    return caches.match(url.pathname).then(function (hit) {
      return hit || new Response("Offline, and Today was not saved on this device yet.",
                                 { status: 503, headers: { "Content-Type": "text/plain" } });
    });
  }));
});

// Reminders (opt-in): the payload is only a title, a sentence and a link, never health data.
self.addEventListener("push", function (ev) {
  var data = { title: "kneecoach", body: "Time for today's exercises", url: "/today" };
  try { if (ev.data) data = ev.data.json(); } catch (e) {}
  ev.waitUntil(self.registration.showNotification(data.title, { body: data.body, data: { url: data.url || "/today" },
                                                                  icon: "/static/favicon.svg" }));
});

self.addEventListener("notificationclick", function (ev) {
  ev.notification.close();
  var url = (ev.notification.data && ev.notification.data.url) || "/today";
  ev.waitUntil(self.clients.openWindow(url));
});
