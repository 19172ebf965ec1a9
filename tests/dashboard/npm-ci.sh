#!/usr/bin/env bash
# usage: npm-ci.sh DIR
# Installs the npm packages of tests/dashboard (the versions of its lock file: Grafana's
# @grafana/schema, @grafana/ui, @grafana/data, react, esbuild, typescript) into DIR, unless
# this lock file was installed there already. test-grafana-dashboard and test-grafana-render
# share the one installation.
set -u
D=$(cd "$(dirname "$0")" && pwd)
dir=$1
done_mark=$dir/node_modules/.rentark-lock # the lock file of the last complete install
cmp -s "$D/package-lock.json" "$done_mark" && exit 0
mkdir -p "$dir"
# Node.js trusts its own list of CAs; a machine whose HTTPS goes through a CA of its own (a
# proxy that inspects TLS) has it in the system's store, which node then needs to be told of.
if [ -z "${NODE_EXTRA_CA_CERTS:-}" ] && [ -f /etc/ssl/certs/ca-certificates.crt ]; then
    export NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt
fi
cp "$D/package.json" "$D/package-lock.json" "$D/.npmrc" "$dir/"
cd "$dir" && timeout 900 npm ci --no-audit --no-fund --fetch-retries=3 && cp package-lock.json "$done_mark"
