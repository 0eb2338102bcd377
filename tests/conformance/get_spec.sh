#!/usr/bin/env bash
# Put Discord's API spec where the conformance tests look: .cache/discord-api-spec/openapi.json.
# It comes from the npm package discord-api-spec (pinned), which carries the spec as Zod
# schemas and TypeScript types; build_spec.mjs turns those back into OpenAPI/JSON Schema.
# Nothing of it is committed (.cache/ is git-ignored).
set -euo pipefail
cd "$(dirname "$0")/../.."
SPEC_VERSION="10.0.266135"
ZOD_VERSION="4.6.7"
dir=".cache/discord-api-spec"
mkdir -p "$dir/npm"
echo '{"private": true}' > "$dir/npm/package.json"
npm install --prefix "$dir/npm" --no-audit --no-fund --loglevel=error \
  "discord-api-spec@$SPEC_VERSION" "zod@$ZOD_VERSION"
node tests/conformance/build_spec.mjs "$dir/npm" "$dir/openapi.json"
