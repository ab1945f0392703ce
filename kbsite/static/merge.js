// Merge page: writing in a conflict's hand-edit box (or copying a side into it) chooses "手动编辑".
// Nothing is chosen on load: the server refuses a save until every conflict has a choice.
"use strict";
(function () {
  const form = document.getElementById("merge-form");
  if (!form) return;

  function chooseEdit(part) {
    const radio = part && part.querySelector("input[type=radio][value=edit]");
    if (radio) radio.checked = true;
  }

  form.addEventListener("input", (ev) => {
    if (!ev.target.matches("textarea[name^='edit-']") || !ev.target.value.trim()) return;
    chooseEdit(ev.target.closest(".merge-part"));
  });

  form.addEventListener("click", (ev) => {
    const button = ev.target.closest("button[data-copy-side]");
    if (!button) return;
    const part = button.closest(".merge-part");
    const box = part.querySelector("textarea[name^='edit-']");
    if (box.value.trim() && !window.confirm("编辑框里已有内容，要替换吗？")) return;
    box.value = button.dataset.copySide;
    box.focus();
    chooseEdit(part);
  });

  const firstMissing = document.querySelector(".merge-missing");
  if (firstMissing) firstMissing.scrollIntoView({ block: "center" });
})();
