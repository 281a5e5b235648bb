// Service worker of the teacher pages (served as /sw.js, scope "/"). Pages under /sertifikasi and static files
// are fetched from the network first and kept in one cache, "lms-v<curriculum version>": when the network fails
// the kept copy is shown. The page script (offline.js) names the cache, deletes caches of older versions, and
// deletes everything at logout or when another account logs in. Nothing else (API, login) is touched.
"use strict";
let cacheName = null;
const OFFLINE = "<!doctype html><meta charset=utf-8><meta name=viewport content='width=device-width'>" +
  "<title>Offline</title><p>Offline — halaman ini belum tersimpan di perangkat ini.</p>" +
  "<p lang=en>Offline — this page is not stored on this device.</p><p><a href='/sertifikasi/'>Sertifikasi</a></p>";

self.addEventListener("install", () => self.skipWaiting());
self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()));
self.addEventListener("message", (event) => {
  if (event.data && typeof event.data.cache === "string") cacheName = event.data.cache;
});

async function cache() {
  if (!cacheName) cacheName = (await caches.keys()).find((k) => k.startsWith("lms-v")) || "lms-v0";
  return caches.open(cacheName);
}

async function answer(request, immutable) {
  const kept = await cache();
  if (immutable) {
    const hit = await kept.match(request);
    if (hit) return hit;
  }
  try {
    const response = await fetch(request);
    if (response.ok && !response.redirected && response.type === "basic") await kept.put(request, response.clone());
    return response;
  } catch (error) {
    const hit = await kept.match(request, { ignoreVary: true });
    if (hit) return hit;
    if (request.mode === "navigate") {
      return new Response(OFFLINE, { status: 503, headers: { "Content-Type": "text/html; charset=utf-8" } });
    }
    throw error;
  }
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) return;
  const asset = url.pathname.startsWith("/static/");
  if (!asset && !url.pathname.startsWith("/sertifikasi")) return;
  event.respondWith(answer(request, asset && url.searchParams.has("v")));
});
