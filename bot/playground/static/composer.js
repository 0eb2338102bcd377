// The message box: plain messages, the "/" command picker and a form per command.

import { api } from "./api.js";
import { canSee, leafCommands, OPTION, orderedOptions } from "./commands.js";
import { displayName, h } from "./dom.js";

const INTEGER_LIMIT = 2 ** 53;

function readFileBase64(file) {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result).split(",", 2)[1] || "");
    reader.onerror = () => reject(reader.error);
    reader.readAsDataURL(file);
  });
}

export class Composer {
  constructor(root, app) {
    this.app = app;
    this.root = root;
    this.input = root.querySelector("#composer-input");
    this.popup = root.querySelector("#command-popup");
    this.formHost = root.querySelector("#command-form");
    this.notice = root.querySelector("#composer-notice");
    this.leaves = [];
    this.shown = [];
    this.highlight = 0;
    this.current = null; // {leaf, fields}
    this.input.addEventListener("input", () => {
      this.fit();
      this.onInput();
    });
    this.input.addEventListener("keydown", (event) => this.onKey(event));
    // Later, so a click on the list lands first; not if the box has the focus again by then.
    this.input.addEventListener("blur", () =>
      setTimeout(() => document.activeElement !== this.input && this.closePopup(), 150),
    );
    this.input.addEventListener("focus", () => this.onInput());
  }

  // Grow with the text, as Discord's box does (Shift+Enter makes a new line).
  fit() {
    this.input.style.height = "auto";
    this.input.style.height = this.input.scrollHeight + "px";
  }

  // -- the command list ------------------------------------------------------------------

  refresh() {
    const me = this.app.meMember();
    const visible = this.app.commands.filter((c) => canSee(c, me && me.permissions, this.app.isOwner()));
    this.leaves = leafCommands(visible, this.app.myLocale());
    if (this.current && !this.leaves.some((l) => l.path.join(" ") === this.current.leaf.path.join(" "))) {
      this.closeForm();
    }
    this.input.placeholder = `Message #${this.app.channelName(this.app.channelId)} — type / for commands`;
    if (!this.popup.hidden) this.onInput();
  }

  onInput() {
    const text = this.input.value;
    if (!text.startsWith("/")) {
      this.closePopup();
      return;
    }
    const query = text.slice(1).trim().toLowerCase();
    this.shown = this.leaves.filter((leaf) => {
      const name = leaf.path.join(" ");
      const label = leaf.label.join(" ").toLowerCase();
      return !query || name.includes(query) || label.includes(query);
    });
    this.highlight = 0;
    this.renderPopup();
  }

  renderPopup() {
    this.popup.replaceChildren();
    if (!this.leaves.length) {
      this.popup.append(h("div", { class: "command-empty" }, "The bot has not synced any command yet…"));
    } else if (!this.shown.length) {
      this.popup.append(h("div", { class: "command-empty" }, "No command matches"));
    }
    this.popup.append(h("div", { class: "popup-title" }, this.shown.length ? "Commands from Pika" : ""));
    this.shown.forEach((leaf, index) => {
      const name = leaf.path.join(" ");
      const item = h(
        "div",
        {
          class: index === this.highlight ? "command-item active" : "command-item",
          role: "option",
          "data-command": name,
        },
        h("span", { class: "command-item-name" }, "/" + leaf.label.join(" ")),
        h("span", { class: "command-item-desc" }, leaf.description || ""),
        h("span", { class: "command-item-app" }, "Pika"),
      );
      item.addEventListener("mousedown", (event) => {
        event.preventDefault();
        this.choose(leaf);
      });
      this.popup.append(item);
    });
    this.popup.hidden = false;
  }

  closePopup() {
    this.popup.hidden = true;
  }

