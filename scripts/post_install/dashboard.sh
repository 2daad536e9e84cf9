#!/usr/bin/env bash
# Dashboard post-install (idempotent; scripts/setup.sh runs it after the requirements): the charts of
# the operations dashboard use chart.js (MIT) from npm, served by the app itself from
# bot/static/vendor/ (the hall may be offline: no CDN). The tarball is checked against its pinned digest.
set -euo pipefail
cd "$(dirname "$0")/../.."
VERSION=4.5.1
SHA256=f540d98468457ac7a0aabb32006dfb066297e096c5ea063a5d80aa973d1c337a
target=bot/static/vendor/chart.umd.min.js
[ -f "$target" ] && [ -f "$target.version" ] && [ "$(cat "$target.version")" = "$VERSION" ] && exit 0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "chart.js@$VERSION" >/dev/null)
echo "$SHA256  $tmp/chart.js-$VERSION.tgz" | sha256sum -c --quiet
tar -xzf "$tmp/chart.js-$VERSION.tgz" -C "$tmp" package/dist/chart.umd.min.js package/LICENSE.md
mkdir -p bot/static/vendor
cp "$tmp/package/dist/chart.umd.min.js" "$target"
cp "$tmp/package/LICENSE.md" bot/static/vendor/LICENSE-chart.js.md
echo "$VERSION" > "$target.version"
