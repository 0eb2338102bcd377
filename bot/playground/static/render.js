// One message as Discord draws it: header, content, embeds, attachments, components.

import { avatar, colourHex, displayName, h } from "./dom.js";
import { escapeHtml, renderInline, renderMarkdown } from "./markdown.js";

export const EPHEMERAL = 1 << 6;
export const LOADING = 1 << 7;
const BUTTON_STYLES = { 1: "primary", 2: "secondary", 3: "success", 4: "danger", 5: "link", 6: "premium" };
const SELECT_TYPES = new Set([3, 5, 6, 7, 8]);

export function messageTime(iso) {
  const date = new Date(iso);
  const today = new Date();
  const yesterday = new Date(today);
  yesterday.setDate(today.getDate() - 1);
  const time = date.toLocaleTimeString([], { hour: "numeric", minute: "2-digit" });
  if (date.toDateString() === today.toDateString()) return `Today at ${time}`;
  if (date.toDateString() === yesterday.toDateString()) return `Yesterday at ${time}`;
  return `${date.toLocaleDateString()} ${time}`;
}

function mediaType(attachment) {
  const type = attachment.content_type || "";
  if (type.startsWith("video/") || /\.(mp4|webm|mov)$/i.test(attachment.filename)) return "video";
  if (type.startsWith("image/") || /\.(png|jpe?g|gif|webp)$/i.test(attachment.filename)) return "image";
  if (type.startsWith("audio/") || /\.(wav|mp3|ogg)$/i.test(attachment.filename)) return "audio";
  return "file";
}

