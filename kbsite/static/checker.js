// The reply checker's client side, shared by the checker page, the side panel and the composer:
// ask /api/check, then mark each flagged phrase in place (text nodes only).
import { messageOf, readJSON } from "./errors.js";

function el(tag, cls, text) {
  const node = document.createElement(tag);
  if (cls) node.className = cls;
  if (text !== undefined) node.textContent = text;
  return node;
}

export async function checkText(text, signal) {
  const resp = await fetch("/api/check", { method: "POST", signal, credentials: "same-origin",
    headers: { "Content-Type": "application/json", Accept: "application/json",
      "X-CSRFToken": document.querySelector('meta[name="csrf-token"]')?.content || "" },
    body: JSON.stringify({ text }) });
  return (await readJSON(resp, "检查失败，请重试")).issues;
}

export function summaryOf(text, issues) {
  if (!text.trim()) return "";
  return issues.length ? `发现 ${issues.length} 处禁用语或风险用语，请按建议修改。` : "没有发现禁用语或风险用语 ✓";
}

// Offsets: the API returns code-point offsets and UTF-16 ones; JS strings use the latter.
export function renderIssues(text, issues) {
  const marked = el("div", "check-marked");
  const listEl = el("ol", "check-issues");
  let pos = 0;
  issues.forEach((is, n) => {
    marked.append(text.slice(pos, is.start_utf16));
    const m = el("mark", `risk risk-${is.severity}`, text.slice(is.start_utf16, is.end_utf16));
    m.title = `${is.category}：建议改为「${is.suggestion}」`;
    m.dataset.n = n + 1;
    marked.append(m);
    pos = is.end_utf16;
    const li = el("li", "check-issue");
    li.append(el("mark", `risk risk-${is.severity}`, is.text), " ",
      el("span", "badge", is.category), " ",
      el("span", "muted", is.severity === "forbidden" ? "禁用" : "慎用"));
    li.append(el("p", "check-alt", `建议：${is.suggestion}`));
    if (is.note) li.append(el("p", "muted", is.note));
    listEl.append(li);
  });
  marked.append(text.slice(pos));
  return text.trim() ? [marked, listEl] : [];
}


// Check a textarea as the agent types (debounced, stale requests aborted) into summary and out.
export function attachChecker(area, summary, out, delay = 150) {
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
      if (e.name !== "AbortError") summary.textContent = messageOf(e, "检查失败，请重试");
    }
  }
  area.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(check, delay); });
  return check;
}
