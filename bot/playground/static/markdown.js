// Discord's markdown, minimally: bold, italics, underline, strike, code, links, mentions,
// timestamps, quotes (> and >>>), headings, subtext and lists. Everything else is escaped.

const ESCAPES = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

export function escapeHtml(text) {
  return String(text ?? "").replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

const RELATIVE = new Intl.RelativeTimeFormat("en", { numeric: "auto" });
const UNITS = [
  ["year", 365 * 24 * 3600],
  ["month", 30 * 24 * 3600],
  ["week", 7 * 24 * 3600],
  ["day", 24 * 3600],
  ["hour", 3600],
  ["minute", 60],
  ["second", 1],
];

export function relativeTime(seconds, now = Date.now() / 1000) {
  const delta = seconds - now;
  for (const [unit, size] of UNITS) {
    if (Math.abs(delta) >= size || unit === "second") {
      return RELATIVE.format(Math.round(delta / size), unit);
    }
  }
  return "";
}

export function formatTimestamp(seconds, style) {
  const date = new Date(seconds * 1000);
  switch (style) {
    case "R":
      return relativeTime(seconds);
    case "t":
      return date.toLocaleTimeString([], { hour: "numeric", minute: "2-digit" });
    case "T":
      return date.toLocaleTimeString();
    case "d":
      return date.toLocaleDateString();
    case "D":
      return date.toLocaleDateString([], { dateStyle: "long" });
    case "F":
      return date.toLocaleString([], { dateStyle: "full", timeStyle: "short" });
    default:
      return date.toLocaleString([], { dateStyle: "long", timeStyle: "short" });
  }
}

// Tokens that must not be touched by the emphasis rules; replaced by placeholders first.
const TOKEN = new RegExp(
  [
    "(`+)([\\s\\S]*?[^`])\\1(?!`)", // inline code
    "<t:(-?\\d+)(?::([tTdDfFR]))?>", // timestamp
    "<@!?(\\d+)>", // user mention
    "<@&(\\d+)>", // role mention
    "<#(\\d+)>", // channel mention
    "<a?:(\\w+):\\d+>", // custom emoji
    "\\[([^\\]\\n]+)\\]\\(<?(https?:\\/\\/[^\\s)>]+)>?\\)", // masked link
    "<(https?:\\/\\/[^\\s>]+)>", // link without preview
    "(https?:\\/\\/[^\\s<]+[^\\s<.,:;\"')\\]])", // bare link
  ].join("|"),
  "g",
);

function emphasis(escaped) {
  return escaped
    .replace(/\*\*\*(.+?)\*\*\*/g, "<strong><em>$1</em></strong>")
    .replace(/\*\*(.+?)\*\*/g, "<strong>$1</strong>")
    .replace(/__(.+?)__/g, "<u>$1</u>")
    .replace(/(^|[^\w*])\*(?!\s)(.+?)\*(?!\w)/g, "$1<em>$2</em>")
    .replace(/(^|[^\w])_(?!\s)(.+?)_(?!\w)/g, "$1<em>$2</em>")
    .replace(/~~(.+?)~~/g, "<s>$1</s>")
    .replace(/\|\|(.+?)\|\|/g, '<span class="spoiler">$1</span>');
}

function link(url, inner) {
  return `<a href="${escapeHtml(url)}" target="_blank" rel="noopener noreferrer">${inner}</a>`;
}

export function renderInline(text, ctx = {}) {
  const tokens = [];
  const hold = (html) => {
    tokens.push(html);
    return `\u0000${tokens.length - 1}\u0000`;
  };
  const held = String(text ?? "").replace(TOKEN, (...m) => {
    const [, , code, ts, style, user, role, channel, emoji, linkText, linkUrl, bracketUrl, bare] =
      m;
    if (code !== undefined) return hold(`<code>${escapeHtml(code.trim())}</code>`);
    if (ts !== undefined) {
      const seconds = Number(ts);
      const full = formatTimestamp(seconds, "F");
      return hold(
        `<time class="ts" data-ts="${seconds}" data-style="${style || "f"}" title="${escapeHtml(full)}">` +
          `${escapeHtml(formatTimestamp(seconds, style))}</time>`,
      );
    }
    if (user !== undefined) {
      const name = ctx.userName ? ctx.userName(user) : user;
      return hold(`<span class="mention" data-user-id="${user}">@${escapeHtml(name)}</span>`);
    }
    if (role !== undefined) {
      const name = ctx.roleName ? ctx.roleName(role) : role;
      return hold(`<span class="mention">@${escapeHtml(name)}</span>`);
    }
    if (channel !== undefined) {
      const name = ctx.channelName ? ctx.channelName(channel) : channel;
      return hold(`<span class="mention">#${escapeHtml(name)}</span>`);
    }
    if (emoji !== undefined) return hold(`:${escapeHtml(emoji)}:`);
    if (linkText !== undefined) return hold(link(linkUrl, emphasis(escapeHtml(linkText))));
    if (bracketUrl !== undefined) return hold(link(bracketUrl, escapeHtml(bracketUrl)));
    return hold(link(bare, escapeHtml(bare)));
  });
  return emphasis(escapeHtml(held)).replace(/\u0000(\d+)\u0000/g, (_, i) => tokens[Number(i)]);
}

function renderBlocks(text, ctx) {
  const lines = text.split("\n");
  const out = []; // {block, html}
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (line.startsWith(">>> ")) {
      const rest = [line.slice(4), ...lines.slice(i + 1)].join("\n");
      out.push({ block: true, html: `<blockquote>${renderBlocks(rest, ctx)}</blockquote>` });
      break;
    }
    if (line.startsWith("> ") || line === ">") {
      const quoted = [];
      while (i < lines.length && (lines[i].startsWith("> ") || lines[i] === ">")) {
        quoted.push(lines[i].slice(2));
        i++;
      }
      i--;
      out.push({ block: true, html: `<blockquote>${renderBlocks(quoted.join("\n"), ctx)}</blockquote>` });
      continue;
    }
    const heading = /^(#{1,3}) (.+)$/.exec(line);
    if (heading) {
      const level = heading[1].length;
      out.push({ block: true, html: `<h${level + 2} class="md-h">${renderInline(heading[2], ctx)}</h${level + 2}>` });
      continue;
    }
    if (line.startsWith("-# ")) {
      out.push({ block: true, html: `<div class="subtext">${renderInline(line.slice(3), ctx)}</div>` });
      continue;
    }
    if (/^\s*[-*] /.test(line)) {
      const items = [];
      while (i < lines.length && /^\s*[-*] /.test(lines[i])) {
        items.push(`<li>${renderInline(lines[i].replace(/^\s*[-*] /, ""), ctx)}</li>`);
        i++;
      }
      i--;
      out.push({ block: true, html: `<ul>${items.join("")}</ul>` });
      continue;
    }
    out.push({ block: false, html: renderInline(line, ctx) });
  }
  let html = "";
  out.forEach((part, index) => {
    const previous = out[index - 1];
    if (index > 0 && !part.block && !previous.block) html += "<br>";
    html += part.html;
  });
  return html;
}

export function renderMarkdown(text, ctx = {}) {
  const parts = String(text ?? "").split("```");
  return parts
    .map((part, index) => {
      if (index % 2 === 1 && index < parts.length - 1) {
        const code = part.replace(/^[a-z0-9+-]*\n/i, "");
        return `<pre><code>${escapeHtml(code)}</code></pre>`;
      }
      return renderBlocks(index % 2 === 1 ? "```" + part : part, ctx);
    })
    .join("");
}
