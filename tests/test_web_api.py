"""The JSON API against a real uvicorn server on a loopback port: reviews, dropped files, the
HTML report, and bad input answered with a 4xx and a one-line JSON message."""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from reviewer.inputs import MAX_NOTE_BYTES, MAX_NOTE_CHARS
from reviewer.web import app as web_app
from reviewer.web.app import Settings, create_app
from tests.web_helpers import ABSCESS_NOTE, SAMPLE, ThreadServer

NOTE = SAMPLE.read_text("utf-8")


@pytest.fixture(scope="module")
def server() -> Iterator[ThreadServer]:
    mp = pytest.MonkeyPatch()
    for key in ("REVIEWER_LLM_CONFIG", "REVIEWER_LLM_MODEL", "REVIEWER_LLM_BASE_URL", "OPENAI_BASE_URL"):
        mp.delenv(key, raising=False)
    with ThreadServer(create_app(Settings(timeout=30))) as live:
        yield live
    mp.undo()


@pytest.fixture(scope="module")
def client(server: ThreadServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=30) as c:
        yield c


def one_line_error(response: httpx.Response) -> str:
    body = response.json()
    assert set(body) == {"error"}
    message = body["error"]
    assert isinstance(message, str) and message and "\n" not in message and "Traceback" not in message
    return message


def test_health_says_what_the_server_offers(client: httpx.Client) -> None:
    r = client.get("/api/health")
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "ok" and body["extractors"] == ["rules"]
    assert body["max_note_chars"] == MAX_NOTE_CHARS


def test_supported_note(client: httpx.Client) -> None:
    r = client.post("/api/review", json={"text": NOTE, "sex": "M", "claimed_codes": ["11004", "N49.3"]})
    assert r.status_code == 200
    assert r.headers["cache-control"] == "no-store"
    review = r.json()
    assert review["decision"]["verdict"] == "supported"
    assert [c["code"] for c in review["decision"]["recommended_codes"] if c["role"] == "primary"] == ["11004"]
    for criterion in review["decision"]["criteria"]:
        for ev in criterion["evidence"]:
            assert NOTE[ev["start"] : ev["end"]] == ev["quote"]


def test_not_supported_note_gets_its_alternative(client: httpx.Client) -> None:
    r = client.post("/api/review", json={"text": ABSCESS_NOTE, "sex": "M"})
    assert r.status_code == 200
    decision = r.json()["decision"]
    assert decision["verdict"] == "not_supported"
    assert "55100" in [c["code"] for c in decision["recommended_codes"]]


@pytest.mark.parametrize(
    ("payload", "status", "words"),
    [
        ({"text": ""}, 422, "empty"),
        ({"text": "  \n\t "}, 422, "empty"),
        ({"text": "123 456"}, 422, "no words"),
        ({"text": "x" * (MAX_NOTE_CHARS + 1)}, 413, "limit"),
        ({"text": NOTE, "sex": "X"}, 422, "sex"),
        ({"text": NOTE, "claimed_codes": ["banana"]}, 422, "banana"),
        ({"text": NOTE, "claimed_codes": "11004"}, 422, "claimed_codes"),
        ({"text": NOTE, "extractor": "llm"}, 400, "not configured"),
        ({"text": NOTE, "extractor": "magic"}, 422, "extractor"),
        ({"text": NOTE, "colour": "red"}, 422, "colour"),
        ({"sex": "M"}, 422, "text"),
        ([NOTE], 422, "request body"),
    ],
)
def test_bad_review_input_is_a_4xx_with_one_line(
    client: httpx.Client, payload: Any, status: int, words: str
) -> None:
    r = client.post("/api/review", json=payload)
    assert r.status_code == status
    assert words in one_line_error(r)


def test_invalid_json_and_wrong_content_type(client: httpx.Client) -> None:
    r = client.post(
        "/api/review", content=b'{"text": "Fournier', headers={"content-type": "application/json"}
    )
    assert r.status_code == 422 and one_line_error(r) == "the request body is not valid JSON"
    r = client.post("/api/review", content=NOTE.encode(), headers={"content-type": "text/plain"})
    assert r.status_code == 422
    one_line_error(r)


def test_a_request_over_the_size_limit_is_413(client: httpx.Client) -> None:
    r = client.post(
        "/api/review",
        content=b'{"text": "' + b"a" * (web_app.MAX_BODY_BYTES + 10) + b'"}',
        headers={"content-type": "application/json"},
    )
    assert r.status_code == 413
    assert "MB" in one_line_error(r)


def test_unknown_paths_and_methods_are_json(client: httpx.Client) -> None:
    assert one_line_error(client.get("/api/nothing")) == "not found"
    r = client.get("/api/review")
    assert r.status_code == 405
    one_line_error(r)


