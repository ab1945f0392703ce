// The template fill panel: a field per {{placeholder}}, the live reply, channel tabs,
// copy (button or Ctrl+Enter) rendered by the server, favourite toggle. Plain DOM, no innerHTML.
import { copyText, writePending } from "./copy.js";
import { imageCard } from "./images.js";
import { messageOf, readJSON } from "./errors.js";

const PH = /\{\{[ \t\u3000]*([^{}\n]+?)[ \t\u3000]*\}\}/g;
const csrf = () => document.querySelector('meta[name="csrf-token"]')?.content || "";

export function post(url, body, method = "POST") {
  return fetch(url, {
    method, credentials: "same-origin",
    headers: { "Content-Type": "application/json", "X-CSRFToken": csrf(), "Accept": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

function el(tag, cls, text) {
  const node = document.createElement(tag);
  if (cls) node.className = cls;
  if (text !== undefined) node.textContent = text;
  return node;
}

export function placeholdersIn(text) {
  return [...new Set([...text.matchAll(PH)].map((m) => m[1]))];
}

// Live preview: filled values as text, empty placeholders as marked spans (same rule as render_preview).
export function preview(target, text, values) {
  const frag = document.createDocumentFragment();
  let pos = 0;
  for (const m of text.matchAll(PH)) {
    frag.append(text.slice(pos, m.index));
    const v = values[m[1]] || "";
    if (v.trim()) frag.append(v);
    else frag.append(el("span", "ph-empty", `{{${m[1]}}}`));
    pos = m.index + m[0].length;
  }
  frag.append(text.slice(pos));
  target.replaceChildren(frag);
}

export function mountFill(root, tpl, opts = {}) {
  const channels = Object.keys(tpl.variants || {});
  const state = { channel: channels[0] || null, values: {}, armed: false };
  const textOf = () => (state.channel ? tpl.variants[state.channel] : tpl.text);
  root.replaceChildren();
  root.dataset.slug = tpl.slug;

  const head = el("header", "fill-head");
  head.append(el("h2", "fill-title", tpl.title));
  const fav = el("button", "small fill-fav");
  fav.type = "button";
  const showFav = (on) => {
    fav.setAttribute("aria-pressed", on ? "true" : "false");
    fav.textContent = on ? "★ 已收藏" : "☆ 收藏";
  };
  showFav(!!tpl.favourite);
  if (tpl.live !== false) head.append(fav);
  if (opts.itemLink) {
    const a = el("a", "small", "查看条目");
    a.href = `/items/${encodeURIComponent(tpl.slug)}`;
    head.append(a);
  }
  if (opts.onClose) {
    const close = el("button", "small", "关闭 Esc");
    close.type = "button";
    close.addEventListener("click", opts.onClose);
    head.append(close);
  }
  root.append(head);
  if (tpl.category) root.append(el("p", "muted fill-cat", tpl.category));

  const tabs = el("div", "fill-tabs");
  tabs.setAttribute("role", "tablist");
  if (channels.length > 1) root.append(tabs);
  const fields = el("div", "fill-fields");
  const out = el("pre", "reply fill-preview");
  out.id = `fill-preview-${tpl.slug}`;
  out.setAttribute("aria-live", "polite");
  const warn = el("p", "fill-warn hidden");
  warn.setAttribute("role", "alert");
  const bar = el("p", "actions fill-actions");
  const copyBtn = el("button", "primary fill-copy", "复制 Ctrl+Enter");
  copyBtn.type = "button";
  const status = el("span", "muted fill-status");
  status.setAttribute("role", "status");
  bar.append(copyBtn, status);
  if (tpl.live === false) {
    bar.append(el("span", "muted", tpl.practice ? "（学习模式：按本页文字复制，不计入使用次数）"
      : "（未发布版本：按本页文字复制，不计入使用次数）"));
  }
  const strip = el("div", "img-strip");
  for (const img of tpl.images || []) strip.append(imageCard(img));
  root.append(fields, out, strip, warn, bar);

  const inputs = {};
  function buildFields() {
    fields.replaceChildren();
    for (const name of placeholdersIn(textOf())) {
      const label = el("label", "fill-field");
      label.append(el("span", "fill-name", name));
      const input = inputs[name] || document.createElement("input");
      input.type = "text";
      input.name = name;
      input.autocomplete = "off";
      input.value = state.values[name] || "";
      inputs[name] = input;
      label.append(input);
      fields.append(label);
    }
  }
  function refresh() {
    preview(out, textOf(), state.values);
    if (state.armed) {
      state.armed = false;
      warn.classList.add("hidden");
      for (const i of Object.values(inputs)) i.removeAttribute("aria-invalid");
    }
  }
  function selectChannel(ch) {
    state.channel = ch;
    for (const b of tabs.children) b.setAttribute("aria-selected", b.dataset.channel === ch ? "true" : "false");
    buildFields();
    refresh();
  }
  for (const ch of channels) {
    const b = el("button", "fill-tab", ch);
    b.type = "button";
    b.dataset.channel = ch;
    b.setAttribute("role", "tab");
    b.addEventListener("click", () => selectChannel(ch));
    tabs.append(b);
  }
  fields.addEventListener("input", (ev) => {
    if (ev.target.name) state.values[ev.target.name] = ev.target.value;
    refresh();
  });

  const empty = () => placeholdersIn(textOf()).filter((n) => !(state.values[n] || "").trim());

  async function serverText(partial) {
    const resp = await post(`/api/templates/${encodeURIComponent(tpl.slug)}/copy`,
      { values: valuesFor(), channel: state.channel, partial });
    return readJSON(resp, "复制失败，请重试");
  }
  function valuesFor() {
    const used = placeholdersIn(textOf());
    return Object.fromEntries(used.filter((n) => (state.values[n] || "").trim()).map((n) => [n, state.values[n]]));
  }

  async function copy() {
    const gaps = empty();
    if (gaps.length && !state.armed) {
      state.armed = true;
      warn.textContent = `还有 ${gaps.length} 个占位符未填写：${gaps.join("、")}。请填写后再复制；确需保留占位符，再按一次 Ctrl+Enter 或“复制”。`;
      warn.classList.remove("hidden");
      for (const n of gaps) inputs[n]?.setAttribute("aria-invalid", "true");
      inputs[gaps[0]]?.focus();
      return false;
    }
    const partial = gaps.length > 0;
    let ok;
    let copied = "";
    try {
      if (tpl.live === false) {
        copied = out.textContent;
        ok = await copyText(copied);
      } else {
        const pending = serverText(partial);
        ok = await writePending(pending.then((d) => d.text));
        const data = await pending;
        copied = data.text;
        if (!ok) ok = await copyText(copied);
        if (data.revision && tpl.revision && data.revision !== tpl.revision) {
          status.textContent = "模板刚刚更新过，已复制最新版本";
        }
      }
    } catch (e) {
      status.textContent = messageOf(e, "复制失败，请重试");
      return false;
    }
    status.textContent = ok ? (partial ? "已复制（含未填写的占位符）" : "已复制 ✓") : "复制失败，请手动选择文字复制";
    state.armed = false;
    warn.classList.add("hidden");
    root.dispatchEvent(new CustomEvent("fill:copied", { bubbles: true, detail: { slug: tpl.slug, text: copied } }));
    return ok;
  }

  copyBtn.addEventListener("click", copy);
  root.addEventListener("keydown", (ev) => {
    if (ev.key === "Enter" && (ev.ctrlKey || ev.metaKey)) {
      ev.preventDefault();
      copy();
    }
  });
  fav.addEventListener("click", async () => {
    const on = fav.getAttribute("aria-pressed") !== "true";
    const resp = await post(`/api/templates/${encodeURIComponent(tpl.slug)}/favourite`, undefined, on ? "PUT" : "DELETE");
    if (resp.ok) {
      showFav((await resp.json()).favourite);
      root.dispatchEvent(new CustomEvent("fill:favourite", { bubbles: true }));
    }
  });

  selectChannel(state.channel);
  return {
    copy,
    focus() {
      const first = fields.querySelector("input");
      (first || copyBtn).focus();
    },
  };
}
