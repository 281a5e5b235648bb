// Journal drafts save themselves: every change is kept on this device at once and sent to the server
// shortly after typing stops, so that no typed text is lost (also when the connection drops).
(function () {
  "use strict";
  const form = document.getElementById("journal-form");
  if (!form) return;
  const areas = Array.from(form.querySelectorAll("textarea"));
  const status = form.querySelector("[data-save-status]");
  const versionInput = form.querySelector("input[name=version]");
  const csrf = document.querySelector("meta[name=csrf-token]").content;
  const key = "lms-journal-" + form.dataset.module;
  let version = parseInt(form.dataset.version || "0", 10);
  let timer = null, saving = false, dirty = false;

  const answers = () => Object.fromEntries(areas.map((a) => [a.name.slice(1), a.value]));
  const say = (text) => { if (status) status.textContent = text; };
  const count = (a) => { const c = a.closest(".prompt").querySelector("[data-count]"); if (c) c.textContent = a.value.trim().length; };
  const keepLocal = () => localStorage.setItem(key, JSON.stringify({ version, answers: answers() }));

  // A copy left on this device that the server never received (same version) is restored.
  try {
    const saved = JSON.parse(localStorage.getItem(key) || "null");
    if (saved && saved.version === version && JSON.stringify(saved.answers) !== JSON.stringify(answers()) && !areas[0].readOnly) {
      areas.forEach((a) => { if (a.name.slice(1) in saved.answers) a.value = saved.answers[a.name.slice(1)]; count(a); });
      dirty = true;
      say(form.dataset.msgRestored);
      schedule(500);
    }
  } catch (e) { localStorage.removeItem(key); }

  function schedule(delay) { clearTimeout(timer); timer = setTimeout(save, delay); }

  async function save() {
    if (saving || !dirty) return;
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
      } else if (response.status === 409) {
        say(form.dataset.msgConflict);
      } else {
        dirty = true; say(body.message || form.dataset.msgOffline); schedule(10000);
      }
    } catch (e) {
      dirty = true; say(form.dataset.msgOffline); schedule(10000);
    } finally {
      saving = false;
      if (dirty) schedule(1500);
    }
  }

  areas.forEach((a) => a.addEventListener("input", () => { dirty = true; count(a); keepLocal(); schedule(1500); }));
  form.addEventListener("submit", () => { clearTimeout(timer); localStorage.removeItem(key); });
  window.addEventListener("beforeunload", () => { if (dirty) keepLocal(); });
})();
