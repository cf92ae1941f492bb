#!/usr/bin/env bash
# Start the local OpenAI-compatible LLM server (llama-cpp-python + Gemma 3 270M)
# in the background on 127.0.0.1:$PORT, wait until /v1/models answers, and
# print the base URL (http://127.0.0.1:$PORT/v1) as the last line on stdout.
#
# Env: PORT (8089), MODEL_PATH (assembled gguf), LLM_ENV (/work/llm-env),
#      N_CTX (8192), N_THREADS (nproc), SEED (0), LLM_LOG_PROMPTS (unset; 1 =
#      log formatted prompts), LLM_SERVER_LOG, LLM_SERVER_PIDFILE, START_TIMEOUT (120 s).
# Stop it with: kill "$(cat "${LLM_SERVER_PIDFILE:-/tmp/llm_server_${PORT:-8089}.pid}")"
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
LLM_ENV="${LLM_ENV:-/work/llm-env}"
MODEL_PATH="${MODEL_PATH:-/work/llm-models/gemma-3-270m-q4_k_m.gguf}"
PORT="${PORT:-8089}"
N_CTX="${N_CTX:-8192}"
N_THREADS="${N_THREADS:-$(nproc)}"
SEED="${SEED:-0}"
LOG="${LLM_SERVER_LOG:-/tmp/llm_server_${PORT}.log}"
PIDFILE="${LLM_SERVER_PIDFILE:-/tmp/llm_server_${PORT}.pid}"
START_TIMEOUT="${START_TIMEOUT:-120}"
BASE_URL="http://127.0.0.1:${PORT}/v1"

[ -x "$LLM_ENV/bin/python" ] || { echo "no venv at $LLM_ENV (see README.md)" >&2; exit 1; }
[ -f "$MODEL_PATH" ] || { echo "no model at $MODEL_PATH (see README.md)" >&2; exit 1; }

if curl -fsS -m 2 "$BASE_URL/models" >/dev/null 2>&1; then
  echo "already serving on port $PORT" >&2
  echo "$BASE_URL"
  exit 0
fi

# HOST/PORT env vars override the CLI in llama_cpp.server, so pin them here.
HOST=127.0.0.1 PORT="$PORT" nohup setsid "$LLM_ENV/bin/python" "$HERE/serve.py" \
  --model "$MODEL_PATH" --model_alias gemma-3-270m \
  --host 127.0.0.1 --port "$PORT" \
  --n_ctx "$N_CTX" --n_threads "$N_THREADS" --n_threads_batch "$N_THREADS" \
  --seed "$SEED" --logits_all false --verbose true \
  >"$LOG" 2>&1 </dev/null &
echo $! >"$PIDFILE"

for _ in $(seq 1 $((START_TIMEOUT * 4))); do
  if curl -fsS -m 2 "$BASE_URL/models" >/dev/null 2>&1; then
    echo "LLM server pid $(cat "$PIDFILE"), log $LOG" >&2
    echo "$BASE_URL"
    exit 0
  fi
  if ! kill -0 "$(cat "$PIDFILE")" 2>/dev/null; then
    echo "LLM server exited during start-up; last log lines:" >&2
    tail -n 30 "$LOG" >&2
    exit 1
  fi
  sleep 0.25
done
echo "LLM server did not answer within ${START_TIMEOUT}s; log: $LOG" >&2
exit 1
