// The item page's template panel: replaces the static text with the fill form (see fill.js).
import { mountFill } from "./fill.js";

const host = document.getElementById("tpl-panel");
if (host?.dataset.template) {
  const fill = mountFill(host, JSON.parse(host.dataset.template));
  fill.focus();
}
