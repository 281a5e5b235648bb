// Journal drafts save themselves: every change is kept on this device at once and sent to the server
// shortly after typing stops, so that no typed text is lost (also when the connection drops).
// The copy on this device is kept under the account's key (data-owner, not the e-mail): on a shared
// computer nobody else's draft is ever restored, and logging out wipes every "lms-" key (session.js).
// When another tab or device saved first (409), the typed text stays in the boxes, the newer saved text
// is shown under each box, and nothing is saved until the person picks one of the two.
(function () {
  "use strict";
  const form = document.getElementById("journal-form");
  if (!form) return;
  const areas = Array.from(form.querySelectorAll("textarea"));
  const status = form.querySelector("[data-save-status]");
  const versionInput = form.querySelector("input[name=version]");
  const banner = document.querySelector("[data-conflict-banner]");
  const csrf = document.querySelector("meta[name=csrf-token]").content;
  const prefix = "lms-journal-" + form.dataset.owner + "-";
  const key = prefix + form.dataset.module;
  let version = parseInt(versionInput.value || form.dataset.version || "0", 10);
  let conflict = form.hasAttribute("data-conflict");
  // Text a refused form post left on the server (shown in the boxes): it is saved by the form's buttons, which
  // also discard the server's copy, never by the background save.
  const stashed = form.hasAttribute("data-stashed");
  let saved = null; // the newer saved answers while in conflict
  let timer = null, saving = false, dirty = false;

  const answers = () => Object.fromEntries(areas.map((a) => [a.name.slice(1), a.value]));
  const say = (text) => { if (status) status.textContent = text; };
  const count = (a) => { const c = a.closest(".prompt").querySelector("[data-count]"); if (c) c.textContent = a.value.trim().length; };
  const keepLocal = () => { try { localStorage.setItem(key, JSON.stringify({ version, answers: answers() })); } catch (e) { /* full */ } };

  // Drafts of other accounts (or of the old per-module keys) are never used here: remove them.
  try {
    const stale = [];
    for (let i = 0; i < localStorage.length; i += 1) {
      const k = localStorage.key(i);
      if (k && k.startsWith("lms-journal-") && !k.startsWith(prefix)) stale.push(k);
    }
    stale.forEach((k) => localStorage.removeItem(k));
  } catch (e) { /* storage unavailable */ }

  // A copy left on this device that the server never received (same version) is restored.
  try {
    const local = JSON.parse(localStorage.getItem(key) || "null");
    if (!conflict && !stashed && local && local.version === version && JSON.stringify(local.answers) !== JSON.stringify(answers()) && !areas[0].readOnly) {
      areas.forEach((a) => { if (a.name.slice(1) in local.answers) a.value = local.answers[a.name.slice(1)]; count(a); });
      dirty = true;
      say(form.dataset.msgRestored);
      schedule(500);
    }
  } catch (e) { localStorage.removeItem(key); }

  if (conflict) {
    saved = {};
    form.querySelectorAll("[data-saved-for]").forEach((box) => { saved[box.dataset.savedFor.slice(1)] = box.querySelector("[data-saved-text]").textContent; });
  }

  function schedule(delay) { clearTimeout(timer); timer = setTimeout(save, delay); }

  function showConflict(body) {
    conflict = true; clearTimeout(timer);
    saved = body.answers || {};
    // Saving now would be a deliberate choice: the form carries the newer version.
    version = body.version; versionInput.value = version;
    form.querySelectorAll("[data-saved-for]").forEach((box) => {
      box.querySelector("[data-saved-text]").textContent = saved[box.dataset.savedFor.slice(1)] || "";
      box.hidden = false;
    });
    if (banner) banner.hidden = false;
    say(form.dataset.msgConflict);
  }

  function endConflict() {
    conflict = false;
    form.querySelectorAll("[data-saved-for]").forEach((box) => { box.hidden = true; });
    if (banner) banner.hidden = true;
  }

  async function save() {
    if (stashed) { say(form.dataset.msgStashed); return; }
    if (saving || !dirty || conflict) return;
    saving = true; dirty = false;
    say(form.dataset.msgSaving);
    try {
      const response = await fetch(form.dataset.api, {
        method: "PUT", credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrf, "Accept": "application/json" },
        body: JSON.stringify({ answers: answers(), submit: false, version }),
      });
      const body = await response.json().catch(() => ({}));
      if (response.ok) {
        version = body.version; versionInput.value = version; keepLocal();
        say(`${form.dataset.msgSaved} ${new Date().toLocaleTimeString()}`);
      } else if (response.status === 409 && body.code === "version_conflict") {
        dirty = true; keepLocal();
        const latest = await fetch(form.dataset.api, { credentials: "same-origin", headers: { "Accept": "application/json" } });
        if (latest.ok) showConflict(await latest.json()); else { conflict = true; say(form.dataset.msgConflict); }
      } else {
        dirty = true; say(body.message || form.dataset.msgOffline); schedule(10000);
      }
    } catch (e) {
      // No connection: the offline queue (offline.js) takes the draft and sends it once when back online.
      const handed = !document.dispatchEvent(new CustomEvent("lms:offline-draft", { cancelable: true,
        detail: { module: form.dataset.module, answers: answers(), version } }));
      dirty = !handed; say(form.dataset.msgOffline); if (!handed) schedule(10000);
    } finally {
      saving = false;
      if (dirty && !conflict) schedule(1500);
    }
  }

  const useSaved = document.querySelector("[data-use-saved]");
  if (useSaved) useSaved.addEventListener("click", (event) => {
    if (!saved || stashed) return; // the button asks the server to discard the stashed text
    event.preventDefault();
    areas.forEach((a) => { a.value = saved[a.name.slice(1)] || ""; count(a); });
    dirty = false; endConflict(); keepLocal();
    say(form.dataset.msgChoseSaved);
  });
  const keepMine = document.querySelector("[data-keep-mine]");
  if (keepMine) keepMine.addEventListener("click", (event) => {
    if (!saved || stashed) return; // the form post saves the text and discards the server's copy
    event.preventDefault();
    endConflict(); dirty = true; save();
  });

  // The offline queue: it holds this journal's text (lms:queued), has sent it (lms:sent), or kept a text typed
  // offline that met a newer save (lms:restore): that text goes back into the boxes, and saving it shows both.
  form.addEventListener("lms:queued", () => { clearTimeout(timer); dirty = false; });
  form.addEventListener("lms:sent", (event) => {
    version = event.detail.version; versionInput.value = version; keepLocal();
    say(`${form.dataset.msgSaved} ${new Date().toLocaleTimeString()}`);
  });
  form.addEventListener("lms:restore", (event) => {
    areas.forEach((a) => { const k = a.name.slice(1); if (k in event.detail.answers) a.value = event.detail.answers[k]; count(a); });
    version = event.detail.version; versionInput.value = version; dirty = true; save();
  });
  areas.forEach((a) => a.addEventListener("input", () => { dirty = true; count(a); keepLocal(); if (!conflict) schedule(1500); }));
  form.addEventListener("submit", () => { clearTimeout(timer); localStorage.removeItem(key); });
  window.addEventListener("beforeunload", () => { if (dirty) keepLocal(); });
})();