  onKey(event) {
    if (!this.popup.hidden && this.shown.length) {
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();
        const step = event.key === "ArrowDown" ? 1 : -1;
        this.highlight = (this.highlight + step + this.shown.length) % this.shown.length;
        this.renderPopup();
        return;
      }
      if (event.key === "Enter" || event.key === "Tab") {
        event.preventDefault();
        this.choose(this.shown[this.highlight]);
        return;
      }
    }
    if (event.key === "Escape") {
      this.closePopup();
      this.closeForm();
      return;
    }
    if (event.key === "Enter" && !event.shiftKey && !this.input.value.startsWith("/")) {
      event.preventDefault();
      this.sendText();
    }
  }

  async sendText() {
    const content = this.input.value.trim();
    if (!content) return;
    try {
      await api.post("/messages", { user: this.app.me, channel: this.app.channelId, content });
      this.input.value = "";
      this.fit();
      this.say("");
    } catch (error) {
      this.say(error.message, true);
    }
  }

  say(text, isError = false) {
    this.notice.textContent = text;
    this.notice.classList.toggle("error", isError);
  }

  // -- the form of one command -------------------------------------------------------------

  choose(leaf) {
    this.closePopup();
    this.input.value = "";
    this.say("");
    const fields = orderedOptions(leaf.options).map((option) => this.field(leaf, option));
    const send = h("button", { class: "send-button", id: "command-send", type: "submit" }, "Send");
    const close = h("button", { class: "close-form", type: "button", title: "Cancel (Esc)", "aria-label": "Cancel" }, "×");
    close.addEventListener("click", () => this.closeForm());
    const form = h(
      "form",
      { class: "command-form", "data-command": leaf.path.join(" "), novalidate: true },
      h(
        "div",
        { class: "form-head" },
        h("span", { class: "command-title" }, "/" + leaf.label.join(" ")),
        h("span", { class: "command-desc" }, leaf.description || ""),
        close,
      ),
      fields.length
        ? h("div", { class: "form-fields" }, fields.map((f) => f.element))
        : h("div", { class: "form-none" }, "This command has no options."),
      h("div", { class: "form-error", role: "alert" }),
      h("div", { class: "form-actions" }, h("span", { class: "hint" }, "Enter to send, Esc to cancel"), send),
    );
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.submit();
    });
    form.addEventListener("keydown", (event) => {
      if (event.key === "Escape") this.closeForm();
    });
    this.current = { leaf, fields, form };
    this.formHost.replaceChildren(form);
    this.formHost.hidden = false;
    const first = form.querySelector("input, select, textarea");
    if (first) first.focus();
  }

  closeForm() {
    this.current = null;
    this.formHost.replaceChildren();
    this.formHost.hidden = true;
  }

  field(leaf, option) {
    const control = this.control(leaf, option);
    const error = h("div", { class: "field-error" });
    const element = h(
      "label",
      { class: `field type-${option.type}`, "data-option": option.name },
      h(
        "span",
        { class: "field-label" },
        option.label || option.name,
        option.required ? h("span", { class: "required", title: "required" }, "*") : h("span", { class: "optional" }, "optional"),
      ),
      control.element,
      h("span", { class: "field-desc" }, option.description && option.description !== "…" ? option.description : ""),
      error,
    );
    return { option, element, error, read: control.read };
  }

  control(leaf, option) {
    const app = this.app;
    const choices = option.choices || [];
    const select = (items, empty = !option.required) => {
      const element = h(
        "select",
        { name: option.name },
        h("option", { value: "" }, empty ? "—" : "Choose…"),
        items.map((item) => h("option", { value: item.value }, item.label)),
      );
      return { element, read: () => (element.value === "" ? undefined : element.value) };
    };
    const typed = [OPTION.STRING, OPTION.INTEGER, OPTION.NUMBER].includes(option.type);
    if (option.autocomplete && typed) {
      const element = h("input", { type: "text", name: option.name, autocomplete: "off" });
      return this.autocomplete(leaf, option, element);
    }
    if (choices.length) {
      const picked = select(choices.map((c) => ({ value: JSON.stringify(c.value), label: c.name })));
      return { element: picked.element, read: () => (picked.read() === undefined ? undefined : JSON.parse(picked.read())) };
    }
    switch (option.type) {
      case OPTION.BOOLEAN: {
        const picked = select([
          { value: "true", label: "True" },
          { value: "false", label: "False" },
        ]);
        return { element: picked.element, read: () => (picked.read() === undefined ? undefined : picked.read() === "true") };
      }
      case OPTION.USER:
        return select(app.members().map((m) => ({ value: m.user.id, label: displayName(m.user) + (m.user.bot ? " (app)" : "") })));
      case OPTION.ROLE:
        return select(app.roles().map((r) => ({ value: r.id, label: r.name })));
      case OPTION.MENTIONABLE:
        return select([
          ...app.members().map((m) => ({ value: m.user.id, label: displayName(m.user) })),
          ...app.roles().map((r) => ({ value: r.id, label: "@" + r.name })),
        ]);
      case OPTION.CHANNEL: {
        const types = option.channel_types;
        return select(
          app
            .channels(true)
            .filter((c) => !types || !types.length || types.includes(c.type))
            .map((c) => ({ value: c.id, label: "#" + c.name })),
        );
      }
      case OPTION.INTEGER:
      case OPTION.NUMBER: {
        const element = h("input", {
          type: "number",
          name: option.name,
          step: option.type === OPTION.INTEGER ? "1" : "any",
          min: option.min_value,
          max: option.max_value,
          placeholder: rangeText(option),
        });
        return { element, read: () => (element.value.trim() === "" ? undefined : element.value.trim()) };
      }
      case OPTION.ATTACHMENT: {
        const element = h("input", { type: "file", name: option.name });
        return { element, read: () => element.files[0] };
      }
      default: {
        const element = h("input", {
          type: "text",
          name: option.name,
          autocomplete: "off",
          minlength: option.min_length,
          maxlength: option.max_length,
        });
        return { element, read: () => (element.value === "" ? undefined : element.value) };
      }
    }
  }

  autocomplete(leaf, option, input) {
    const list = h("div", { class: "ac-list", hidden: true, role: "listbox" });
    const wrapper = h("div", { class: "ac-wrapper" }, input, list);
    let timer = null;
    let sequence = 0;
    const show = (choices) => {
      list.replaceChildren(
        ...(choices.length ? choices : [{ name: "No matches", value: null }]).map((choice) => {
          const item = h("div", { class: choice.value === null ? "ac-item empty" : "ac-item", role: "option" }, choice.name);
          if (choice.value !== null) {
            item.addEventListener("mousedown", (event) => {
              event.preventDefault();
              input.value = choice.name;
              input.dataset.value = JSON.stringify(choice.value);
              list.hidden = true;
            });
          }
          return item;
        }),
      );
      list.hidden = false;
    };
    const ask = async () => {
      const mine = ++sequence;
      const options = this.rawValues(option.name);
      options[option.name] = input.value;
      try {
        const answer = await api.post("/autocomplete", {
          user: this.app.me,
          channel: this.app.channelId,
          command: leaf.path.join(" "),
          options,
          focused: option.name,
        });
        if (mine === sequence && document.activeElement === input) show(answer.choices || []);
      } catch (error) {
        if (mine === sequence) show([]);
      }
    };
    input.addEventListener("input", () => {
      delete input.dataset.value;
      clearTimeout(timer);
      timer = setTimeout(ask, 200);
    });
    input.addEventListener("focus", ask);
    input.addEventListener("blur", () =>
      setTimeout(() => document.activeElement !== input && (list.hidden = true), 150),
    );
    return {
      element: wrapper,
      read: () => {
        if (input.dataset.value !== undefined) return JSON.parse(input.dataset.value);
        return input.value === "" ? undefined : input.value;
      },
    };
  }

  // Values of the other filled options, unchecked, for an autocomplete request.
  rawValues(except) {
    const values = {};
    for (const field of this.current ? this.current.fields : []) {
      if (field.option.name === except || field.option.type === OPTION.ATTACHMENT) continue;
      const value = field.read();
      if (value === undefined) continue;
      const number = field.option.type === OPTION.INTEGER || field.option.type === OPTION.NUMBER;
      values[field.option.name] = number ? Number(value) : value;
    }
    return values;
  }

  async submit() {
    const current = this.current;
    if (!current) return;
    const form = current.form;
    const options = {};
    const attachments = {};
    let valid = true;
    for (const field of current.fields) {
      const problem = check(field.option, field.read());
      field.error.textContent = problem || "";
      field.element.classList.toggle("invalid", Boolean(problem));
      if (problem) {
        valid = false;
        continue;
      }
      const value = field.read();
      if (value === undefined) continue;
      if (field.option.type === OPTION.ATTACHMENT) {
        attachments[field.option.name] = {
          filename: value.name,
          content_type: value.type || undefined,
          data_base64: await readFileBase64(value),
        };
      } else if (field.option.type === OPTION.INTEGER || field.option.type === OPTION.NUMBER) {
        options[field.option.name] = Number(value);
      } else {
        options[field.option.name] = value;
      }
    }
    const error = form.querySelector(".form-error");
    if (!valid) {
      error.textContent = "Fix the highlighted options first.";
      return;
    }
    const send = form.querySelector("#command-send");
    send.disabled = true;
    error.textContent = "";
    try {
      const answer = await api.post("/slash", {
        user: this.app.me,
        channel: this.app.channelId,
        command: current.leaf.path.join(" "),
        options,
        attachments,
      });
      this.closeForm();
      this.app.track(answer.interaction_id, { where: "composer" });
    } catch (failure) {
      error.textContent = failure.message;
      send.disabled = false;
    }
  }
}

