// Xinli field app service worker: caches the app shell only (no person data: tasks and forms live in the
// encrypted device store, and /api/ answers are never cached). Network first for the page, cache first for static.
const CACHE = "xinli-field-shell-v1";
const SHELL = {{ shell|safe }};
self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(SHELL)).then(() => self.skipWaiting()));
});
self.addEventListener("activate", (event) => {
  event.waitUntil(caches.keys().then((keys) => Promise.all(keys.filter((k) => k !== CACHE).map((k) => caches.delete(k))))
    .then(() => self.clients.claim()));
});
self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== "GET" || url.origin !== self.location.origin || url.pathname.startsWith("/api/")) return;
  if (url.pathname === "/field/") {
    event.respondWith(fetch(event.request).then((response) => {
      if (response.ok && !response.redirected) caches.open(CACHE).then((cache) => cache.put("/field/", response.clone()));
      return response;
    }).catch(() => caches.match("/field/")));
    return;
  }
  if (SHELL.includes(url.pathname)) {
    event.respondWith(caches.match(url.pathname).then((hit) => hit || fetch(event.request)));
  }
});
