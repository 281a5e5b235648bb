// Working without a steady connection (teacher pages; the status element comes from base.html).
// - Registers the service worker (sw.js) that keeps fetched pages readable offline, in a cache named after the
//   curriculum version; "Simpan untuk offline" on a module stores all of its pages at once, its size shown first.
// - While offline, marking a materi done, a post-test and a journal (draft or submit) are kept in IndexedDB, each
//   with a key made on this device (Idempotency-Key), and sent once, in order, when the connection returns.
// - A refused item (window closed, journal changed elsewhere) stays on this device with its text and a copy button.
// - Logout, and another account on this browser, delete the caches and the queue.
(function () {
  "use strict";
  const bar = document.querySelector("[data-offline]");
  if (!bar || !window.indexedDB || !window.fetch) return;
  const M = JSON.parse(bar.dataset.msgs);
  const owner = bar.dataset.owner;
  const version = bar.dataset.version;
  const cacheName = "lms-v" + version;
  const closes = Date.parse(bar.dataset.closes);
  const DB = "lms-offline";
  const fmt = (text, values) => text.replace(/\{(\w+)\}/g, (all, k) => (k in values ? values[k] : all));
  const el = (tag, attrs, text) => {
    const e = document.createElement(tag);
    Object.entries(attrs || {}).forEach(([k, v]) => e.setAttribute(k, v));
    if (text !== undefined) e.textContent = text;
    return e;
  };

  // --- IndexedDB: "queue" (its auto-incremented seq keeps the order) and "meta" (owner, version, stored modules)
  let opened = null;
  function db() {
    opened = opened || new Promise((resolve, reject) => {
      const r = indexedDB.open(DB, 1);
      r.onupgradeneeded = () => {
        r.result.createObjectStore("queue", { keyPath: "seq", autoIncrement: true });
        r.result.createObjectStore("meta");
      };
      r.onsuccess = () => resolve(r.result);
      r.onerror = () => reject(r.error);
    });
    return opened;
  }
  async function tx(store, mode, work) {
    const d = await db();
    return new Promise((resolve, reject) => {
      const t = d.transaction(store, mode);
      const request = work(t.objectStore(store));
      t.oncomplete = () => resolve(request && request.result);
      t.onerror = () => reject(t.error);
    });
  }
  const items = () => tx("queue", "readonly", (s) => s.getAll());
  const save = (item) => tx("queue", "readwrite", (s) => s.put(item));
  const drop = (seq) => tx("queue", "readwrite", (s) => s.delete(seq));
  const meta = (k) => tx("meta", "readonly", (s) => s.get(k));
  const setMeta = (k, v) => tx("meta", "readwrite", (s) => s.put(v, k));

  async function wipe() {
    if (window.caches) for (const k of await caches.keys()) if (k.startsWith("lms-")) await caches.delete(k);
    if (opened) (await opened).close();
    opened = null;
    await new Promise((resolve) => {
      const r = indexedDB.deleteDatabase(DB);
      r.onsuccess = r.onerror = r.onblocked = resolve;
    });
  }

  // --- The status line
  const line = el("span", { "data-testid": "offline-line" });
  const warning = el("span", { class: "offline-deadline", "data-testid": "offline-deadline", hidden: "" }, M.deadline);
  const problems = el("div", { class: "offline-problems" });
  const tools = el("span", { class: "offline-tools" });
  bar.append(line, " ", warning, tools, problems);
  let loginNeeded = false;

  async function render() {
    const all = await items().catch(() => []);
    const waiting = all.filter((i) => !i.state).length;
    const kept = all.length - waiting;
    const online = navigator.onLine;
    line.textContent = loginNeeded ? M.login
      : !online ? (waiting ? fmt(M.offline, { n: waiting }) : M.offlineRead)
      : waiting ? fmt(M.sending, { n: waiting }) : kept ? fmt(M.notSent, { n: kept })
      // A form whose typed text the server refused (kept for this page, see journal.js) is not "all saved".
      : document.querySelector("form[data-stashed], form[data-conflict]") ? "" : M.saved;
    bar.classList.toggle("offline", !online || waiting + kept > 0);
    if (!waiting) document.querySelectorAll("[data-offline-queued]").forEach((note) => note.remove());
    const now = Date.now();
    warning.hidden = !((waiting || !online) && now >= closes - 864e5 && now < closes);
    problems.replaceChildren(...all.filter((i) => i.state).map(problem));
    bar.hidden = false;
  }

  function problem(item) {
    const box = el("div", { class: "offline-problem", "data-testid": "offline-problem" });
    box.append(el("p", {}, item.state === "conflict" ? M.conflict : `${M.refused} ${item.title} — ${item.message}`));
    if (item.text) {
      const area = el("textarea", { readonly: "", rows: "4", "data-testid": "offline-text" });
      area.value = item.text;
      const copy = el("button", { type: "button", "data-testid": "offline-copy" }, M.copy);
      copy.addEventListener("click", () => {
        area.select();
        const done = () => { copy.textContent = M.copied; };
        if (navigator.clipboard) navigator.clipboard.writeText(item.text).then(done, () => document.execCommand("copy") && done());
        else if (document.execCommand("copy")) done();
      });
      box.append(area, copy);
    }
    if (item.state === "conflict") box.append(" ", el("a", { class: "button", href: item.page }, M.openJournal));
    const dismiss = el("button", { type: "button", class: "link" }, M.dismiss);
    dismiss.addEventListener("click", () => drop(item.seq).then(render));
    box.append(" ", dismiss);
    return box;
  }

  // --- The queue
  async function enqueue(item) {
    if (item.kind === "journal") {
      // The latest text of a journal replaces its earlier unsent one (one save per journal when online again).
      for (const old of await items()) if (old.kind === "journal" && old.module === item.module && !old.state) await drop(old.seq);
    }
    await save({ ...item, key: crypto.randomUUID(), at: new Date().toISOString() });
    render();
    flush();
  }

  let flushing = false;
  async function flush() {
    if (flushing || !navigator.onLine) return render();
    flushing = true;
    try {
      for (const item of await items()) {
        if (item.state) continue;
        let response;
        try {
          response = await fetch(item.url, {
            method: item.method, credentials: "same-origin",
            headers: { "Content-Type": "application/json", Accept: "application/json",
                       "X-CSRFToken": bar.dataset.csrf, "Idempotency-Key": item.key },
            body: item.body ? JSON.stringify(item.body) : undefined,
          });
        } catch (e) { break; } // offline again: the rest waits
        const body = await response.json().catch(() => ({}));
        loginNeeded = response.status === 401 || body.code === "csrf_failed";
        if (loginNeeded || response.status >= 500 || response.status === 429 || body.code === "idempotency_in_progress") break;
        if (response.ok) {
          await drop(item.seq);
          if (item.kind === "journal") tell(item.module, "lms:sent", { version: body.version });
        } else {
          item.state = body.code === "version_conflict" ? "conflict" : "refused";
          item.message = body.message || String(response.status);
          await save(item);
        }
      }
    } finally {
      flushing = false;
      render();
    }
  }

  // The journal page's own script (journal.js) is told what happened to its text.
  function tell(module, type, detail) {
    const form = document.getElementById("journal-form");
    if (form && form.dataset.module === String(module)) form.dispatchEvent(new CustomEvent(type, { detail }));
  }

  // --- Forms sent while offline go to the queue (online, and without script, they are sent as always)
  const ACTIONS = [
    [/^\/sertifikasi\/materi\/(\d+)\/selesai$/, "materi"],
    [/^\/sertifikasi\/modul\/(\d+)\/post-test\/?$/, "posttest"],
    [/^\/sertifikasi\/modul\/(\d+)\/jurnal\/?$/, "journal"],
  ];
  const title = () => (document.querySelector("main h1") || document).textContent.trim().slice(0, 120);

  function fromForm(kind, id, form, submitter) {
    const fields = Array.from(new FormData(form).entries());
    if (kind === "materi") return { kind, url: `/api/v1/materi/${id}/complete`, method: "POST", title: title() };
    if (kind === "posttest") {
      const answers = Object.fromEntries(fields.filter(([k]) => /^q\d+$/.test(k)).map(([k, v]) => [k.slice(1), Number(v)]));
      return { kind, module: id, url: `/api/v1/posttests/${id}/attempts`, method: "POST", body: { answers }, title: title() };
    }
    const answers = Object.fromEntries(fields.filter(([k]) => /^p\d+$/.test(k)).map(([k, v]) => [k.slice(1), v]));
    const submit = !!submitter && submitter.value === "submit";
    return journal(id, answers, submit, Number((form.querySelector("input[name=version]") || {}).value || 0));
  }

  function journal(module, answers, submit, v) {
    return { kind: "journal", module, url: `/api/v1/journals/${module}`, method: "PUT",
             body: { answers, submit, version: v }, title: title(), text: Object.values(answers).join("\n\n"),
             page: `/sertifikasi/modul/${module}/jurnal/` };
  }

  document.addEventListener("submit", (event) => {
    const form = event.target;
    if (navigator.onLine || !(form instanceof HTMLFormElement)) return;
    const path = new URL(form.getAttribute("action") || "", location.href).pathname; // form.action may be a field
    for (const [pattern, kind] of ACTIONS) {
      const m = path.match(pattern);
      if (!m) continue;
      event.preventDefault();
      event.stopPropagation();
      enqueue(fromForm(kind, Number(m[1]), form, event.submitter));
      if (kind === "journal") tell(m[1], "lms:queued", {});
      const note = el("p", { class: "flash success", role: "status", "data-testid": "offline-queued", "data-offline-queued": "" }, M.queued);
      document.querySelectorAll("[data-offline-queued]").forEach((old) => old.remove());
      form.before(note);
      return;
    }
  }, true);

  // journal.js hands over a draft it could not send (offline), and restores a text kept in conflict.
  document.addEventListener("lms:offline-draft", (event) => {
    const d = event.detail;
    event.preventDefault();
    enqueue(journal(Number(d.module), d.answers, false, d.version));
  });

  // --- "Simpan untuk offline" on a module page: size first, then every page of it
  async function store(module, button) {
    const listing = await fetch(`/api/v1/modules/${module}/offline`, { credentials: "same-origin", headers: { Accept: "application/json" } });
    if (!listing.ok) throw new Error(String(listing.status));
    const data = await listing.json();
    await keep(data.pages.map((p) => p.url));
    const modules = new Set((await meta("modules")) || []);
    modules.add(module);
    await setMeta("modules", [...modules]);
    if (button) button.textContent = fmt(M.stored, { n: data.pages.length });
  }

  // Pages and the scripts and styles they use, fetched and kept in this version's cache.
  async function keep(urls) {
    const kept = await caches.open(cacheName);
    const assets = Array.from(document.querySelectorAll("link[rel=stylesheet], script[src]"), (e) => e.href || e.src);
    for (const url of [...urls, ...assets]) {
      const response = await fetch(url, { credentials: "same-origin", headers: { Purpose: "prefetch" } });
      if (response.ok && !response.redirected) await kept.put(url, response);
    }
  }

  async function offerStore(module) {
    const response = await fetch(`/api/v1/modules/${module}/offline`, { credentials: "same-origin", headers: { Accept: "application/json" } }).catch(() => null);
    if (!response || !response.ok) return;
    const data = await response.json();
    const kb = Math.max(1, Math.round(data.total_bytes / 1024));
    const button = el("button", { type: "button", "data-testid": "store-offline" }, fmt(M.store, { size: `${kb} KB` }));
    button.addEventListener("click", () => {
      button.disabled = true;
      button.textContent = M.storing;
      store(module, button).catch(() => { button.disabled = false; button.textContent = M.storeFailed; });
    });
    tools.append(" ", button);
  }

  // --- Start: the account and the curriculum version decide what kept data may stay
  async function start() {
    const was = await meta("owner").catch(() => undefined);
    if (was !== undefined && was !== owner) await wipe();
    await setMeta("owner", owner);
    const kept = await meta("version");
    if (kept !== version) {
      // A newer curriculum: the stored pages are stale. Delete them and store the saved modules again.
      if (window.caches) for (const k of await caches.keys()) if (k.startsWith("lms-v") && k !== cacheName) await caches.delete(k);
      await setMeta("version", version);
      if (kept !== undefined && navigator.onLine) for (const m of (await meta("modules")) || []) store(m).catch(() => {});
    }
    if (navigator.serviceWorker) {
      // Until the service worker controls the page (its first visit), the page keeps a copy of itself.
      if (!navigator.serviceWorker.controller && navigator.onLine && window.caches) keep([location.href]).catch(() => {});
      navigator.serviceWorker.register(bar.dataset.sw, { scope: "/" }).catch(() => {});
      navigator.serviceWorker.ready.then((r) => r.active && r.active.postMessage({ cache: cacheName }));
    }
    const journalForm = document.getElementById("journal-form");
    if (journalForm) {
      for (const item of await items()) {
        if (item.state === "conflict" && String(item.module) === journalForm.dataset.module) {
          // Both texts are kept: journal.js shows the one typed offline beside the newer saved one.
          tell(item.module, "lms:restore", { answers: item.body.answers, version: item.body.version });
          await drop(item.seq);
        }
      }
    }
    const moduleMatch = location.pathname.match(/^\/sertifikasi\/modul\/(\d+)\/?$/);
    if (moduleMatch && window.caches) offerStore(Number(moduleMatch[1]));
    flush();
  }

  document.querySelectorAll("form[data-clear-storage]").forEach((form) => form.addEventListener("submit", (event) => {
    event.preventDefault();
    wipe().finally(() => form.submit());
  }));
  window.addEventListener("online", flush);
  window.addEventListener("offline", render);
  setInterval(() => { if (navigator.onLine) flush(); }, 30000);
  start().catch(() => { bar.hidden = false; });
})();
