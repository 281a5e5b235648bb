// Countdown to a deadline: <el data-countdown="ISO-8601" data-days="hari">
(function () {
  "use strict";
  const pad = (n) => String(n).padStart(2, "0");
  function tick(el) {
    const left = Math.max(0, Math.floor((Date.parse(el.dataset.countdown) - Date.now()) / 1000));
    const days = Math.floor(left / 86400);
    const rest = left % 86400;
    el.textContent = `${days} ${el.dataset.days || "d"} ${pad(Math.floor(rest / 3600))}:${pad(Math.floor((rest % 3600) / 60))}:${pad(rest % 60)}`;
  }
  const els = document.querySelectorAll("[data-countdown]");
  els.forEach(tick);
  if (els.length) setInterval(() => els.forEach(tick), 1000);
})();
// Print buttons: <button data-print>
document.querySelectorAll("[data-print]").forEach((b) => b.addEventListener("click", () => window.print()));
