// The workspace search page: results as you type (debounced, stale requests aborted, old results kept
// until new ones arrive), keyboard navigation, one-click facets, templates opened beside the results.
import { mountFill, post } from "./fill.js";
import { messageOf, readJSON } from "./errors.js";

const DEBOUNCE_MS = 90;
// Type labels come from the content-type registry, via a meta tag on the page.
const LABELS = JSON.parse(document.querySelector('meta[name="kb-type-labels"]')?.content || "{}");
const $ = (id) => document.getElementById(id);
const box = $("ws-q"), list = $("ws-results"), status = $("ws-status"), filtersEl = $("ws-filters");
const panel = $("ws-panel"), lists = $("ws-lists"), gapEl = $("ws-gap");
const state = { q: "", shown: null, openWhenShown: false, filters: { type: null, category: null, tag: null }, hits: [], active: -1,
  logId: null, timer: 0, lastKey: -1e9, ctrl: null, seq: 0, fill: null };

function el(tag, cls, text) {
  const node = document.createElement(tag);
  if (cls) node.className = cls;
  if (text !== undefined) node.textContent = text;
  return node;
}

// Snippets are server HTML escaped except <mark>; rebuild them from text and <mark> nodes only.
function snippet(html) {
  const tpl = document.createElement("template");
  tpl.innerHTML = html;
  const frag = document.createDocumentFragment();
  const walk = (node) => {
    for (const child of node.childNodes) {
      if (child.nodeType === Node.TEXT_NODE) frag.append(child.textContent);
      else if (child.nodeName === "MARK") frag.append(el("mark", "", child.textContent));
      else walk(child);
    }
  };
  walk(tpl.content);
  return frag;
}

// Debounce with a leading edge: the first keystroke after a pause searches at once, a burst of
// fast keystrokes waits until DEBOUNCE_MS after the last one.
function schedule() {
  clearTimeout(state.timer);
  const now = performance.now();
  const idle = now - state.lastKey > DEBOUNCE_MS;
  state.lastKey = now;
  if (idle) run();
  else state.timer = setTimeout(run, DEBOUNCE_MS);
}

async function run() {
  const q = box.value.trim();
  state.q = q;
  if (state.ctrl) state.ctrl.abort();
  history.replaceState(null, "", q ? `?q=${encodeURIComponent(q)}` : location.pathname);
  if (!q) return showEmpty();
  const ctrl = new AbortController();
  state.ctrl = ctrl;
  const seq = ++state.seq;
  const params = new URLSearchParams({ q, limit: "10" });
  for (const [k, v] of Object.entries(state.filters)) if (v) params.set(k, v);
  box.classList.add("busy");
  try {
    const resp = await fetch(`/api/search?${params}`, { signal: ctrl.signal, credentials: "same-origin",
      headers: { Accept: "application/json" } });
    const data = await resp.json();
    if (seq !== state.seq) return;
    if (!resp.ok) throw Object.assign(new Error(data.error || "搜索失败"), { fromServer: true });
    render(data);
  } catch (e) {
    if (e.name === "AbortError" || seq !== state.seq) return;
    // The server's messages are written for agents; anything else is a bug, never shown raw.
    if (!e.fromServer) console.error(e);
    status.textContent = e.fromServer ? e.message : "搜索失败，请重试";
  } finally {
    if (seq === state.seq) box.classList.remove("busy");
  }
}

function showEmpty() {
  state.shown = "";
  state.openWhenShown = false;
  state.hits = [];
  state.logId = null;
  list.replaceChildren();
  filtersEl.replaceChildren();
  status.textContent = "";
  gapEl.replaceChildren();
  gapEl.hidden = true;
  box.setAttribute("aria-expanded", "false");
  box.classList.remove("busy");
}

function render(data) {
  state.shown = data.query;
  state.hits = data.results;
  state.logId = data.log_id;
  state.active = data.results.length ? 0 : -1;
  const frag = document.createDocumentFragment();
  data.results.forEach((hit, i) => frag.append(row(hit, i)));
  list.replaceChildren(frag);
  box.setAttribute("aria-expanded", data.results.length ? "true" : "false");
  renderStatus(data);
  renderGap(data);
  renderFacets(data.facets || {});
  highlight();
  performance.mark(`ws-results:${data.query}`);
  document.dispatchEvent(new CustomEvent("ws:results", { detail: { query: data.query, total: data.total } }));
  // Enter pressed before these results arrived: open the top one now, never a previous prefix's hit.
  if (state.openWhenShown && data.query === box.value.trim()) {
    state.openWhenShown = false;
    if (data.results.length) open(0);
  }
}

// Shift+Enter or "＋": the hit becomes a piece of the composed reply (compose.js); the next hit is
// selected so that consecutive pieces take one key each.
function addToReply(i) {
  const hit = state.hits[i];
  if (!hit) return;
  const added = !document.dispatchEvent(new CustomEvent("ws:add", { cancelable: true, detail: { hit } }));
  if (added && state.active < state.hits.length - 1) {
    state.active = i + 1;
    highlight();
  }
}

