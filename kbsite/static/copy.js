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
// Write while the user's key press still counts as activation: ClipboardItem takes the pending
// text, so a server round trip does not cost the permission. False when that is unsupported.
export async function writePending(pending) {
  if (!(window.ClipboardItem && navigator.clipboard?.write)) return false;
  try {
    const blob = pending.then((text) => new Blob([text], { type: "text/plain" }));
    await navigator.clipboard.write([new ClipboardItem({ "text/plain": blob })]);
    return true;
  } catch (e) {
    await pending; // let a server error surface as the message, not a clipboard one
    return false;
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
