// A tiny element builder, so rendering code reads like the markup it makes.

export function h(tag, attrs = {}, ...children) {
  const element = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") element.className = value;
    else if (key === "html") element.innerHTML = value;
    else if (key === "text") element.textContent = value;
    else if (key === "style" && typeof value === "object") Object.assign(element.style, value);
    else if (key.startsWith("on") && typeof value === "function") {
      element.addEventListener(key.slice(2).toLowerCase(), value);
    } else if (key === "dataset") Object.assign(element.dataset, value);
    else element.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

const PALETTE = ["#5865f2", "#3ba55c", "#faa61a", "#ed4245", "#eb459e", "#00a8fc", "#9b59b6"];

export function avatar(user, size = "") {
  const name = user ? user.global_name || user.username : "?";
  const initials = name
    .split(/\s+/)
    .map((word) => word[0])
    .join("")
    .slice(0, 2)
    .toUpperCase();
  const id = user ? BigInt(user.id) : 0n;
  const colour = user && user.bot ? "#5865f2" : PALETTE[Number(id % BigInt(PALETTE.length))];
  return h("div", { class: `avatar ${size}`, style: { background: colour }, "aria-hidden": "true" }, initials);
}

export function displayName(user) {
  return user ? user.global_name || user.username : "Unknown";
}

export function colourHex(value) {
  if (value === undefined || value === null) return null;
  return "#" + Number(value).toString(16).padStart(6, "0");
}