function sizeText(bytes) {
  if (bytes >= 1024 * 1024) return `${(bytes / 1024 / 1024).toFixed(2)} MB`;
  if (bytes >= 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${bytes} bytes`;
}

function renderAttachment(attachment) {
  const kind = mediaType(attachment);
  if (kind === "video") {
    return h(
      "div",
      { class: "attachment media" },
      h("video", {
        controls: true,
        preload: "metadata",
        playsinline: true,
        src: attachment.url,
        "data-filename": attachment.filename,
      }),
    );
  }
  if (kind === "image") {
    return h(
      "a",
      { class: "attachment media", href: attachment.url, target: "_blank", rel: "noopener" },
      h("img", { src: attachment.url, alt: attachment.description || attachment.filename, loading: "lazy" }),
    );
  }
  if (kind === "audio") {
    return h(
      "div",
      { class: "attachment file" },
      h("div", { class: "file-name" }, attachment.filename),
      h("audio", { controls: true, preload: "none", src: attachment.url }),
    );
  }
  return h(
    "div",
    { class: "attachment file" },
    h("span", { class: "file-icon" }, "📄"),
    h(
      "div",
      {},
      h("a", { class: "file-name", href: attachment.url, target: "_blank", rel: "noopener" }, attachment.filename),
      h("div", { class: "file-size" }, sizeText(attachment.size || 0)),
    ),
  );
}

function renderEmbed(embed, ctx) {
  const colour = colourHex(embed.color);
  const body = h("div", { class: "embed-body" });
  if (embed.author && embed.author.name) {
    body.append(
      h(
        "div",
        { class: "embed-author" },
        embed.author.icon_url ? h("img", { src: embed.author.icon_url, alt: "" }) : null,
        embed.author.url
          ? h("a", { href: embed.author.url, target: "_blank", rel: "noopener" }, embed.author.name)
          : h("span", {}, embed.author.name),
      ),
    );
  }
  if (embed.title) {
    const title = renderInline(embed.title, ctx);
    body.append(
      embed.url
        ? h("a", { class: "embed-title", href: embed.url, target: "_blank", rel: "noopener", html: title })
        : h("div", { class: "embed-title", html: title }),
    );
  }
  if (embed.description) {
    body.append(h("div", { class: "embed-description markdown", html: renderMarkdown(embed.description, ctx) }));
  }
  if (embed.fields && embed.fields.length) {
    const grid = h("div", { class: "embed-fields" });
    for (const field of embed.fields) {
      grid.append(
        h(
          "div",
          { class: field.inline ? "embed-field inline" : "embed-field" },
          h("div", { class: "embed-field-name", html: renderInline(field.name, ctx) }),
          h("div", { class: "embed-field-value markdown", html: renderMarkdown(field.value, ctx) }),
        ),
      );
    }
    body.append(grid);
  }
  if (embed.image && embed.image.url) {
    body.append(h("img", { class: "embed-image", src: embed.image.url, alt: "", loading: "lazy" }));
  }
  if (embed.video && embed.video.url) {
    body.append(h("video", { class: "embed-video", controls: true, preload: "metadata", src: embed.video.url }));
  }
  if ((embed.footer && embed.footer.text) || embed.timestamp) {
    const parts = [];
    if (embed.footer && embed.footer.text) parts.push(escapeHtml(embed.footer.text));
    if (embed.timestamp) parts.push(escapeHtml(messageTime(embed.timestamp)));
    body.append(
      h(
        "div",
        { class: "embed-footer" },
        embed.footer && embed.footer.icon_url ? h("img", { src: embed.footer.icon_url, alt: "" }) : null,
        h("span", { html: parts.join(" • ") }),
      ),
    );
  }
  const thumbnail =
    embed.thumbnail && embed.thumbnail.url
      ? h("img", { class: "embed-thumbnail", src: embed.thumbnail.url, alt: "", loading: "lazy" })
      : null;
  return h(
    "div",
    { class: "embed", style: colour ? { borderLeftColor: colour } : {} },
    h("div", { class: "embed-grid" }, body, thumbnail),
  );
}

function renderButton(message, component, ctx) {
  const style = BUTTON_STYLES[component.style] || "secondary";
  const emoji = component.emoji && component.emoji.name ? h("span", { class: "emoji" }, component.emoji.name) : null;
  const label = component.label ? h("span", { class: "label" }, component.label) : null;
  const attrs = {
    class: `dc-button ${style}`,
    disabled: Boolean(component.disabled),
    "data-custom-id": component.custom_id,
    type: "button",
  };
  if (style === "link") {
    return h(
      "a",
      { ...attrs, href: component.disabled ? undefined : component.url, target: "_blank", rel: "noopener" },
      emoji,
      label,
      h("span", { class: "link-arrow" }, "↗"),
    );
  }
  const button = h("button", attrs, emoji, label);
  button.addEventListener("click", () => ctx.onButton(message, component, button));
  return button;
}

function selectOptions(component, ctx) {
  switch (component.type) {
    case 3:
      return (component.options || []).map((o) => ({ value: o.value, label: o.label, description: o.description }));
    case 5:
      return ctx.people().map((u) => ({ value: u.id, label: displayName(u) }));
    case 6:
      return ctx.roles().map((r) => ({ value: r.id, label: r.name }));
    case 7:
      return [
        ...ctx.people().map((u) => ({ value: u.id, label: displayName(u) })),
        ...ctx.roles().map((r) => ({ value: r.id, label: "@" + r.name })),
      ];
    case 8:
      return ctx.channels().map((c) => ({ value: c.id, label: "#" + c.name }));
    default:
      return [];
  }
}

function renderSelect(message, component, ctx) {
  const max = component.max_values ?? 1;
  const select = h(
    "select",
    { class: "dc-select", disabled: Boolean(component.disabled), multiple: max > 1, "data-custom-id": component.custom_id },
    max > 1 ? null : h("option", { value: "", disabled: true, selected: true }, component.placeholder || "Make a selection"),
    selectOptions(component, ctx).map((o) => h("option", { value: o.value, title: o.description || "" }, o.label)),
  );
  if (max <= 1) {
    select.addEventListener("change", () => ctx.onSelect(message, component, [select.value], select));
    return select;
  }
  const apply = h("button", { class: "dc-button secondary", type: "button" }, "Choose");
  apply.addEventListener("click", () =>
    ctx.onSelect(message, component, [...select.selectedOptions].map((o) => o.value), apply),
  );
  return h("div", { class: "multi-select" }, select, apply);
}

// Discord's Components V2 layouts, drawn simply.
function renderComponent(message, component, ctx) {
  switch (component.type) {
    case 1:
      return h("div", { class: "action-row" }, (component.components || []).map((c) => renderComponent(message, c, ctx)));
    case 2:
      return renderButton(message, component, ctx);
    case 9:
      return h(
        "div",
        { class: "v2-section" },
        h("div", { class: "v2-section-text" }, (component.components || []).map((c) => renderComponent(message, c, ctx))),
        component.accessory ? renderComponent(message, component.accessory, ctx) : null,
      );
    case 10:
      return h("div", { class: "v2-text markdown", html: renderMarkdown(component.content, ctx) });
    case 11:
      return h("img", { class: "v2-thumbnail", src: component.media && component.media.url, alt: component.description || "" });
    case 12:
      return h(
        "div",
        { class: "v2-gallery" },
        (component.items || []).map((item) => renderAttachment({ url: item.media.url, filename: item.media.url, content_type: item.media.content_type })),
      );
    case 13:
      return h("div", { class: "attachment file" }, "📄 ", component.file && component.file.url);
    case 14:
      return h("hr", { class: component.divider === false ? "v2-space" : "v2-divider" });
    case 17:
      return h(
        "div",
        { class: "v2-container", style: component.accent_color != null ? { borderLeftColor: colourHex(component.accent_color) } : {} },
        (component.components || []).map((c) => renderComponent(message, c, ctx)),
      );
    default:
      if (SELECT_TYPES.has(component.type)) return renderSelect(message, component, ctx);
      return null;
  }
}

function interactionHeader(message, ctx) {
  const meta = message.interaction_metadata || message.interaction;
  if (!meta || meta.type !== 2) return null;
  const user = meta.user || {};
  return h(
    "div",
    { class: "interaction-header" },
    h("span", { class: "reply-spine" }),
    avatar(user, "tiny"),
    h("span", { class: "who" }, displayName(user)),
    " used ",
    h("span", { class: "command-name" }, "/" + (meta.name || (message.interaction && message.interaction.name) || "")),
  );
}

function replyHeader(message, ctx) {
  const referenced = message.referenced_message;
  if (!message.message_reference || message.type !== 19) return null;
  if (!referenced) return h("div", { class: "interaction-header" }, h("span", { class: "reply-spine" }), h("em", {}, "Original message was deleted"));
  const snippet = referenced.content || (referenced.embeds && referenced.embeds.length ? "Click to see attachment" : "");
  const header = h(
    "div",
    { class: "interaction-header reply", title: "Jump to the message" },
    h("span", { class: "reply-spine" }),
    avatar(referenced.author, "tiny"),
    h("span", { class: "who" }, displayName(referenced.author)),
    h("span", { class: "reply-snippet", html: renderInline(snippet.slice(0, 120), ctx) }),
  );
  header.addEventListener("click", () => ctx.jumpTo(referenced.id));
  return header;
}

export function isVisibleTo(message, me) {
  return !message.visible_to || message.visible_to === me;
}

// Whether ``message`` continues the previous one (same author, shortly after, nothing between).
export function continues(message, previous) {
  if (!previous || previous.author.id !== message.author.id) return false;
  if (message.interaction_metadata || message.message_reference) return false;
  if ((message.flags & EPHEMERAL) !== (previous.flags & EPHEMERAL)) return false;
  return new Date(message.timestamp) - new Date(previous.timestamp) < 7 * 60 * 1000;
}

export function renderMessage(message, ctx, previous) {
  const ephemeral = Boolean(message.flags & EPHEMERAL);
  const compact = continues(message, previous);
  const classes = ["message"];
  if (compact) classes.push("compact");
  if (ephemeral) classes.push("ephemeral");
  if (message.mentions && message.mentions.some((u) => u.id === ctx.me)) classes.push("mentions-me");
  const element = h("article", {
    class: classes.join(" "),
    "data-message-id": message.id,
    "data-author": message.author.username,
    id: "message-" + message.id,
  });
  element.append(interactionHeader(message, ctx) || replyHeader(message, ctx) || "");
  const gutter = compact
    ? h("div", { class: "gutter" }, h("time", { class: "hover-time", datetime: message.timestamp }, new Date(message.timestamp).toLocaleTimeString([], { hour: "numeric", minute: "2-digit" })))
    : h("div", { class: "gutter" }, avatar(message.author));
  const main = h("div", { class: "message-main" });
  if (!compact) {
    main.append(
      h(
        "div",
        { class: "message-header" },
        h("span", { class: "author-name" }, displayName(message.author)),
        message.author.bot ? h("span", { class: "bot-tag" }, "APP") : null,
        h("time", { class: "timestamp", datetime: message.timestamp, title: new Date(message.timestamp).toLocaleString() }, messageTime(message.timestamp)),
      ),
    );
  }
  if (message.loading) {
    main.append(h("div", { class: "thinking" }, `${displayName(message.author)} is thinking`, h("span", { class: "dots" }, h("i"), h("i"), h("i"))));
  }
  if (message.content) {
    const content = h("div", { class: "message-content markdown", html: renderMarkdown(message.content, ctx) });
    if (message.edited_timestamp) content.append(h("span", { class: "edited", title: new Date(message.edited_timestamp).toLocaleString() }, " (edited)"));
    main.append(content);
  } else if (message.edited_timestamp && !message.loading && !(message.embeds || []).length) {
    main.append(h("span", { class: "edited" }, "(edited)"));
  }
  // Like Discord, a file an embed shows (attachment://name) is not listed again.
  const shown = new Set(
    (message.embeds || []).flatMap((e) => [e.image && e.image.url, e.thumbnail && e.thumbnail.url]),
  );
  const attachments = (message.attachments || []).filter((a) => !shown.has(a.url));
  if (attachments.length) main.append(h("div", { class: "attachments" }, attachments.map(renderAttachment)));
  const embeds = message.embeds || [];
  if (embeds.length) {
    const list = h("div", { class: "embeds" }, embeds.map((e) => renderEmbed(e, ctx)));
    if (message.edited_timestamp && !message.content) list.append(h("span", { class: "edited" }, "(edited)"));
    main.append(list);
  }
  const components = message.components || [];
  if (components.length) main.append(h("div", { class: "components" }, components.map((c) => renderComponent(message, c, ctx))));
  if (ephemeral) {
    const dismiss = h("a", { class: "dismiss", href: "#" }, "Dismiss message");
    dismiss.addEventListener("click", (event) => {
      event.preventDefault();
      ctx.onDismiss(message);
    });
    main.append(h("div", { class: "ephemeral-note" }, h("span", { class: "eye" }, "👁"), " Only you can see this • ", dismiss));
  }
  main.append(h("div", { class: "interaction-status", "aria-live": "polite" }));
  element.append(h("div", { class: "message-row" }, gutter, main));
  return element;
}
