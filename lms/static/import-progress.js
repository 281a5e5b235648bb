// Roster import page: while the job is queued or running, poll its JSON every 2 s, show the counts,
// and reload the page once it has finished (the page then shows the result or the bad rows).
(function () {
  "use strict";
  const box = document.getElementById("import-job");
  if (!box || !box.dataset.poll) return;
  const field = (name) => box.querySelector(`[data-field="${name}"]`);
  let timer = null;

  async function poll() {
    try {
      const response = await fetch(box.dataset.poll, { credentials: "same-origin", headers: { Accept: "application/json" } });
      if (!response.ok) return;
      const job = await response.json();
      if (field("rows_read")) field("rows_read").textContent = job.rows_read;
      if (field("rows_total")) field("rows_total").textContent = job.rows_total === null ? "?" : job.rows_total;
      if (job.status === "done" || job.status === "failed") {
        clearInterval(timer);
        window.location.reload();
      } else if (job.status !== box.dataset.status && field("status")) {
        box.dataset.status = job.status;
        field("status").textContent = box.dataset.labelRunning || job.status;
      }
    } catch (e) {
      // Offline for a moment: the next tick tries again.
    }
  }

  timer = setInterval(poll, 2000);
})();
