// The synced command tree, seen as Discord's client lists it: one entry per invocable leaf.

const SUBCOMMAND = 1;
const SUBCOMMAND_GROUP = 2;
const ADMINISTRATOR = 1n << 3n;

export const OPTION = {
  STRING: 3,
  INTEGER: 4,
  BOOLEAN: 5,
  USER: 6,
  CHANNEL: 7,
  ROLE: 8,
  MENTIONABLE: 9,
  NUMBER: 10,
  ATTACHMENT: 11,
};

// The languages the page offers, as Discord's locale codes.
export const LOCALES = [
  { code: "en-US", label: "English (US)" },
  { code: "zh-CN", label: "中文 (简体)" },
];

// What Discord's client shows for a name or description in the member's language: the
// synced translation for that locale if there is one, else the default.
export function localized(item, field, locale) {
  const translations = item[field + "_localizations"];
  return (translations && locale && translations[locale]) || item[field];
}

// Options keep their real name (what the interaction sends) and gain what the member reads.
function shownOptions(options, locale) {
  return (options || []).map((o) => ({
    ...o,
    label: localized(o, "name", locale),
    description: localized(o, "description", locale),
    choices: o.choices && o.choices.map((c) => ({ ...c, name: localized(c, "name", locale) })),
  }));
}

export function leafCommands(commands, locale = "en-US") {
  const leaves = [];
  const leaf = (chain, description) => ({
    path: chain.map((c) => c.name),
    label: chain.map((c) => localized(c, "name", locale)),
    command: chain[0],
    description: localized(chain[chain.length - 1], "description", locale) || description,
    options: shownOptions(chain[chain.length - 1].options, locale),
  });
  for (const command of commands) {
    if ((command.type ?? 1) !== 1) continue;
    const options = command.options || [];
    const nested = options.filter((o) => o.type === SUBCOMMAND || o.type === SUBCOMMAND_GROUP);
    if (!nested.length) {
      leaves.push(leaf([command]));
      continue;
    }
    for (const sub of nested) {
      if (sub.type === SUBCOMMAND) {
        leaves.push(leaf([command, sub]));
        continue;
      }
      for (const inner of sub.options || []) {
        if (inner.type !== SUBCOMMAND) continue;
        leaves.push(leaf([command, sub, inner]));
      }
    }
  }
  return leaves.sort((a, b) => a.path.join(" ").localeCompare(b.path.join(" ")));
}

// Discord hides a command from members who lack its default_member_permissions.
export function canSee(command, permissions, isOwner) {
  const required = command.default_member_permissions;
  if (required === null || required === undefined || isOwner) return true;
  const have = BigInt(permissions || "0");
  if (have & ADMINISTRATOR) return true;
  const need = BigInt(required);
  return (have & need) === need;
}

// Required options first, as Discord shows them (it also requires them to come first).
export function orderedOptions(options) {
  return [...options.filter((o) => o.required), ...options.filter((o) => !o.required)];
}