function rangeText(option) {
  const low = option.min_value;
  const high = option.max_value;
  if (low !== undefined && high !== undefined) return `${low} – ${high}`;
  if (low !== undefined) return `≥ ${low}`;
  if (high !== undefined) return `≤ ${high}`;
  return "";
}

// The checks Discord's client makes before it lets a command be sent.
export function check(option, value) {
  if (value === undefined || value === "") {
    return option.required ? "This option is required." : null;
  }
  if (option.type === OPTION.INTEGER || option.type === OPTION.NUMBER) {
    if (option.choices && option.choices.length) return null;
    const number = Number(value);
    if (!Number.isFinite(number)) return "Enter a number.";
    if (option.type === OPTION.INTEGER && (!Number.isInteger(number) || Math.abs(number) > INTEGER_LIMIT)) {
      return "Enter a whole number.";
    }
    if (option.min_value !== undefined && number < option.min_value) return `The smallest allowed is ${option.min_value}.`;
    if (option.max_value !== undefined && number > option.max_value) return `The largest allowed is ${option.max_value}.`;
  }
  if (option.type === OPTION.STRING && typeof value === "string") {
    if (option.min_length !== undefined && value.length < option.min_length) return `At least ${option.min_length} characters.`;
    if (option.max_length !== undefined && value.length > option.max_length) return `At most ${option.max_length} characters.`;
  }
  return null;
}
