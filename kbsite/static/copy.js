// Copy buttons: <button data-copy-target="id"> copies that element's text.
"use strict";
export async function copyText(text) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch (e) {
    // Fallback for pages without clipboard permission (e.g. plain http on a LAN address).
    const area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.className = "offscreen";
    document.body.appendChild(area);
    area.select();
    const ok = document.execCommand("copy");
    area.remove();
    return ok;
  }
}
document.addEventListener("click", async (ev) => {
  const btn = ev.target.closest("[data-copy-target]");
  if (!btn) return;
  const el = document.getElementById(btn.dataset.copyTarget);
  if (!el) return;
  const ok = await copyText(el.innerText);
  const label = btn.textContent;
  btn.textContent = ok ? "已复制 ✓" : "复制失败";
  setTimeout(() => { btn.textContent = label; }, 1500);
});
