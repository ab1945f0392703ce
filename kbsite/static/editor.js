// Editor: live preview through the server's sanitising renderer; warns before leaving unsaved edits.
"use strict";
const form = document.getElementById("editor");
const body = document.getElementById("body");
const preview = document.getElementById("preview");
const token = document.querySelector('meta[name="csrf-token"]').content;
let timer = null;
let inflight = null;
let dirty = false;

async function renderPreview() {
  if (inflight) inflight.abort();
  inflight = new AbortController();
  const data = new FormData();
  data.append("body", body.value);
  try {
    const resp = await fetch("/preview", {
      method: "POST", body: data, signal: inflight.signal,
      headers: { "X-CSRFToken": token, "Accept": "application/json" },
    });
    const json = await resp.json();
    preview.innerHTML = resp.ok ? json.html : "";
    if (!resp.ok) preview.textContent = json.error || "预览失败";
  } catch (e) {
    if (e.name !== "AbortError") preview.textContent = "预览暂不可用";
  }
}

if (body && preview) {
  body.addEventListener("input", () => {
    dirty = true;
    clearTimeout(timer);
    timer = setTimeout(renderPreview, 200);
  });
  renderPreview();
}
if (form) {
  form.addEventListener("input", () => { dirty = true; });
  form.addEventListener("submit", () => { dirty = false; });
  window.addEventListener("beforeunload", (ev) => { if (dirty) { ev.preventDefault(); } });
}
