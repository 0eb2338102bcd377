// A modal the bot opened, shown as a dialog; submitting sends the modal-submit interaction.

import { api } from "./api.js";
import { h } from "./dom.js";
import { renderMarkdown } from "./markdown.js";

const TEXT_INPUT = 4;
const ACTION_ROW = 1;
const LABEL = 18;
const TEXT_DISPLAY = 10;
const STRING_SELECT = 3;

function input(component, label, description) {
  const required = component.required !== false;
  const attrs = {
    name: component.custom_id,
    "data-custom-id": component.custom_id,
    placeholder: component.placeholder,
    minlength: component.min_length,
    maxlength: component.max_length ?? 4000,
    required,
  };
  let control;
  if (component.type === STRING_SELECT) {
    control = h(
      "select",
      { ...attrs, multiple: (component.max_values ?? 1) > 1 },
      (component.options || []).map((o) => h("option", { value: o.value, selected: Boolean(o.default) }, o.label)),
    );
  } else if (component.style === 2) {
    control = h("textarea", { ...attrs, rows: 4 });
    control.value = component.value ?? "";
  } else {
    control = h("input", { ...attrs, type: "text" });
    control.value = component.value ?? "";
  }
  return h(
    "label",
    { class: "modal-field" },
    h("span", { class: "field-label" }, label || component.label || component.custom_id, required ? h("span", { class: "required" }, "*") : null),
    description ? h("span", { class: "field-desc" }, description) : null,
    control,
  );
}

export function openModal(app, interaction) {
  const modal = interaction.modal;
  const dialog = document.getElementById("modal-dialog");
  const fields = [];
  for (const top of modal.components || []) {
    if (top.type === ACTION_ROW) {
      for (const inner of top.components || []) if (inner.type === TEXT_INPUT) fields.push(input(inner));
    } else if (top.type === LABEL && top.component) {
      fields.push(input(top.component, top.label, top.description));
    } else if (top.type === TEXT_DISPLAY) {
      fields.push(h("div", { class: "markdown", html: renderMarkdown(top.content, app.markdownContext()) }));
    }
  }
  const error = h("div", { class: "form-error", role: "alert" });
  const cancel = h("button", { type: "button", class: "link-button" }, "Cancel");
  const submit = h("button", { type: "submit", class: "send-button" }, "Submit");
  const form = h(
    "form",
    { method: "dialog", class: "modal-form" },
    h("div", { class: "modal-head" }, h("div", { class: "modal-app" }, "Pika"), h("h2", {}, modal.title)),
    h("div", { class: "modal-fields" }, fields),
    error,
    h("div", { class: "modal-actions" }, cancel, submit),
  );
  cancel.addEventListener("click", () => dialog.close());
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!form.reportValidity()) return;
    const values = {};
    for (const control of form.querySelectorAll("[data-custom-id]")) {
      values[control.dataset.customId] =
        control.tagName === "SELECT" && control.multiple ? [...control.selectedOptions].map((o) => o.value) : control.value;
    }
    submit.disabled = true;
    try {
      const answer = await api.post("/modal", { user: app.me, interaction_id: interaction.id, values });
      dialog.close();
      app.track(answer.interaction_id, { where: "composer" });
    } catch (failure) {
      error.textContent = failure.message;
      submit.disabled = false;
    }
  });
  dialog.replaceChildren(form);
  dialog.showModal();
  const first = form.querySelector("input, textarea, select");
  if (first) first.focus();
}
