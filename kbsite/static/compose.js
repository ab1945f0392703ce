// A reply composed from several pieces (templates and answers' summaries), in the workspace and the
// side panel: Shift+Enter or "＋" on a result adds a piece, each placeholder is one field for all
// pieces, the checker runs on the whole text, Ctrl+Enter copies it in one go (blocked while a
// placeholder is empty). Recent compositions come back from the server. Plain DOM, no innerHTML.
import { copyText, writePending } from "./copy.js";
import { placeholdersIn, post, preview } from "./fill.js";
import { checkText, summaryOf } from "./checker.js";
import { imageCard } from "./images.js";
import { messageOf, readJSON, UserError } from "./errors.js";

const root = document.getElementById("compose");
const box = document.getElementById("ws-q");
const fillPanel = document.getElementById("ws-panel");
const state = { pieces: [], values: {}, inputs: {}, recent: [], timer: 0, ctrl: null, chain: Promise.resolve() };

function el(tag, cls, text) {
  const node = document.createElement(tag);
  if (cls) node.className = cls;
  if (text !== undefined) node.textContent = text;
  return node;
}

function button(label, onClick, cls = "small", aria) {
  const b = el("button", cls, label);
  b.type = "button";
  if (aria) b.setAttribute("aria-label", aria);
  b.addEventListener("click", onClick);
  return b;
}

const json = (resp) => readJSON(resp, "请求失败，请重试");
const getJSON = (url) => fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } }).then(json);

const text = () => state.pieces.map((p) => p.text.replace(/^\n+|\n+$/g, "")).join("\n");
const names = () => placeholdersIn(text());
const gaps = () => names().filter((n) => !(state.values[n] || "").trim());
const filled = () => text().replace(/\{\{[ \t\u3000]*([^{}\n]+?)[ \t\u3000]*\}\}/g,
  (m, n) => ((state.values[n] || "").trim() ? state.values[n] : m));

async function pieceOf(slug) {
  const entry = await getJSON(`/api/items/${encodeURIComponent(slug)}`);
  const body = entry.type === "template" ? entry.markdown : entry.summary;
  if (!body.trim()) throw new UserError(`「${entry.title}」没有可直接粘贴的摘要，不能加入回复`);
  return { slug, title: entry.title, text: body, kind: entry.type, images: entry.images || [] };
}

// Pieces fetched in parallel are appended in the order they were added.
function add(slug) {
  const piece = pieceOf(slug);
  state.chain = state.chain.then(async () => {
    try {
      state.pieces.push(await piece);
    } catch (e) {
      return showStatus(messageOf(e, "加入回复失败，请重试"));
    }
    render();
  });
  return state.chain;
}

function move(i, delta) {
  const j = i + delta;
  if (j < 0 || j >= state.pieces.length) return;
  const [p] = state.pieces.splice(i, 1);
  state.pieces.splice(j, 0, p);
  render();
  root.querySelectorAll(".compose-piece")[j]?.querySelector(delta < 0 ? ".cp-up" : ".cp-down")?.focus();
}

function remove(i) {
  state.pieces.splice(i, 1);
  render();
  if (!state.pieces.length) box.focus();
}

function showStatus(msg) {
  const s = root.querySelector(".compose-status") || document.getElementById("ws-status");
  if (s) s.textContent = msg;
}

function render() {
  if (!state.pieces.length) return renderRecent();
  const head = el("header", "fill-head");
  head.append(el("h2", "", `组合回复（${state.pieces.length} 段）`),
    button("清空", () => { state.pieces = []; state.values = {}; render(); box.focus(); }));
  const list = el("ol", "compose-pieces");
  state.pieces.forEach((p, i) => {
    const li = el("li", "compose-piece");
    li.append(el("span", "", p.title),
      button("↑", () => move(i, -1), "small cp-up", `上移 ${p.title}`),
      button("↓", () => move(i, 1), "small cp-down", `下移 ${p.title}`),
      button("×", () => remove(i), "small cp-remove", `移除 ${p.title}`));
    list.append(li);
  });
  const fields = el("div", "compose-fields");
  const counts = Object.fromEntries(names().map((n) => [n,
    state.pieces.filter((p) => placeholdersIn(p.text).includes(n)).length]));
  for (const n of names()) {
    const label = el("label", "fill-field");
    label.append(el("span", "fill-name", counts[n] > 1 ? `${n}（${counts[n]} 段共用）` : n));
    const input = state.inputs[n] || Object.assign(document.createElement("input"),
      { type: "text", name: n, autocomplete: "off" });
    input.value = state.values[n] || "";
    state.inputs[n] = input;
    label.append(input);
    fields.append(label);
  }
  const out = el("pre", "reply compose-preview");
  out.setAttribute("aria-live", "polite");
  const images = el("div", "img-strip");
  for (const p of state.pieces) for (const img of p.images) images.append(imageCard(img));
  const warn = el("p", "fill-warn compose-warn hidden");
  warn.setAttribute("role", "alert");
  const check = el("div", "compose-check");
  const bar = el("p", "actions");
  const status = el("span", "muted compose-status");
  status.setAttribute("role", "status");
  bar.append(button("复制整段 Ctrl+Enter", copy, "primary compose-copy"), status);
  root.replaceChildren(head, list, fields, out, images, warn, check, bar);
  refresh();
}

