"""The coder's page end to end: `reviewer serve` in a subprocess on a free loopback port, driven
by headless Chromium (Debian's package, through Playwright). Screenshots are saved as artifacts
in a temporary folder (the path is printed); with REVIEWER_SCREENSHOT_DIR set, the README's
picture is written there too (docs/coder-page.png)."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.web_helpers import ABSCESS_NOTE, SAMPLE, ProcessServer

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
NOTE = SAMPLE.read_text("utf-8")
# Depth not documented: the verdict is a query, with a physician query to copy.
DEPTH_MISSING = """OPERATIVE REPORT
PREOPERATIVE DIAGNOSIS: Fournier's gangrene.
POSTOPERATIVE DIAGNOSIS: Same.
PROCEDURE: Sharp excisional debridement of scrotum.
DESCRIPTION: Necrotic tissue of the scrotum was sharply excised until bleeding tissue was reached.
The wound was packed.
"""


@pytest.fixture(scope="module")
def artifacts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("web-page-artifacts")
    print(f"\nscreenshots: {folder}")
    return folder


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ProcessServer]:
    # An LLM is configured (so the page offers the choice), at an address where nothing listens:
    # choosing it must show "Review failed", never a question for the surgeon.
    env = {
        "REVIEWER_LLM_BASE_URL": "http://127.0.0.1:9/v1",
        "REVIEWER_LLM_MODEL": "any-model",
        "REVIEWER_LLM_API_KEY": "sk-never-in-the-browser",
        "REVIEWER_LLM_TRANSPORT_ATTEMPTS": "1",
    }
    log = tmp_path_factory.mktemp("web-server") / "serve.log"
    with ProcessServer(env=env, log=log) as live:
        yield live


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing: .ci/run installs Debian's chromium")
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)")
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Browser, server: ProcessServer) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server.url)
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    # Script errors only: a 4xx answer is logged by the browser as a failed resource, on purpose.
    tab.on(
        "console",
        lambda msg: (
            errors.append(msg.text)
            if msg.type == "error" and not msg.text.startswith("Failed to load resource")
            else None
        ),
    )
    tab.goto(server.url + "/")
    expect(tab.locator("#server-status")).to_have_text("Ready")
    yield tab
    context.close()
    assert errors == []


def review(page: Page, text: str, *, sex: str = "", claimed: str = "") -> None:
    page.fill("#note-input", text)
    page.select_option("#sex", sex)
    page.fill("#claimed", claimed)
    page.click("#review-button")
    expect(page.locator("#review-button")).to_have_text("Review")
    expect(page.locator("#results")).to_be_visible()


def test_supported_then_not_supported_then_a_dropped_docx(
    page: Page, server: ProcessServer, artifacts: Path, tmp_path: Path
) -> None:
    review(page, NOTE, sex="M", claimed="11004")
    verdict = page.locator("#verdict")
    expect(verdict).to_have_class("verdict v-supported")
    expect(page.locator("#verdict-title")).to_contain_text("Supported")
    # Evidence highlighted in the note, per criterion; no character offsets on the page.
    depth_marks = page.locator("#note-view mark.c-depth")
    expect(depth_marks.first).to_have_text("fascia")
    expect(page.locator("#note-view mark.c-site").first).to_be_visible()
    assert "chars" not in page.inner_text("#results")
    codes = page.locator("#codes tbody tr")
    expect(codes.first.locator("td").first).to_have_text("11004")
    expect(codes.first).to_contain_text("Primary")
    expect(page.locator("#icd10")).to_contain_text("N49.3")
    expect(page.locator("#icd10")).to_contain_text("Fournier gangrene")
    page.screenshot(path=str(artifacts / "supported-1280.png"))
    if os.environ.get("REVIEWER_SCREENSHOT_DIR"):
        target = Path(os.environ["REVIEWER_SCREENSHOT_DIR"]) / "coder-page.png"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(artifacts / "supported-1280.png", target)

    # Keyboard: reach a criterion, press Enter, land on its evidence in the note.
    page.focus("#criterion-depth .criterion-head")
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.matches('#note-view mark.c-depth')")
    expect(depth_marks.first).to_have_class("ev c-depth active flash")

    # Downloads: the review JSON, and the HTML report rendered by the server.
    with page.expect_download() as download:
        page.click("#download-json")
    saved = json.loads(Path(download.value.path()).read_text("utf-8"))
    assert saved["decision"]["verdict"] == "supported"
    with page.expect_download() as download:
        page.click("#download-html")
    assert download.value.suggested_filename.endswith(".html")
    assert "<mark" in Path(download.value.path()).read_text("utf-8")

    # A not-supported note and the code to bill instead.
    review(page, ABSCESS_NOTE, sex="M")
    expect(verdict).to_have_class("verdict v-not_supported")
    expect(page.locator("#verdict-title")).to_contain_text("Not supported")
    expect(page.locator("#codes")).to_contain_text("55100")
    expect(page.locator("#verdict-next")).to_contain_text("55100")
    page.screenshot(path=str(artifacts / "not-supported-1280.png"))

    # A dropped .docx is read, put in the text area and reviewed.
    import docx

    document = docx.Document()
    for line in NOTE.splitlines():
        document.add_paragraph(line)
    path = tmp_path / "operative note.docx"
    document.save(str(path))
    page.set_input_files("#file-input", str(path))
    expect(page.locator("#file-status")).to_contain_text("Word (.docx)")
    expect(page.locator("#verdict-title")).to_contain_text("Supported")
    assert page.input_value("#note-input").split() == NOTE.split()

    # Nothing about the notes reached the server's log; the requests did.
    logs = server.logs()
    assert "POST /api/review" in logs and "POST /api/note-file" in logs
    for words in ("Fournier", "scrotal wall", "fascia"):
        assert words not in logs


def test_a_query_can_be_copied_and_a_failed_review_is_not_a_query(page: Page, artifacts: Path) -> None:
    review(page, DEPTH_MISSING, sex="M")
    expect(page.locator("#verdict")).to_have_class("verdict v-query")
    question = page.locator("#queries .question").first
    expect(question).to_contain_text("deepest tissue layer")
    page.locator("#queries button.copy").first.click()
    expect(page.locator("#queries button.copy").first).to_have_text("Copied")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied.startswith(question.inner_text()) and "☐" in copied

    # The LLM the server is configured with cannot be reached: "Review failed", no query.
    expect(page.locator("#extractor-field")).to_be_visible()
    page.select_option("#extractor", "llm")
    review(page, NOTE, sex="M")
    expect(page.locator("#verdict")).to_have_class("verdict v-error")
    expect(page.locator("#verdict-title")).to_have_text(
        "Review failed: LLM extraction failed: the LLM endpoint could not be reached"
    )
    expect(page.locator("#queries")).to_contain_text("No query")
    assert "Query the surgeon" not in page.inner_text("#results")
    assert "sk-never-in-the-browser" not in page.content()
    page.screenshot(path=str(artifacts / "failed-1280.png"))


def test_usable_at_800_px(page: Page, artifacts: Path) -> None:
    page.set_viewport_size({"width": 800, "height": 900})
    review(page, NOTE, sex="M")
    expect(page.locator("#verdict-title")).to_contain_text("Supported")
    assert page.evaluate("document.documentElement.scrollWidth") <= 800  # no sideways scrolling
    page.locator("#criterion-site .criterion-head").click()
    assert page.evaluate("document.activeElement.matches('#note-view mark.c-site')")
    page.screenshot(path=str(artifacts / "supported-800.png"), full_page=True)


def test_errors_are_shown_in_one_line(page: Page) -> None:
    page.click("#review-button")
    expect(page.locator("#form-error")).to_have_text("Paste a note or drop a file first.")
    review_button_error = page.locator("#form-error")
    page.fill("#note-input", NOTE)
    page.fill("#claimed", "banana")
    page.click("#review-button")
    expect(review_button_error).to_contain_text("claimed code 'banana'")
    page.set_input_files(
        "#file-input",
        files=[{"name": "scan.png", "mimeType": "image/png", "buffer": b"\x89PNG\r\n\x1a\n" + bytes(64)}],
    )
    expect(review_button_error).to_contain_text("scan.png: is a PNG image")
