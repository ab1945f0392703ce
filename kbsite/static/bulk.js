// Bulk edit: the "全选" box selects every listed entry.
"use strict";
(function () {
  const all = document.getElementById("bulk-all");
  const form = document.getElementById("bulk-form");
  if (!all || !form) return;
  all.addEventListener("change", () => {
    for (const box of form.querySelectorAll("input[name=slug]")) box.checked = all.checked;
  });
})();
