// Images kept with templates and entries: copy one to the clipboard (as PNG, the type clipboards
// take) or copy its link, next to the text. Used by the composer, the side panel and entry pages.
import { copyText } from "./copy.js";

function el(tag, cls, text) {
  const node = document.createElement(tag);
  if (cls) node.className = cls;
  if (text !== undefined) node.textContent = text;
  return node;
}

function button(label, onClick, cls) {
  const b = el("button", cls, label);
  b.type = "button";
  b.addEventListener("click", onClick);
  return b;
}

// The copy buttons of one image card.
function actions(card, url) {
  const link = new URL(url, location.href).href;
  const status = el("span", "muted");
  status.setAttribute("role", "status");
  card.append(
    button("复制图片", async () => { status.textContent = (await copyImage(url)) ? "已复制图片 ✓" : "复制失败，请复制链接"; },
      "small img-copy"),
    button("复制链接", async () => { status.textContent = (await copyText(link)) ? "已复制链接 ✓" : "复制失败"; },
      "small img-link"),
    status);
}

export function imageCard(img) {
  const card = el("figure", "img-card");
  const pic = el("img");
  pic.src = img.url;
  pic.alt = img.name;
  pic.loading = "lazy";
  card.append(pic, el("figcaption", "", img.name));
  actions(card, img.url);
  return card;
}

// Clipboards take PNG only: other types are redrawn as PNG on a canvas first.
export async function copyImage(url) {
  if (!(window.ClipboardItem && navigator.clipboard?.write)) return false;
  const png = fetch(url, { credentials: "same-origin" }).then((r) => r.blob()).then(async (blob) => {
    if (blob.type === "image/png") return blob;
    const bitmap = await createImageBitmap(blob);
    const canvas = Object.assign(document.createElement("canvas"), { width: bitmap.width, height: bitmap.height });
    canvas.getContext("2d").drawImage(bitmap, 0, 0);
    return new Promise((ok) => canvas.toBlob(ok, "image/png"));
  });
  try {
    await navigator.clipboard.write([new ClipboardItem({ "image/png": png })]);
    return true;
  } catch (e) {
    return false;
  }
}

for (const card of document.querySelectorAll(".entry-images .img-card[data-url]")) actions(card, card.dataset.url);