def test_the_page_and_its_assets_are_served_without_a_cdn(client: httpx.Client) -> None:
    page = client.get("/")
    assert page.status_code == 200
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert '<base href="/">' in page.text
    for asset in ("static/app.js", "static/app.css", "static/favicon.svg", "static/sample-note.txt"):
        r = client.get("/" + asset)
        assert r.status_code == 200, asset
        text = r.text.replace('xmlns="http://www.w3.org/2000/svg"', "")  # a namespace, not a load
        assert "http://" not in text and "https://" not in text, asset
    assert "https://" not in page.text
    docs = client.get("/docs")
    assert docs.status_code == 200 and "cdn" not in docs.text.lower()
    assert client.get("/openapi.json").json()["paths"]["/api/review"]["post"]


def test_behind_a_proxy_that_strips_the_root_path() -> None:
    with (
        ThreadServer(create_app(Settings(timeout=30)), root_path="/reviewer") as live,
        httpx.Client(base_url=live.url, timeout=30) as c,
    ):
        page = c.get("/")  # the proxy took /reviewer/ off
        assert '<base href="/reviewer/">' in page.text
        assert c.get("/api/health").status_code == 200
        assert c.post("/api/review", json={"text": NOTE}).json()["decision"]["verdict"] == "supported"
        docs = c.get("/docs").text
        assert "/reviewer/openapi.json" in docs and "/reviewer/docs-static/swagger-ui-bundle.js" in docs
        assert c.get("/docs-static/swagger-ui-bundle.js").status_code == 200


def test_the_page_sample_is_the_bundled_sample() -> None:
    assert (web_app.STATIC / "sample-note.txt").read_text("utf-8") == NOTE


def test_serve_refuses_a_bad_root_path_and_a_bad_llm_config(tmp_path: Any) -> None:
    import subprocess
    import sys

    p = subprocess.run(
        [sys.executable, "-m", "reviewer", "serve", "--root-path", "reviewer"],
        capture_output=True,
        timeout=60,
    )
    assert p.returncode == 2 and p.stderr.decode().count("\n") == 1 and "--root-path" in p.stderr.decode()
    bad = tmp_path / "llm.toml"
    bad.write_text("[llm]\nmodel = 'x'\ntimeout = -1\n")
    p = subprocess.run(
        [sys.executable, "-m", "reviewer", "serve", "--port", "0"],
        capture_output=True,
        timeout=120,
        env={**__import__("os").environ, "REVIEWER_LLM_CONFIG": str(bad)},
    )
    err = p.stderr.decode()
    assert p.returncode == 2 and err.count("\n") == 1 and "timeout" in err


@pytest.mark.parametrize(
    ("host", "open_beyond_this_machine"),
    [
        ("127.0.0.1", False),
        ("::1", False),
        ("localhost", False),
        ("0.0.0.0", True),
        ("10.20.30.40", True),
        ("reviewer.hospital.example", True),
    ],
)
def test_serve_warns_when_the_port_is_open_beyond_this_machine(
    host: str, open_beyond_this_machine: bool
) -> None:
    from reviewer.web.serve import exposure_warning

    warning = exposure_warning(host)
    if open_beyond_this_machine:
        assert (
            warning is not None
            and warning.startswith(f"listening on {host}: ")
            and "reverse proxy" in warning
        )
    else:
        assert warning is None


def test_serve_options_are_checked_before_anything_starts() -> None:
    from reviewer.web.serve import check_options

    with pytest.raises(ValueError, match="--root-path must start with '/', not 'reviewer'"):
        check_options("reviewer")
    check_options("/reviewer")  # no LLM asked for in the environment: nothing to refuse
    check_options("")


def test_a_dropped_docx_is_read(client: httpx.Client, tmp_path: Any) -> None:
    import docx

    document = docx.Document()
    for line in NOTE.splitlines():
        document.add_paragraph(line)
    path = tmp_path / "op note.docx"
    document.save(str(path))
    r = client.post("/api/note-file", files={"file": ("op note.docx", path.read_bytes())})
    assert r.status_code == 200
    body = r.json()
    assert body["format"] == "docx" and body["name"] == "op note.docx"
    assert body["text"].split() == NOTE.split()


def test_a_dropped_hl7_message_gives_sex_and_date(client: httpx.Client) -> None:
    lines = [f"OBX|{i}|TX|||{line}||||||F" for i, line in enumerate(NOTE.splitlines(), 1)]
    message = "\r".join(
        [
            "MSH|^~\\&|EHR|HOSP|CODING|HOSP|20240402||MDM^T02|42|P|2.5",
            "PID|1||123^^^HOSP^MR||TEST^PAT||19600101|F",
            "TXA|1|OP|TX|20240402|||||||||||||AU",
            *lines,
        ]
    )
    r = client.post("/api/note-file", files={"file": ("note.hl7", message.encode())})
    assert r.status_code == 200
    body = r.json()
    assert (body["format"], body["sex"], body["date_of_service"]) == ("hl7", "F", "2024-04-02")
    assert any("taken from the HL7 v2 message" in w for w in body["warnings"])


