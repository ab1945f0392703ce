// Merge page: writing in a conflict's hand-edit box chooses "手动编辑" for that conflict.
// Nothing is chosen on load: the server refuses a save until every conflict has a choice.
"use strict";
(function () {
  const form = document.getElementById("merge-form");
  if (!form) return;
  form.addEventListener("input", (ev) => {
    if (!ev.target.matches("textarea[name^='edit-']") || !ev.target.value.trim()) return;
    const part = ev.target.closest(".merge-part");
    const radio = part && part.querySelector("input[type=radio][value=edit]");
    if (radio) radio.checked = true;
  });
  const firstMissing = document.querySelector(".merge-missing");
  if (firstMissing) firstMissing.scrollIntoView({ block: "center" });
})();
