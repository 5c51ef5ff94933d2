#!/usr/bin/env bash
# Packs libs/audit as npm would publish it, installs the tarball into throwaway apps outside the
# repository (one per supported Nest/TypeORM major pair, straight from the npm registry) and boots
# each: the peer ranges in libs/audit/package.json claim only what passes here.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d /tmp/audit-package-XXXXXX)
trap 'rm -rf "$work"' EXIT

npm run build --silent --prefix "$root" >/dev/null
tarball=$(cd "$root/libs/audit" && npm pack --silent --pack-destination "$work" | tail -n 1)
echo "packed $tarball ($(du -k "$work/$tarball" | cut -f1) KiB)"
# What npm shows on the package's page: the repository's README, copied in by prepack.
tar -tzf "$work/$tarball" | grep -x 'package/README.md' >/dev/null || { echo "README.md is missing from $tarball"; exit 1; }

# nest major | @nestjs/typeorm | typeorm | @nestjs/axios | @nestjs/schedule
matrix=("12 12 1 12 12" "11 11 0.3 4 6")
for entry in "${matrix[@]}"; do
  read -r nest nestTypeorm typeorm axios schedule <<<"$entry"
  app="$work/consumer-nest$nest-typeorm$typeorm"
  mkdir -p "$app"
  cp "$root/test/package/consumer-app.cjs" "$app/main.cjs"
  (
    cd "$app"
    echo '{ "name": "consumer", "private": true, "allowScripts": { "better-sqlite3": true } }' >package.json
    npm install --silent --no-audit --no-fund \
      "$work/$tarball" "@nestjs/common@$nest" "@nestjs/core@$nest" "@nestjs/platform-express@$nest" \
      "@nestjs/typeorm@$nestTypeorm" "typeorm@$typeorm" "nestjs-cls@6.3" \
      "@nestjs/axios@$axios" axios@1 "@nestjs/schedule@$schedule" rxjs@7 reflect-metadata@0.2 better-sqlite3@12 \
      >install.log 2>&1 || { cat install.log; exit 1; }
    echo "--- Nest $nest, @nestjs/typeorm $nestTypeorm, TypeORM $typeorm, @nestjs/axios $axios, @nestjs/schedule $schedule"
    node main.cjs
  )
done
echo "package smoke: ${#matrix[@]} passed, 0 failed"
