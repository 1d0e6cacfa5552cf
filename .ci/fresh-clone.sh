#!/usr/bin/env bash
# A newcomer's first minutes, scripted: clone this repository, `npm ci` (no EBADENGINE; a following
# `npm install` leaves package-lock.json unchanged), `npm start` with no
# environment at all, /healthz answers 200, stop (the private Redis gone with it). Then the same
# clone against a shared Redis whose prefix another database claimed must refuse to start. Then the
# production path the Dockerfile takes: `npm run build`, `npm prune --omit=dev` (no tsx, no
# TypeScript, no pino-pretty), `npm run start:prod` refuses NODE_ENV=production without credentials
# and serves /healthz without it.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d "${TMPDIR:-/tmp}/fresh-clone.XXXXXX")"
server_pid=""
cleanup() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then kill -KILL -- "-$server_pid" || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

git clone --quiet "$repo" "$work/clone"
cd "$work/clone"
npm ci --no-audit --no-fund 2>&1 | tee "$work/npm-ci.log" | tail -1
# The supported Node gets no engine warning, and `npm install` leaves the lockfile as it is.
if grep -q EBADENGINE "$work/npm-ci.log"; then grep -A3 EBADENGINE "$work/npm-ci.log"; echo "FAIL: EBADENGINE on $(node -v)"; exit 1; fi
npm install --no-audit --no-fund 2>&1 | tee "$work/npm-install.log" | tail -1
if grep -q EBADENGINE "$work/npm-install.log"; then echo "FAIL: npm install warns EBADENGINE on $(node -v)"; exit 1; fi
git diff --exit-code --stat package-lock.json || { echo "FAIL: npm install rewrote package-lock.json"; exit 1; }
echo "ok: npm ci and npm install on Node $(node -v): no engine warning, lockfile unchanged"

port=3000
if (exec 3<>/dev/tcp/127.0.0.1/3000) 2>/dev/null; then
  # Something else holds the default port on this machine; the only variable we then pass is PORT.
  port=$(node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")
fi

# npm exits at once on SIGTERM; the server it ran finishes its shutdown after it.
stop_group() {
  kill -TERM -- "-$server_pid" 2>/dev/null || true
  wait "$server_pid" || true
  for _ in $(seq 1 60); do kill -0 -- "-$server_pid" 2>/dev/null || break; sleep 0.5; done
  if kill -0 -- "-$server_pid" 2>/dev/null; then echo "FAIL: the server did not stop on SIGTERM"; exit 1; fi
  server_pid=""
}

wait_healthy() {
  for _ in $(seq 1 180); do
    if curl -sf "http://127.0.0.1:$port/healthz" >/dev/null; then return 0; fi
    if ! kill -0 "$server_pid" 2>/dev/null; then return 1; fi
    sleep 1
  done
  return 1
}

echo "== fresh clone: npm start with no environment (port $port)"
# setsid: npm and the server in a process group of their own, stopped together as a terminal would.
if [ "$port" = 3000 ]; then setsid env -i PATH="$PATH" HOME="$HOME" npm start >"$work/start.log" 2>&1 &
else setsid env -i PATH="$PATH" HOME="$HOME" PORT="$port" npm start >"$work/start.log" 2>&1 &
fi
server_pid=$!
if ! wait_healthy; then cat "$work/start.log"; echo "FAIL: /healthz never answered 200"; exit 1; fi
curl -s "http://127.0.0.1:$port/healthz"; echo
grep '^\[boot\]' "$work/start.log"
redis_pid=$(cat data/redis/redis.pid)
stop_group
grep -q '"msg":"shutting down"' "$work/start.log" || { cat "$work/start.log"; echo "FAIL: no orderly shutdown"; exit 1; }
if kill -0 "$redis_pid" 2>/dev/null; then echo "FAIL: the private redis-server (pid $redis_pid) outlived the server"; exit 1; fi
echo "ok: started, answered /healthz, stopped with its private Redis"

echo "== fresh clone: a Redis prefix that belongs to another database"
prefix="freshclone_$$_$RANDOM:"
shared_redis="redis://127.0.0.1:6379"
setsid env -i PATH="$PATH" HOME="$HOME" PORT="$port" REDIS_URL="$shared_redis" REDIS_PREFIX="$prefix" \
  npm start >"$work/owner.log" 2>&1 &
server_pid=$!
if ! wait_healthy; then cat "$work/owner.log"; echo "FAIL: the owner never answered"; exit 1; fi
stop_group
# Another checkout: its own embedded database (a new DATA_DIR), the same Redis and prefix.
set +e
env -i PATH="$PATH" HOME="$HOME" PORT="$port" REDIS_URL="$shared_redis" REDIS_PREFIX="$prefix" \
  DATA_DIR="$work/other-data" npm start >"$work/foreign.log" 2>&1
code=$?
set -e
redis-cli -u "$shared_redis" --scan --pattern "${prefix}*" | xargs -r redis-cli -u "$shared_redis" unlink >/dev/null
if [ "$code" = 0 ] || ! grep -q "belongs to another database" "$work/foreign.log"; then
  cat "$work/foreign.log"; echo "FAIL: a foreign database's prefix was not refused (exit $code)"; exit 1
fi
grep -A3 "Refusing to start" "$work/foreign.log"
echo "ok: refused a prefix bound to another database (exit $code)"

echo "== production build: npm run build, production dependencies only, npm run start:prod"
npm run build --silent
npm prune --omit=dev --no-audit --no-fund --loglevel=error
test ! -e node_modules/tsx && test ! -e node_modules/typescript && test ! -e node_modules/pino-pretty
set +e
env -i PATH="$PATH" HOME="$HOME" NODE_ENV=production PORT="$port" npm run start:prod >"$work/prod-refused.log" 2>&1
code=$?
set -e
if [ "$code" = 0 ] || ! grep -q "Refusing to start with NODE_ENV=production" "$work/prod-refused.log"; then
  cat "$work/prod-refused.log"; echo "FAIL: production started without credentials (exit $code)"; exit 1
fi
grep -A3 "Refusing to start" "$work/prod-refused.log"
setsid env -i PATH="$PATH" HOME="$HOME" PORT="$port" npm run start:prod >"$work/prod.log" 2>&1 &
server_pid=$!
if ! wait_healthy; then cat "$work/prod.log"; echo "FAIL: the compiled server never answered"; exit 1; fi
stop_group
if grep -q "tsx" "$work/prod.log"; then cat "$work/prod.log"; echo "FAIL: the compiled server used tsx"; exit 1; fi
grep -q '"msg":"shutting down"' "$work/prod.log" || { cat "$work/prod.log"; echo "FAIL: no JSON log line"; exit 1; }
echo "ok: compiled server refused production without credentials, served /healthz on production dependencies"
