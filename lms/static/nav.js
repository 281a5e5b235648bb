// The menu collapses behind a button on a phone. Without JavaScript the button stays hidden and the nav wraps.
document.addEventListener("DOMContentLoaded", function () {
  "use strict";
  const button = document.querySelector("[data-testid=menu-toggle]");
  const nav = document.getElementById("topnav");
  if (!button || !nav) return;
  button.hidden = false;
  document.documentElement.classList.add("js-menu");
  button.addEventListener("click", function () {
    const open = button.getAttribute("aria-expanded") !== "true";
    button.setAttribute("aria-expanded", String(open));
    nav.classList.toggle("open", open);
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && nav.classList.contains("open")) {
      button.setAttribute("aria-expanded", "false");
      nav.classList.remove("open");
      button.focus();
    }
  });
});
