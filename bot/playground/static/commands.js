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

export function leafCommands(commands) {
  const leaves = [];
  for (const command of commands) {
    if ((command.type ?? 1) !== 1) continue;
    const options = command.options || [];
    const nested = options.filter((o) => o.type === SUBCOMMAND || o.type === SUBCOMMAND_GROUP);
    if (!nested.length) {
      leaves.push({ path: [command.name], command, description: command.description, options });
      continue;
    }
    for (const sub of nested) {
      if (sub.type === SUBCOMMAND) {
        leaves.push({ path: [command.name, sub.name], command, description: sub.description, options: sub.options || [] });
        continue;
      }
      for (const leaf of sub.options || []) {
        if (leaf.type !== SUBCOMMAND) continue;
        leaves.push({
          path: [command.name, sub.name, leaf.name],
          command,
          description: leaf.description,
          options: leaf.options || [],
        });
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