function refresh() {
  const out = root.querySelector(".compose-preview");
  if (!out) return;
  preview(out, text(), state.values);
  clearTimeout(state.timer);
  state.timer = setTimeout(runCheck, 200);
}

async function runCheck() {
  const box2 = root.querySelector(".compose-check");
  if (!box2) return;
  const t = filled();
  if (state.ctrl) state.ctrl.abort();
  state.ctrl = new AbortController();
  try {
    const issues = await checkText(t, state.ctrl.signal);
    const list = el("ul", "check-issues");
    for (const is of issues) list.append(el("li", `risk risk-${is.severity}`, `「${is.text}」${is.category}：建议「${is.suggestion}」`));
    box2.replaceChildren(el("p", issues.length ? "fill-warn" : "muted", summaryOf(t, issues)), list);
  } catch (e) {
    if (e.name !== "AbortError") box2.replaceChildren(el("p", "muted", messageOf(e, "检查失败，请重试")));
  }
}

async function copy() {
  const missing = gaps();
  const warn = root.querySelector(".compose-warn");
  if (missing.length) {
    warn.textContent = `还有 ${missing.length} 个占位符未填写：${missing.join("、")}。填写后才能复制。`;
    warn.classList.remove("hidden");
    for (const n of missing) state.inputs[n]?.setAttribute("aria-invalid", "true");
    state.inputs[missing[0]]?.focus();
    return false;
  }
  warn.classList.add("hidden");
  const values = Object.fromEntries(names().map((n) => [n, state.values[n]]));
  const pending = post("/api/compose/copy", { pieces: state.pieces.map((p) => p.slug), values }).then(json);
  let ok;
  try {
    ok = await writePending(pending.then((d) => d.text));
    const data = await pending;
    if (!ok) ok = await copyText(data.text);
  } catch (e) {
    showStatus(messageOf(e, "复制失败，请重试"));
    return false;
  }
  showStatus(ok ? "已复制整段回复 ✓" : "复制失败，请手动选择文字复制");
  root.dispatchEvent(new CustomEvent("compose:copied", { bubbles: true }));
  loadRecent();
  return ok;
}

async function loadRecent() {
  try {
    state.recent = (await getJSON("/api/me/compositions")).compositions;
  } catch (e) {
    state.recent = [];
  }
  if (!state.pieces.length) renderRecent();
}

function renderRecent() {
  if (!state.recent.length) return root.replaceChildren();
  const list = el("ul", "compose-recent");
  for (const c of state.recent.slice(0, 5)) {
    const li = el("li");
    li.append(button(`${c.title}（${c.uses} 次）`, () => reuse(c), "link"));
    list.append(li);
  }
  root.replaceChildren(el("h2", "", "最近组合的回复"), list);
}

async function reuse(c) {
  try {
    state.pieces = await Promise.all(c.pieces.map((p) => pieceOf(p.slug)));
  } catch (e) {
    return showStatus(messageOf(e, "打开这段回复失败，请重试"));
  }
  render();
  (state.inputs[gaps()[0]] || root.querySelector(".compose-copy"))?.focus();
}

document.addEventListener("ws:add", (ev) => {
  ev.preventDefault();
  add(ev.detail.hit.slug);
});
root.addEventListener("input", (ev) => {
  if (!ev.target.name) return;
  state.values[ev.target.name] = ev.target.value;
  ev.target.removeAttribute("aria-invalid");
  refresh();
});
box.addEventListener("keydown", (ev) => {
  // Tab from the search box goes straight to the first empty field of the reply.
  if (ev.key !== "Tab" || ev.shiftKey || !state.pieces.length) return;
  const target = state.inputs[gaps()[0]] || root.querySelector(".compose-fields input");
  if (!target) return;
  ev.preventDefault();
  target.focus();
});
document.addEventListener("keydown", (ev) => {
  if (ev.key !== "Enter" || !(ev.ctrlKey || ev.metaKey) || !state.pieces.length) return;
  if (fillPanel?.contains(ev.target)) return; // the open template's own copy
  ev.preventDefault();
  ev.stopPropagation();
  copy();
}, true);

loadRecent();