function row(hit, i) {
  const li = el("li", "ws-hit");
  li.id = `ws-hit-${i}`;
  li.setAttribute("role", "option");
  li.dataset.index = i;
  const head = el("div", "ws-hit-head");
  head.append(el("span", `badge badge-${hit.type}`, LABELS[hit.type] || hit.type));
  const a = el("a", "ws-hit-title", hit.title);
  a.href = `/items/${encodeURIComponent(hit.slug)}`;
  a.tabIndex = -1;
  head.append(a);
  if (hit.status !== "published") head.append(el("span", "state state-draft", "草稿"));
  head.append(el("span", "muted", hit.category));
  if (hit.status === "published") {
    const add = el("button", "small ws-add", "＋");
    add.type = "button";
    add.tabIndex = -1;
    add.title = "加入回复（Shift+Enter）";
    add.setAttribute("aria-label", "加入回复");
    head.append(add);
  }
  const p = el("p", "ws-snippet");
  p.append(snippet(hit.snippet));
  li.append(head, p);
  if (hit.trust) li.append(el("p", `ws-trust${hit.trust.stale ? " is-stale" : ""}`, hit.trust.label));
  return li;
}

function renderStatus(data) {
  status.replaceChildren();
  if (data.message) status.append(data.message);
  else if (!data.total) status.append("没有找到相关条目，换个说法试试，或去掉筛选条件。");
  else status.append(`共 ${data.total} 条`);
  if (data.suggestion) {
    status.append("　您是不是要找：");
    const b = el("button", "link ws-suggest", data.suggestion);
    b.type = "button";
    b.addEventListener("click", () => { box.value = data.suggestion; run(); box.focus(); });
    status.append(b);
  }
  if (data.notice) status.append(el("span", "ws-notice", data.notice));
}

// Not confident that the first result answers the question: say so, and offer one click to tell
// trainers (the search lands in their gap list).
function renderGap(data) {
  gapEl.replaceChildren();
  gapEl.hidden = !data.query || data.confidence === "high" || Boolean(data.message);
  if (gapEl.hidden) return;
  gapEl.append(el("strong", "", "没有找到直接答案"));
  gapEl.append(data.total ? "，下面的内容可能相关。" : "。");
  if (!data.log_id) return;
  const b = el("button", "small ws-gap-report", "报告给培训师");
  b.type = "button";
  b.addEventListener("click", async () => {
    b.disabled = true;
    const resp = await post(`/api/search/${data.log_id}/gap`).catch(() => null);
    if (resp && resp.ok) b.replaceWith(el("span", "ws-gap-done", "已报告，培训师会在“搜索缺口”里看到。"));
    else { b.disabled = false; b.textContent = "报告失败，点此重试"; }
  });
  gapEl.append(" ", b);
}

const FACETS = [["type", "类型", 4], ["category", "分类", 8], ["tag", "标签", 12]];
function renderFacets(facets) {
  const frag = document.createDocumentFragment();
  for (const [key, label, max] of FACETS) {
    // JSON objects arrive sorted by key: order by count here so the biggest chip is never cut off.
    const counts = Object.entries(facets[key] || {}).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0], "zh"))
      .slice(0, max);
    const active = state.filters[key];
    if (!counts.length && !active) continue;
    const group = el("div", "ws-facet");
    group.append(el("span", "ws-facet-label", label));
    if (active) group.append(chip(key, active, null, true));
    for (const [value, n] of counts) if (value !== active) group.append(chip(key, value, n, false));
    frag.append(group);
  }
  filtersEl.replaceChildren(frag);
}

function chip(key, value, n, on) {
  const b = el("button", on ? "chip chip-on" : "chip");
  b.type = "button";
  b.dataset.key = key;
  b.dataset.value = value;
  b.setAttribute("aria-pressed", on ? "true" : "false");
  b.textContent = `${key === "type" ? LABELS[value] || value : value}${n == null ? " ×" : ` ${n}`}`;
  return b;
}

filtersEl.addEventListener("click", (ev) => {
  const b = ev.target.closest("button.chip");
  if (!b) return;
  const { key, value } = b.dataset;
  state.filters[key] = state.filters[key] === value ? null : value;
  run();
  box.focus();
});

function highlight() {
  for (const li of list.children) li.setAttribute("aria-selected", String(Number(li.dataset.index) === state.active));
  const cur = state.active >= 0 ? $(`ws-hit-${state.active}`) : null;
  if (cur) {
    box.setAttribute("aria-activedescendant", cur.id);
    cur.scrollIntoView({ block: "nearest" });
  } else box.removeAttribute("aria-activedescendant");
}

function recordOpen(hit, rank) {
  if (!state.logId) return;
  post(`/api/search/${state.logId}/open`, { slug: hit.slug, rank }).catch(() => {});
}

function open(i) {
  const hit = state.hits[i];
  if (!hit) return;
  recordOpen(hit, i + 1);
  // The side panel shows answers in place: it cancels this event and renders the entry itself.
  if (!document.dispatchEvent(new CustomEvent("ws:open", { cancelable: true, detail: { hit } }))) return;
  if (hit.type === "template" && hit.status === "published") openTemplate(hit.slug);
  else location.assign(`/items/${encodeURIComponent(hit.slug)}`);
}

