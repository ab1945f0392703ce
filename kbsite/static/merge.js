// Conflict merge: per changed block choose 保留我的 / 保留当前 / 两者都要; the merged body goes into the editor.
"use strict";
(function () {
  const merge = document.getElementById("merge");
  const body = document.getElementById("body");
  const form = document.getElementById("editor");
  if (!merge || !body || !form) return;
  const blocks = Array.from(merge.querySelectorAll(".merge-block"));
  let composed = body.value;

  function linesOf(block, choice) {
    const current = JSON.parse(block.dataset.current || "[]");
    if (block.dataset.kind === "equal" || choice === "current") return current;
    const mine = JSON.parse(block.dataset.mine || "[]");
    return choice === "mine" ? mine : current.concat(mine);
  }

  function compose() {
    const lines = [];
    for (const block of blocks) {
      const picked = block.querySelector("input[type=radio]:checked");
      lines.push(...linesOf(block, picked ? picked.value : "both"));
    }
    return lines.join("\n");
  }

  for (const block of blocks) {
    const picked = block.querySelector("input[type=radio]:checked");
    if (picked) block.dataset.choice = picked.value;
  }

  merge.addEventListener("change", (ev) => {
    if (!ev.target.matches("input[type=radio]")) return;
    const block = ev.target.closest(".merge-block");
    if (body.value !== composed && !window.confirm("编辑框中的手动修改将被合并结果覆盖，继续吗？")) {
      const previous = block.querySelector(`input[value="${block.dataset.choice}"]`);
      if (previous) previous.checked = true;  // keep the manual edits and the old choice
      return;
    }
    block.dataset.choice = ev.target.value;
    composed = compose();
    body.value = composed;
    body.dispatchEvent(new Event("input", { bubbles: true }));  // refresh the live preview
  });

  document.getElementById("conflict").addEventListener("click", (ev) => {
    const button = ev.target.closest("button[data-merge-field]");
    if (!button) return;
    const field = form.elements[button.dataset.mergeField];
    if (!field) return;
    field.value = button.dataset.value;
    field.dispatchEvent(new Event("input", { bubbles: true }));
  });
})();
