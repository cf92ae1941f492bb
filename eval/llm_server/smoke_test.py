"""Smoke test for the local LLM server: forced tool call, schema check, determinism.

Usage: python smoke_test.py [BASE_URL]   (default http://127.0.0.1:8089/v1)
Stdlib only.  Exits non-zero on failure.  Prints latency of each request.
"""

from __future__ import annotations

import json
import sys
import time
import urllib.request

BASE = (sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8089/v1").rstrip("/")
MARKER = "SYSTEM-MARKER-7Q2"

NOTE = (
    "PREOPERATIVE DIAGNOSIS: Necrotizing soft tissue infection of the perineum and scrotum "
    "(Fournier gangrene). POSTOPERATIVE DIAGNOSIS: Same. PROCEDURE: Excisional debridement "
    "of necrotizing soft tissue infection of the perineum, scrotum and left groin, including "
    "skin, subcutaneous tissue and fascia. SURGEON: Dr. A. Example. ANESTHESIA: General "
    "endotracheal. ESTIMATED BLOOD LOSS: 150 mL. INDICATIONS: 58-year-old man with poorly "
    "controlled diabetes presented with three days of perineal pain, fever to 39.2 C, "
    "crepitus and dusky skin over the scrotum extending to the left groin. CT showed soft "
    "tissue gas tracking along the fascial planes. He was started on broad-spectrum "
    "antibiotics and brought emergently to the operating room. DESCRIPTION OF PROCEDURE: The "
    "patient was placed in lithotomy position, prepped and draped. An incision was made over "
    "the necrotic scrotal skin and extended into the left groin. Grey, non-bleeding fascia "
    "with dishwater fluid was encountered. All necrotic skin, subcutaneous fat and fascia "
    "were sharply excised back to bleeding, viable tissue. The testicles appeared viable and "
    "were preserved. The debrided area measured approximately 18 x 12 cm. Tissue was sent "
    "for culture and pathology. The wound was irrigated with 3 liters of saline and packed "
    "with moist gauze. The patient tolerated the procedure and was taken to the intensive "
    "care unit in critical condition. Plan for return to the operating room in 24 hours for "
    "a second look and further debridement as needed. Urology was consulted intraoperatively "
    "and agreed with testicular preservation. Blood cultures were pending at the time of the "
    "operation. Postoperative orders include piperacillin-tazobactam, vancomycin and "
    "clindamycin, serial lactate measurements, and wound care by the surgical team. "
    "ADDENDUM: Findings were discussed with the family at the bedside after the case. The "
    "patient remains intubated and on low-dose norepinephrine. Wound photographs were placed "
    "in the chart, and nutrition consult was requested for early enteral feeding."
)

SCHEMA = {
    "type": "object",
    "properties": {
        "necrotizing_infection_documented": {"type": "boolean"},
        "sites": {"type": "array", "items": {"type": "string"}, "maxItems": 5},
        "debrided_area_cm2": {"type": "number"},
        "depth": {"type": "string", "enum": ["skin", "subcutaneous", "fascia", "muscle"]},
    },
    "required": ["necrotizing_infection_documented", "sites", "debrided_area_cm2", "depth"],
}


def body() -> dict:
    return {
        "model": "gemma-3-270m",
        "temperature": 0,
        "seed": 1234,
        "max_tokens": 256,
        "messages": [
            {
                "role": "system",
                "content": f"[{MARKER}] You review operative notes and extract facts as JSON.",
            },
            {"role": "user", "content": "Operative note:\n" + NOTE},
        ],
        "tools": [
            {
                "type": "function",
                "function": {
                    "name": "Foo",
                    "description": "Facts extracted from the operative note",
                    "parameters": SCHEMA,
                },
            }
        ],
        "tool_choice": {"type": "function", "function": {"name": "Foo"}},
    }


def post() -> tuple[dict, float]:
    req = urllib.request.Request(
        BASE + "/chat/completions",
        data=json.dumps(body()).encode(),
        headers={"Content-Type": "application/json"},
    )
    t0 = time.perf_counter()
    with urllib.request.urlopen(req, timeout=300) as resp:
        assert resp.status == 200, resp.status
        data = json.load(resp)
    return data, time.perf_counter() - t0


def check(data: dict) -> dict:
    call = data["choices"][0]["message"]["tool_calls"][0]
    assert call["function"]["name"] == "Foo", call
    args = json.loads(call["function"]["arguments"])
    for key in SCHEMA["required"]:
        assert key in args, (key, args)
    assert isinstance(args["necrotizing_infection_documented"], bool)
    assert isinstance(args["sites"], list) and all(isinstance(s, str) for s in args["sites"])
    assert isinstance(args["debrided_area_cm2"], (int, float))
    assert args["depth"] in SCHEMA["properties"]["depth"]["enum"]
    try:
        import jsonschema  # optional
    except ImportError:
        pass
    else:
        jsonschema.validate(args, SCHEMA)
    return args


def main() -> None:
    print(f"note words: {len(NOTE.split())}")
    first, t1 = post()
    args = check(first)
    print(f"request 1: {t1:.2f}s usage={first.get('usage')}")
    print("finish_reason:", first["choices"][0]["finish_reason"])
    print("arguments:", json.dumps(args))
    second, t2 = post()
    check(second)
    print(f"request 2: {t2:.2f}s")
    a1 = first["choices"][0]["message"]["tool_calls"][0]["function"]["arguments"]
    a2 = second["choices"][0]["message"]["tool_calls"][0]["function"]["arguments"]
    print("identical arguments:", a1 == a2)
    if a1 != a2:
        sys.exit("non-deterministic answer")
    print("OK")


if __name__ == "__main__":
    main()