async function openTemplate(slug) {
  let tpl;
  try {
    const resp = await fetch(`/api/templates/${encodeURIComponent(slug)}`, { credentials: "same-origin",
      headers: { Accept: "application/json" } });
    if (!resp.ok && resp.headers.get("Content-Type")?.includes("json")) {
      return location.assign(`/items/${encodeURIComponent(slug)}`);  // the page explains it
    }
    tpl = await readJSON(resp, "打开模板失败，请重试");
  } catch (e) {
    status.textContent = messageOf(e, "打开模板失败，请重试");
    return;
  }
  state.fill = mountFill(panel, tpl, { itemLink: true, onClose: closeTemplate });
  panel.classList.remove("hidden");
  lists.classList.add("hidden");
  state.fill.focus();
}

function closeTemplate() {
  state.fill = null;
  panel.classList.add("hidden");
  panel.replaceChildren();
  lists.classList.remove("hidden");
  box.focus();
}

async function refreshLists() {
  const resp = await fetch("/api/me/templates", { credentials: "same-origin", headers: { Accept: "application/json" } });
  if (!resp.ok) return;
  const data = await resp.json();
  for (const name of ["favourites", "recent", "popular"]) {
    const ul = $(`ws-list-${name}`);
    if (!ul) continue;
    const frag = document.createDocumentFragment();
    for (const t of data[name]) {
      const li = el("li", "item-row");
      const a = el("a", "", t.title);
      a.href = `/items/${encodeURIComponent(t.slug)}`;
      a.dataset.template = t.slug;
      li.append(a);
      if (name === "popular") li.append(el("span", "muted", `${t.count} 次`));
      frag.append(li);
    }
    ul.replaceChildren(frag);
    ul.closest("section")?.classList.toggle("is-empty", !data[name].length);
  }
}

box.addEventListener("input", (ev) => {
  if (ev.isComposing) return; // wait for the IME to commit
  state.openWhenShown = false; // typing on after Enter: the pending open is for another text
  schedule();
});
box.addEventListener("compositionend", schedule);
box.addEventListener("paste", (ev) => {
  // A pasted customer message keeps its words apart: line breaks become spaces.
  const text = ev.clipboardData?.getData("text/plain");
  if (!text || !/[\r\n]/.test(text)) return;
  ev.preventDefault();
  box.setRangeText(text.replace(/\s*[\r\n]+\s*/g, " ").trim(), box.selectionStart, box.selectionEnd, "end");
  schedule();
});
box.addEventListener("keydown", (ev) => {
  if (ev.isComposing) return;
  const n = state.hits.length;
  if (ev.key === "ArrowDown" && n) {
    ev.preventDefault();
    state.active = (state.active + 1) % n;
    highlight();
  } else if (ev.key === "ArrowUp" && n) {
    ev.preventDefault();
    state.active = (state.active - 1 + n) % n;
    highlight();
  } else if (ev.key === "Enter" && ev.shiftKey && n) {
    ev.preventDefault();
    addToReply(Math.max(0, state.active));
  } else if (ev.key === "Enter" && !(ev.ctrlKey || ev.metaKey)) {
    ev.preventDefault();
    const q = box.value.trim();
    if (q !== state.shown) { // results for this text not shown yet: open the top hit once they are
      state.openWhenShown = Boolean(q);
      if (q !== state.q) { clearTimeout(state.timer); run(); }
    } else if (n) open(Math.max(0, state.active));
  } else if (ev.key === "Escape") {
    ev.preventDefault();
    if (!box.value && state.fill) return closeTemplate();
    box.value = "";
    clearTimeout(state.timer);
    run();
  }
});
list.addEventListener("click", (ev) => {
  const li = ev.target.closest(".ws-hit");
  if (!li || ev.ctrlKey || ev.metaKey || ev.button) return;
  ev.preventDefault();
  if (ev.target.closest(".ws-add")) addToReply(Number(li.dataset.index));
  else open(Number(li.dataset.index));
});
lists.addEventListener("click", (ev) => {
  const a = ev.target.closest("a[data-template]");
  if (!a || ev.ctrlKey || ev.metaKey) return;
  ev.preventDefault();
  openTemplate(a.dataset.template);
});
document.addEventListener("keydown", (ev) => {
  const typing = ev.target.closest?.("input, textarea, select, [contenteditable]");
  if (ev.key === "/" && !typing) {
    ev.preventDefault();
    box.focus();
    box.select();
  } else if (ev.key === "Escape" && state.fill && ev.target !== box) {
    ev.preventDefault();
    closeTemplate();
  } else if (ev.key === "Enter" && (ev.ctrlKey || ev.metaKey) && state.fill && !panel.contains(ev.target)) {
    ev.preventDefault();
    state.fill.copy();
  }
});
panel.addEventListener("fill:copied", refreshLists);
panel.addEventListener("fill:favourite", refreshLists);

box.focus();
if (box.value.trim()) run();
document.documentElement.dataset.wsReady = "1";
performance.mark("ws-ready");
