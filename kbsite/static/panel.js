// The side panel: the workspace's own modules in a narrow column; answers open in place (not a new
// page, the frame must stay put), and a small reply checker sits under the results.
import "./workspace.js";
import "./compose.js";
import { copyText } from "./copy.js";
import { attachChecker } from "./checker.js";
import { imageCard } from "./images.js";
import { messageOf, readJSON } from "./errors.js";

const $ = (id) => document.getElementById(id);
const panel = $("ws-panel"), box = $("ws-q");

function el(tag, cls, text) {
  const node = document.createElement(tag);
  if (cls) node.className = cls;
  if (text !== undefined) node.textContent = text;
  return node;
}

function button(label, onClick, cls = "small") {
  const b = el("button", cls, label);
  b.type = "button";
  b.addEventListener("click", onClick);
  return b;
}

function closeAnswer() {
  panel.classList.add("hidden");
  panel.replaceChildren();
  box.focus();
}

async function showAnswer(slug) {
  let entry;
  try {
    const resp = await fetch(`/api/items/${encodeURIComponent(slug)}`, { credentials: "same-origin",
      headers: { Accept: "application/json" } });
    entry = await readJSON(resp, "打开失败，请重试");
  } catch (e) {
    return void ($("ws-status").textContent = messageOf(e, "打开失败，请重试"));
  }
  const head = el("header", "fill-head");
  head.append(el("h2", "fill-title", entry.title), button("关闭 Esc", closeAnswer));
  const trust = el("p", `ws-trust${entry.trust.stale ? " is-stale" : ""}`, entry.trust.label);
  const text = el("pre", "reply pn-answer", entry.summary || "（该条目没有摘要，请查看全文）");
  const bar = el("p", "actions");
  const status = el("span", "muted");
  status.setAttribute("role", "status");
  const copy = button("复制 Ctrl+Enter", async () => {
    status.textContent = (await copyText(entry.summary)) ? "已复制 ✓" : "复制失败，请手动选择文字复制";
  }, "primary pn-copy");
  const add = button("加入回复", () => document.dispatchEvent(new CustomEvent("ws:add",
    { cancelable: true, detail: { hit: entry } })));
  const full = el("a", "small", "查看全文");
  full.href = `/items/${encodeURIComponent(entry.slug)}`;
  full.target = "_blank";
  full.rel = "noopener";
  bar.append(copy, add, full, status);
  const strip = el("div", "img-strip");
  for (const img of entry.images) strip.append(imageCard(img));
  panel.replaceChildren(head, trust, text, strip, bar);
  panel.dataset.slug = entry.slug;
  panel.classList.remove("hidden");
  copy.focus();
}

document.addEventListener("ws:open", (ev) => {
  const { hit } = ev.detail;
  if (hit.type === "template" && hit.status === "published") return; // the fill form, as in the workspace
  ev.preventDefault();
  showAnswer(hit.slug);
});
panel.addEventListener("keydown", (ev) => {
  if (ev.key === "Escape" && !panel.querySelector(".fill-fields")) {
    ev.preventDefault();
    closeAnswer();
  } else if (ev.key === "Enter" && (ev.ctrlKey || ev.metaKey) && panel.querySelector(".pn-copy")) {
    ev.preventDefault();
    panel.querySelector(".pn-copy").click();
  }
});

// The checker: as the agent types or pastes a draft reply.
attachChecker($("pn-check-text"), $("pn-check-summary"), $("pn-check-result"));