@pytest.mark.parametrize(
    ("name", "data", "status", "words"),
    [
        ("scan.png", b"\x89PNG\r\n\x1a\n" + bytes(200), 422, "PNG image"),
        ("old.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(200), 422, ".doc"),
        ("empty.txt", b"", 422, "empty"),
        ("big.txt", b"a" * (MAX_NOTE_BYTES + 1), 413, "MB"),
    ],
)
def test_bad_files_are_a_4xx_with_one_line(
    client: httpx.Client, name: str, data: bytes, status: int, words: str
) -> None:
    r = client.post("/api/note-file", files={"file": (name, data)})
    assert r.status_code == status
    assert words in one_line_error(r)


def test_the_html_report_is_rendered_from_the_review(client: httpx.Client) -> None:
    review = client.post("/api/review", json={"text": NOTE}).json()
    r = client.post("/api/report", json={"text": NOTE, "review": review})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    assert "attachment" in r.headers["content-disposition"]
    assert "<mark" in r.text and "SUPPORTED" in r.text


def test_nothing_about_the_note_is_logged(
    client: httpx.Client, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    marker = "Zanzibarquux"
    text = NOTE.replace("diabetes", f"diabetes (patient {marker})")
    with caplog.at_level(logging.DEBUG):
        assert client.post("/api/review", json={"text": text, "claimed_codes": ["11004"]}).status_code == 200
        assert client.post("/api/review", json={"text": text, "sex": marker}).status_code == 422

        # An internal error whose message quotes the note: a one-line 500, and only its type is logged.
        def explode(*args: object, **kwargs: object) -> None:
            raise RuntimeError(f"failed on {text}")

        monkeypatch.setattr(web_app, "review_with", explode)
        r = client.post("/api/review", json={"text": text})
        assert r.status_code == 500
        assert marker not in one_line_error(r)
    logged = "\n".join(f"{rec.getMessage()} {rec.exc_text or ''}" for rec in caplog.records)
    assert "POST /api/review" in logged  # the access log is captured...
    assert "RuntimeError" in logged
    assert marker not in logged  # ...and never holds the note


def test_a_review_over_the_deadline_is_a_504() -> None:
    with (
        ThreadServer(create_app(Settings(timeout=0.001))) as live,
        httpx.Client(base_url=live.url, timeout=30) as c,
    ):
        r = c.post("/api/review", json={"text": NOTE * 40})
    assert r.status_code == 504
    assert "took longer" in one_line_error(r)


def test_llm_key_and_endpoint_never_reach_the_browser(monkeypatch: pytest.MonkeyPatch) -> None:
    secret, endpoint = "sk-test-very-secret-key", "127.0.0.1:9"
    monkeypatch.delenv("REVIEWER_LLM_CONFIG", raising=False)
    monkeypatch.setenv("REVIEWER_LLM_BASE_URL", f"http://{endpoint}/v1")
    monkeypatch.setenv("REVIEWER_LLM_MODEL", "any-model")
    monkeypatch.setenv("REVIEWER_LLM_API_KEY", secret)
    monkeypatch.setenv("REVIEWER_LLM_TRANSPORT_ATTEMPTS", "1")
    with (
        ThreadServer(create_app(Settings(timeout=60))) as live,
        httpx.Client(base_url=live.url, timeout=60) as c,
    ):
        health = c.get("/api/health")
        assert health.json()["extractors"] == ["rules", "llm", "hybrid"]
        failed = c.post("/api/review", json={"text": NOTE, "extractor": "llm"})
        seen = [
            health.text,
            failed.text,
            c.get("/").text,
            c.get("/openapi.json").text,
            c.get("/static/app.js").text,
        ]
    assert failed.status_code == 200
    review = failed.json()
    assert review["error"] and review["decision"]["verdict"] == "query"
    for body in seen:
        assert secret not in body and endpoint not in body
    assert base64.b64encode(secret.encode()).decode() not in json.dumps(seen)


def test_load_script_smoke(server: ThreadServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """eval/bench/web_load.py, bounded to 2 s and 4 clients (the real run is 20 clients, 30 s)."""
    import importlib.util
    import sys

    from tests.web_helpers import ROOT

    spec = importlib.util.spec_from_file_location("web_load", ROOT / "eval" / "bench" / "web_load.py")
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "web_load", bench)  # its dataclasses look themselves up there
    spec.loader.exec_module(bench)
    bodies = bench.gold_requests()
    result = bench.run_load(server.url, bodies[:10], clients=4, seconds=2)
    assert result.errors == {} and len(result.latencies) > 4
    assert bench.percentile(result.latencies, 95) >= bench.percentile(result.latencies, 50)
    with pytest.raises(SystemExit, match="loopback"):
        bench.run_load("http://10.0.0.1:8000", bodies, clients=1, seconds=1)
