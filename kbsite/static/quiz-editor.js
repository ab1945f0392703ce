// Quiz form editor: add, remove and move questions and their rows (options, items, pairs,
// chat lines, key points). The form posts rows in page order, so moving a node is enough;
// question 顺序 numbers are rewritten after every move so the server sees the same order.
// Without this script the existing rows and one blank row per list still edit normally.
const editor = document.getElementById("quiz-editor");

function fresh(container, placeholder, template) {
  const next = Number(container.dataset.next || "1");
  container.dataset.next = String(next + 1);
  return template.innerHTML.replaceAll(placeholder, String(next));
}

function renumber() {
  editor.querySelectorAll("#quiz-questions > .q-edit").forEach((li, i) => {
    li.querySelector(".q-number").textContent = String(i + 1);
    li.querySelector('input[name$="-order"]').value = String(i + 1);
  });
}

function move(node, up) {
  const other = up ? node.previousElementSibling : node.nextElementSibling;
  if (!other) return;
  if (up) other.before(node); else other.after(node);
  renumber();
}

function addQuestion() {
  const kind = document.getElementById("new-question-kind").value;
  const list = document.getElementById("quiz-questions");
  list.insertAdjacentHTML("beforeend", fresh(list, /__N__/g, document.getElementById(`new-question-${kind}`)));
  renumber();
  const added = list.lastElementChild;
  added.scrollIntoView({ block: "center" });
  added.querySelector("textarea, input:not([type=hidden])")?.focus();
}

function addRow(rows) {
  const list = rows.querySelector(":scope > .row-list");
  list.insertAdjacentHTML("beforeend", fresh(rows, /__M__/g, rows.querySelector(":scope > .row-template")));
  list.lastElementChild.querySelector("input:not([type=checkbox]), textarea")?.focus();
}

if (editor) {
  editor.classList.add("js-ready");
  document.getElementById("add-question").addEventListener("click", addQuestion);
  editor.addEventListener("click", (event) => {
    const button = event.target.closest("button");
    if (!button) return;
    if (button.classList.contains("add-row")) addRow(button.closest(".rows"));
    else if (button.classList.contains("row-remove")) button.closest(".row-edit").remove();
    else if (button.classList.contains("row-up")) move(button.closest(".row-edit"), true);
    else if (button.classList.contains("row-down")) move(button.closest(".row-edit"), false);
    else if (button.classList.contains("q-up")) move(button.closest(".q-edit"), true);
    else if (button.classList.contains("q-down")) move(button.closest(".q-edit"), false);
  });
}
