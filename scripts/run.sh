#!/usr/bin/env bash
# `make run`: serve the app on HOST:PORT once set-up is done. Without REDIS_URL checks run in-process;
# with it a Celery worker and beat start beside the web app. Server output goes to var/log/; the last
# lines printed are the address and the demo logins.
set -euo pipefail
cd "$(dirname "$0")/.."

HOST="${HOST:-127.0.0.1}"
PORT="${PORT:-8000}"
BIN=.venv/bin
LOG_DIR=var/log
mkdir -p "$LOG_DIR"

children=()
stop_children() {
  local pid
  for pid in "${children[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap stop_children EXIT
trap 'exit 130' INT TERM

if [ -n "${REDIS_URL:-}" ]; then
  echo "  REDIS_URL is set: a Celery worker and beat run beside the web app ($LOG_DIR/worker.log, $LOG_DIR/beat.log)."
  "$BIN/celery" -A config.celery_app worker -Q compliance --concurrency 2 --prefetch-multiplier 1 \
    --loglevel INFO >"$LOG_DIR/worker.log" 2>&1 &
  children+=($!)
  "$BIN/celery" -A config.celery_app beat --loglevel INFO >"$LOG_DIR/beat.log" 2>&1 &
  children+=($!)
fi

"$BIN/python" manage.py runserver "$HOST:$PORT" >"$LOG_DIR/web.log" 2>&1 &
server=$!
children+=("$server")

url="http://$HOST:$PORT"
for _ in $(seq 1 120); do
  if ! kill -0 "$server" 2>/dev/null; then
    echo "The web server stopped while starting:" >&2
    tail -n 20 "$LOG_DIR/web.log" >&2
    exit 1
  fi
  # Any HTTP answer means the server is up (health may report a degraded component).
  if "$BIN/python" -c "
import sys, urllib.error, urllib.request
try:
    urllib.request.urlopen(sys.argv[1], timeout=2)
except urllib.error.HTTPError:
    pass
" "$url/healthz" >/dev/null 2>&1; then
    break
  fi
  sleep 0.5
done

echo ""
echo "  Server log: $LOG_DIR/web.log. Stop with Ctrl-C."
"$BIN/python" manage.py load_demo --print-users
echo ""
echo "  Open $url/ (manager pages) or $url/admin/ (approvers, auditors, admin)."
wait "$server"
