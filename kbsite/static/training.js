// Training pages: reorder ordering questions (drag, buttons, Alt+↑/↓), the server-set countdown
// with auto-submit, one submit per page, and the certificate's print button. Grading is on the server.
"use strict";

function move(li, dir) {
  const list = li.parentElement;
  if (dir < 0 && li.previousElementSibling) list.insertBefore(li, li.previousElementSibling);
  else if (dir > 0 && li.nextElementSibling) list.insertBefore(li.nextElementSibling, li);
  else return false;
  return true;
}

function announce(li) {
  const items = Array.from(li.parentElement.children);
  let live = li.parentElement.parentElement.querySelector(".order-live");
  if (!live) {
    live = document.createElement("p");
    live.className = "order-live offscreen";
    live.setAttribute("aria-live", "polite");
    li.parentElement.after(live);
  }
  live.textContent = `已移到第 ${items.indexOf(li) + 1} 位`;
}

function setupOrdering(list) {
  let dragged = null;
  list.addEventListener("click", (ev) => {
    const btn = ev.target.closest("button.move-up, button.move-down");
    if (!btn) return;
    const li = btn.closest("li");
    if (move(li, btn.classList.contains("move-up") ? -1 : 1)) {
      btn.focus();
      announce(li);
    }
  });
  list.addEventListener("keydown", (ev) => {
    const li = ev.target.closest("li.order-item");
    if (!li || !ev.altKey || (ev.key !== "ArrowUp" && ev.key !== "ArrowDown")) return;
    ev.preventDefault();
    if (move(li, ev.key === "ArrowUp" ? -1 : 1)) {
      li.focus();
      announce(li);
    }
  });
  list.addEventListener("dragstart", (ev) => {
    dragged = ev.target.closest("li.order-item");
    if (dragged) dragged.classList.add("dragging");
  });
  list.addEventListener("dragend", () => {
    if (dragged) dragged.classList.remove("dragging");
    dragged = null;
  });
  list.addEventListener("dragover", (ev) => {
    const over = ev.target.closest("li.order-item");
    if (!dragged || !over || over === dragged) return;
    ev.preventDefault();
    const box = over.getBoundingClientRect();
    const after = ev.clientY > box.top + box.height / 2;
    list.insertBefore(dragged, after ? over.nextElementSibling : over);
  });
}

function setupTimer(form) {
  const timer = document.getElementById("timer");
  if (!timer || !form) return;
  const end = Date.now() + Number(timer.dataset.remaining) * 1000;
  const left = document.getElementById("timer-left");
  const tick = () => {
    const secs = Math.max(0, Math.round((end - Date.now()) / 1000));
    left.textContent = `${Math.floor(secs / 60)}:${String(secs % 60).padStart(2, "0")}`;
    if (secs <= 30) timer.classList.add("urgent");
    if (secs <= 0) {
      clearInterval(handle);
      if (!form.dataset.sent) form.requestSubmit();
    }
  };
  const handle = setInterval(tick, 500);
  tick();
}

const form = document.getElementById("quiz-form");
document.querySelectorAll("ol.ordering").forEach(setupOrdering);
setupTimer(form);
if (form) {
  form.addEventListener("submit", (ev) => {
    if (form.dataset.sent) {
      ev.preventDefault();
      return;
    }
    form.dataset.sent = "1";
    form.querySelectorAll("button[type=submit]").forEach((b) => { b.disabled = true; });
  });
}
const printButton = document.getElementById("print-certificate");
if (printButton) printButton.addEventListener("click", () => window.print());
