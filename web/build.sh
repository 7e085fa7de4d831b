#!/bin/sh
# Rebuilds static/confide.js, the reporter's browser code, from web/src with pinned packages.
#   cd web && npm ci && sh build.sh
# The output is committed, so that the gateway serves it without Node.js.
set -eu
cd "$(dirname "$0")"
npx esbuild src/main.js --bundle --minify --format=iife --target=es2020 \
  --legal-comments=none --outfile=../static/confide.js
gzip -9 -c ../static/confide.js | wc -c | xargs printf 'static/confide.js: %s bytes compressed\n'
