"""Launch llama-cpp-python's OpenAI-compatible server with a Gemma chat format
that keeps system messages.

llama-cpp-python's built-in ``gemma`` chat format silently drops system
messages, and the server CLI cannot take a Jinja template file.  This launcher
registers the chat format ``gemma-system-folded`` (built from
``gemma_system_folded.jinja`` beside this file, or $CHAT_TEMPLATE) in
llama_cpp's chat-format registry, then runs the stock server
(``python -m llama_cpp.server``) in the same process with
``--chat_format gemma-system-folded`` unless another --chat_format is given.
All other arguments are passed through unchanged, e.g.::

    /work/llm-env/bin/python serve.py --model /work/llm-models/gemma3-270m-q4_k_m.gguf \
        --host 127.0.0.1 --port 8089 --n_ctx 8192

Registered formats go through llama_cpp's generic chat handler, so a request
whose ``tool_choice`` names a function is answered with ``message.tool_calls``
whose arguments are generated under a grammar compiled from that function's
JSON schema.

Determinism: llama-cpp-python reuses the KV cache of the previous request's
longest common token prefix; when the whole prompt is cached it re-decodes the
last token alone, and those logits differ slightly from a full-batch decode, so
the same request could get a different greedy answer depending on what ran
before it.  The handler therefore resets the context before every request (each
prompt is evaluated from scratch, same batches every time).  Set
LLM_PROMPT_CACHE=1 to keep prefix reuse (faster repeats, order-dependent output).

Set LLM_LOG_PROMPTS=1 to print every formatted prompt to stderr.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

from llama_cpp import llama_chat_format
from llama_cpp.server.__main__ import main as server_main

CHAT_FORMAT = "gemma-system-folded"
TEMPLATE = Path(os.environ.get("CHAT_TEMPLATE", Path(__file__).with_name("gemma_system_folded.jinja")))
STOP = ["<end_of_turn>", "<eos>"]
LOG_PROMPTS = os.environ.get("LLM_LOG_PROMPTS", "") not in ("", "0", "false")
PROMPT_CACHE = os.environ.get("LLM_PROMPT_CACHE", "") not in ("", "0", "false")


class GemmaSystemFolded(llama_chat_format.Jinja2ChatFormatter):
    def __call__(self, **kwargs: Any) -> llama_chat_format.ChatFormatterResponse:
        result = super().__call__(**kwargs)
        result.stop = list(STOP)
        if LOG_PROMPTS:
            print(f"----- formatted prompt ({CHAT_FORMAT}) -----", file=sys.stderr)
            print(result.prompt, file=sys.stderr)
            print("----- end of prompt -----", file=sys.stderr, flush=True)
        return result


def register() -> None:
    formatter = GemmaSystemFolded(
        template=TEMPLATE.read_text(encoding="utf-8"),
        bos_token="<bos>",
        eos_token="<end_of_turn>",
        add_generation_prompt=True,
    )
    inner = llama_chat_format.chat_formatter_to_chat_completion_handler(formatter)

    def handler(*, llama: Any, **kwargs: Any) -> Any:
        if not PROMPT_CACHE:
            llama.reset()  # n_tokens = 0: no prefix reuse, deterministic decode
        return inner(llama=llama, **kwargs)

    llama_chat_format.LlamaChatCompletionHandlerRegistry().register_chat_completion_handler(
        CHAT_FORMAT, handler, overwrite=True
    )


if __name__ == "__main__":
    register()
    if not any(a == "--chat_format" or a.startswith("--chat_format=") for a in sys.argv[1:]):
        sys.argv += ["--chat_format", CHAT_FORMAT]
    server_main()
