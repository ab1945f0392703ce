// The reply checker page: checks as the agent types (server-side, via /api/check) and marks each
// flagged phrase in place (see checker.js).
import { checkText, renderIssues, summaryOf } from "./checker.js";

const form = document.getElementById("check-form");
const area = document.getElementById("check-text");
const out = document.getElementById("check-result");
const summary = document.getElementById("check-summary");
let timer = 0, ctrl = null;

async function check() {
  const text = area.value;
  if (ctrl) ctrl.abort();
  ctrl = new AbortController();
  try {
    const issues = await checkText(text, ctrl.signal);
    if (text !== area.value) return;
    summary.textContent = summaryOf(text, issues);
    out.replaceChildren(...renderIssues(text, issues));
  } catch (e) {
    if (e.name !== "AbortError") summary.textContent = e.message || "检查失败，请重试";
  }
}

area.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(check, 150); });
form.addEventListener("submit", (ev) => { ev.preventDefault(); check(); });
area.addEventListener("keydown", (ev) => {
  if (ev.key === "Enter" && (ev.ctrlKey || ev.metaKey)) { ev.preventDefault(); check(); }
});
area.focus();
if (area.value) check();
