#!/usr/bin/env bash
# Stop the server started by start.sh (same PORT / LLM_SERVER_PIDFILE).
set -euo pipefail
PIDFILE="${LLM_SERVER_PIDFILE:-/tmp/llm_server_${PORT:-8089}.pid}"
[ -f "$PIDFILE" ] || { echo "no pidfile $PIDFILE" >&2; exit 0; }
PID="$(cat "$PIDFILE")"
if kill -0 "$PID" 2>/dev/null; then
  kill "$PID"
  for _ in $(seq 1 40); do kill -0 "$PID" 2>/dev/null || break; sleep 0.25; done
fi
rm -f "$PIDFILE"
echo "stopped $PID" >&2
