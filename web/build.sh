#!/bin/sh
# Rebuilds static/confide.js, the reporter's browser code, from web/src with pinned packages.
#   cd web && npm ci && sh build.sh
# The output is committed, so that the gateway serves it without Node.js.
set -eu
cd "$(dirname "$0")"
for pair in main.js:confide.js exit-page.js:exit.js; do
  npx esbuild "src/${pair%%:*}" --bundle --minify --format=iife --target=es2020 \
    --legal-comments=none --log-level=warning --outfile="../static/${pair##*:}"
  gzip -9 -c "../static/${pair##*:}" | wc -c | xargs printf "static/${pair##*:}: %s bytes compressed\n"
done
