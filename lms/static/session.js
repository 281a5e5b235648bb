// Shared computers: drafts kept in this browser (localStorage keys starting "lms-") belong to the account
// that typed them. They are wiped when someone logs out, and again on the page shown after logout, with the pages
// kept for offline reading and the offline queue.
(function () {
  "use strict";
  function wipe() {
    try {
      const keys = [];
      for (let i = 0; i < localStorage.length; i += 1) keys.push(localStorage.key(i));
      keys.filter((k) => k && k.startsWith("lms-")).forEach((k) => localStorage.removeItem(k));
    } catch (e) { /* storage unavailable: nothing kept */ }
    // Pages kept for reading offline and the queue of unsent work (offline.js) go too.
    if (window.caches) caches.keys().then((ks) => ks.filter((k) => k.startsWith("lms-")).forEach((k) => caches.delete(k)));
    if (window.indexedDB) indexedDB.deleteDatabase("lms-offline");
  }
  document.querySelectorAll("form[data-clear-storage]").forEach((f) => f.addEventListener("submit", wipe));
  if (document.querySelector("[data-wipe-storage]")) wipe();
})();
