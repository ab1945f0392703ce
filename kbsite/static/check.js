// The reply checker page: checks as the agent types (server-side, via /api/check) and marks each
// flagged phrase in place (see checker.js).
import { attachChecker } from "./checker.js";

const form = document.getElementById("check-form");
const area = document.getElementById("check-text");
const check = attachChecker(area, document.getElementById("check-summary"), document.getElementById("check-result"));

form.addEventListener("submit", (ev) => { ev.preventDefault(); check(); });
area.addEventListener("keydown", (ev) => {
  if (ev.key === "Enter" && (ev.ctrlKey || ev.metaKey)) { ev.preventDefault(); check(); }
});
area.focus();
if (area.value) check();
