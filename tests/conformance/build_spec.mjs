// Turn the npm package discord-api-spec (TypeScript types and Zod schemas generated from
// Discord's OpenAPI spec, github.com/discord/discord-api-spec) back into an OpenAPI-shaped
// document: components/schemas from the Zod schemas (JSON Schema Draft 2020-12, through
// Zod's own toJSONSchema) and paths -> method -> requestBody / responses[status] from the
// package's `Paths` type. The package ships no openapi.json of its own.
//
// usage: node build_spec.mjs <npm prefix with discord-api-spec and zod> <out.json>
import fs from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";

const [prefix, out] = process.argv.slice(2);
const modules = path.resolve(prefix, "node_modules");
const z = await import(pathToFileURL(path.join(modules, "zod", "index.js")).href);
const pkgDir = path.join(modules, "discord-api-spec");
const schemas = await import(pathToFileURL(path.join(pkgDir, "build", "discord-api-spec.zod.js")).href);
const pkg = JSON.parse(fs.readFileSync(path.join(pkgDir, "package.json"), "utf8"));

const registry = z.registry();
for (const [name, schema] of Object.entries(schemas)) {
  if (name.endsWith("Schema") && schema && typeof schema === "object" && "_zod" in schema) {
    registry.add(schema, { id: name.slice(0, -"Schema".length) });
  }
}
// io "input": a plain object stays open (no additionalProperties: false), as in the spec.
const converted = z.toJSONSchema(registry, {
  target: "draft-2020-12",
  unrepresentable: "any",
  cycles: "ref",
  reused: "inline",
  io: "input",
  uri: (id) => `#/components/schemas/${id}`,
});
// Zod's ISO date-time check becomes a regex that demands "Z"; the spec itself says only
// `format: date-time` (RFC 3339, so "+00:00" is fine). Keep the format, drop the regex.
function dropDateTimePatterns(node) {
  if (Array.isArray(node)) node.forEach(dropDateTimePatterns);
  else if (node && typeof node === "object") {
    if (node.format === "date-time") delete node.pattern;
    Object.values(node).forEach(dropDateTimePatterns);
  }
}
const components = {};
for (const [name, schema] of Object.entries(converted.schemas)) {
  delete schema.$id;
  delete schema.$schema;
  dropDateTimePatterns(schema);
  components[name] = schema;
}

// -- paths, from `export interface Paths { ... }` ----------------------------------------
const source = fs.readFileSync(path.join(pkgDir, "build", "discord-api-spec.ts"), "utf8");
const start = source.indexOf("export interface Paths {");
const lines = source.slice(start).split("\n");
const paths = {};

function typeToSchema(expression) {
  const text = expression.replace(/;$/, "").trim();
  if (!text || text.includes("{") || /^(undefined|never|unknown)$/.test(text)) return null;
  // "( | A | B )[] | null": an array of a union, maybe nullable.
  const group = text.match(/^\(\s*\|?([^()]*)\)\[\](\s*\|\s*null)?$/);
  if (group) {
    const items = typeToSchema(group[1]);
    if (!items) return null;
    const array = { type: "array", items };
    return group[2] ? { oneOf: [array, { type: "null" }] } : array;
  }
  const variants = text.split("|").map((t) => t.trim()).filter(Boolean);
  const parts = [];
  for (const variant of variants) {
    if (variant === "null") parts.push({ type: "null" });
    else if (/^\w+\[\]$/.test(variant)) {
      parts.push({ type: "array", items: { $ref: `#/components/schemas/${variant.slice(0, -2)}` } });
    } else if (/^\w+$/.test(variant)) {
      if (!(variant in components)) return null;
      parts.push({ $ref: `#/components/schemas/${variant}` });
    } else return null;
  }
  return parts.length === 1 ? parts[0] : { oneOf: parts };
}

// Read a type expression that may run over several lines ("| A" continuation lines).
function readType(first, index) {
  let text = first.trim();
  let i = index;
  while (!text.endsWith(";") && i + 1 < lines.length) {
    i += 1;
    text += " " + lines[i].trim();
  }
  return [text.trim().replace(/^\|\s*/, ""), i];
}

let route = null;
let method = null;
let inResponses = false;
for (let i = 1; i < lines.length; i++) {
  const line = lines[i];
  if (line === "}") break;
  let m;
  if ((m = line.match(/^  "(\/[^"]*)": \{$/))) {
    route = m[1];
    paths[route] = {};
  } else if ((m = line.match(/^    (get|post|put|patch|delete): \{$/))) {
    method = m[1];
    paths[route][method] = { responses: {} };
    inResponses = false;
  } else if ((m = line.match(/^      requestBody\??:(.*)$/))) {
    const [text, next] = readType(m[1], i);
    i = next;
    const schema = typeToSchema(text);
    if (schema) paths[route][method].requestBody = { content: { "application/json": { schema } } };
  } else if (/^      responses: \{$/.test(line)) {
    inResponses = true;
  } else if (inResponses && (m = line.match(/^        "(\w+)":(.*)$/))) {
    const [text, next] = readType(m[2], i);
    i = next;
    const schema = typeToSchema(text);
    paths[route][method].responses[m[1]] = schema
      ? { content: { "application/json": { schema } } }
      : { description: "no JSON body" };
  } else if (/^      \};$/.test(line)) {
    inResponses = false;
  }
}

const document = {
  openapi: "3.1.0",
  info: {
    title: "Discord HTTP API, rebuilt from the npm package discord-api-spec",
    version: pkg.version,
    "x-source": "npm discord-api-spec@" + pkg.version + " (github.com/discord/discord-api-spec)",
  },
  paths,
  components: { schemas: components },
};
fs.writeFileSync(out, JSON.stringify(document));
console.log(`wrote ${out}: ${Object.keys(paths).length} paths, ${Object.keys(components).length} schemas`);
