// The coder's page: paste or drop a note, review it, see the verdict and its evidence.
// No framework and no external resources. Note text is only ever put in the page through
// textContent (never innerHTML), and it is never stored in the browser.
"use strict";

(() => {
  const CRITERIA = {
    necrotizing_infection: "Necrotizing soft tissue infection",
    site: "Site: external genitalia / perineum",
    excisional: "Excisional technique",
    depth: "Depth of tissue removed",
  };
  const CRITERION_ORDER = Object.keys(CRITERIA);
  const STATUS = { met: "Met", not_met: "Not met", unclear: "Unclear" };
  const ROLE = { primary: "Primary", "add-on": "Add-on", additional: "Additional", consider: "Consider" };
  const SEVERITY = { error: "Will be denied", warning: "Needs attention", info: "Note" };
  const EXTRACTORS = {
    rules: "Rules (fast, offline)",
    llm: "LLM (the server's model)",
    hybrid: "Hybrid (rules + LLM)",
  };
  const EXTRA = {
    query: "Physician query indicator",
    flag: "Flag evidence",
    icd10: "ICD-10-CM evidence",
  };

  const $ = (id) => document.getElementById(id);
  const form = $("review-form");
  const noteInput = $("note-input");
  const results = $("results");
  let limits = { max_note_chars: 1000000, max_file_bytes: 4000000 };
  let current = null; // { review, text, raw }
  let busy = false;

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (key === "class") node.className = value;
      else if (key === "text") node.textContent = value;
      else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value === true ? "" : String(value));
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  function announce(message) {
    const live = $("announce");
    live.textContent = "";
    window.setTimeout(() => { live.textContent = message; }, 50);
  }

  function showFormError(message) {
    const box = $("form-error");
    box.textContent = message;
    box.hidden = !message;
  }

  async function errorMessage(response) {
    try {
      const body = await response.json();
      if (body && typeof body.error === "string") return body.error;
    } catch (_) { /* not JSON */ }
    return `the server answered ${response.status}`;
  }

  // ---- server status -------------------------------------------------------------------
  async function loadHealth() {
    try {
      const response = await fetch("api/health", { cache: "no-store" });
      if (!response.ok) throw new Error(await errorMessage(response));
      const health = await response.json();
      limits = health;
      $("version").textContent = `${health.version} · ruleset ${health.ruleset_version}`;
      $("server-status").textContent = "Ready";
      const select = $("extractor");
      if (health.extractors.length > 1) {
        select.replaceChildren(...health.extractors.map((name) =>
          el("option", { value: name, text: EXTRACTORS[name] || name })));
        $("extractor-field").hidden = false;
      }
    } catch (err) {
      $("server-status").textContent = `The server is not answering (${err.message}).`;
    }
  }

  // ---- input -----------------------------------------------------------------------------
  function claimedCodes() {
    return $("claimed").value.split(/[,;\s]+/).map((c) => c.trim()).filter(Boolean);
  }

  function setBusy(on, label) {
    busy = on;
    const button = $("review-button");
    button.disabled = on;
    button.textContent = on ? label : "Review";
    results.setAttribute("aria-busy", on ? "true" : "false");
  }

  async function runReview() {
    if (busy) return;
    const text = noteInput.value;
    showFormError("");
    if (!text.trim()) {
      showFormError("Paste a note or drop a file first.");
      noteInput.focus();
      return;
    }
    if ([...text].length > limits.max_note_chars) {
      showFormError(`The note is longer than ${limits.max_note_chars.toLocaleString()} characters; is this one note?`);
      return;
    }
    const body = { text, claimed_codes: claimedCodes() };
    if ($("sex").value) body.sex = $("sex").value;
    if (!$("extractor-field").hidden) body.extractor = $("extractor").value;
    setBusy(true, "Reviewing…");
    try {
      const response = await fetch("api/review", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(body),
      });
      if (!response.ok) {
        showFormError(await errorMessage(response));
        return;
      }
      const raw = await response.text();
      current = { review: JSON.parse(raw), text, raw };
      render(current.review, text);
    } catch (err) {
      showFormError(`The review could not be sent: ${err.message}`);
    } finally {
      setBusy(false);
    }
  }

  async function readFile(file) {
    if (!file || busy) return;
    showFormError("");
    const status = $("file-status");
    if (file.size > limits.max_file_bytes) {
      showFormError(`${file.name}: the file is over ${(limits.max_file_bytes / 1e6).toFixed(1)} MB.`);
      return;
    }
    setBusy(true, "Reading…");
    let data = null;
    try {
      const upload = new FormData();
      upload.append("file", file, file.name);
      const response = await fetch("api/note-file", { method: "POST", body: upload });
      if (!response.ok) {
        showFormError(await errorMessage(response));
        return;
      }
      data = await response.json();
    } catch (err) {
      showFormError(`The file could not be sent: ${err.message}`);
      return;
    } finally {
      setBusy(false);
    }
    noteInput.value = data.text;
    if (data.sex && !$("sex").value) $("sex").value = data.sex;
    const taken = [];
    if (data.sex) taken.push(`sex ${data.sex}`);
    if (data.date_of_service) taken.push(`date of service ${data.date_of_service}`);
    let line = `Read ${data.name} (${data.format_name})`;
    if (taken.length) line += `; from the message: ${taken.join(", ")}`;
    status.textContent = line + ".";
    status.hidden = false;
    await runReview();
  }

  // ---- rendering -------------------------------------------------------------------------
  function verdictWords(review) {
    const d = review.decision;
    if (review.error) {
      return {
        cls: "v-error",
        title: `Review failed: ${review.error}`,
        next: "A person must read this note. Nothing here is a question for the surgeon.",
      };
    }
    const codes = (roles) => d.recommended_codes.filter((c) => roles.includes(c.role)).map(codeLabel);
    if (d.verdict === "supported") {
      const bill = codes(["primary", "add-on", "additional"]);
      return { cls: "v-supported", title: "Supported: the note supports 11004", next: bill.length ? `Bill ${bill.join(", ")}.` : "" };
    }
    if (d.verdict === "not_supported") {
      const instead = codes(["primary", "add-on", "additional"]);
      const consider = codes(["consider"]);
      const parts = [];
      if (instead.length) parts.push(`Bill instead: ${instead.join(", ")}.`);
      if (consider.length) parts.push(`Consider: ${consider.join(", ")}.`);
      return { cls: "v-not_supported", title: "Not supported: do not bill 11004", next: parts.join(" ") };
    }
    return {
      cls: "v-query",
      title: "Query the surgeon before billing 11004",
      next: d.queries.length ? "Send the physician query below; the documentation is unclear." : "The documentation is unclear.",
    };
  }

  function codeLabel(c) {
    let label = c.code;
    if (c.modifiers.length) label += "-" + c.modifiers.join("-");
    if (c.units > 1) label += ` ×${c.units}`;
    return label;
  }

  function render(review, text) {
    const d = review.decision;
    const words = verdictWords(review);
    const verdict = $("verdict");
    verdict.className = `verdict ${words.cls}`;
    $("verdict-title").textContent = words.title;
    $("verdict-summary").textContent = review.error ? "" : d.summary;
    $("verdict-next").textContent = words.next;

    const view = buildNote(d, text);
    renderLegend(d);
    renderCriteria(d, view);
    renderCodes(d);
    renderIcd(d, view);
    renderEdits(d);
    renderQueries(review, view);
    renderFlags(review, view);

    results.hidden = false;
    verdict.focus();
    verdict.scrollIntoView({ block: "start" });
    announce(`Review complete. ${words.title}.`);
  }

  // The note as text nodes and <mark>s, built from evidence offsets (Python counts code points;
  // JavaScript strings count UTF-16 units, so slicing goes through the code-point array).
  function buildNote(d, text) {
    const chars = Array.from(text);
    const n = chars.length;
    const spans = [];
    const usable = (ev) => ev.alignment !== "unaligned" && ev.start >= 0 && ev.start < ev.end && ev.end <= n;
    const add = (items, label, title) => {
      for (const ev of items || []) if (usable(ev)) spans.push({ start: ev.start, end: ev.end, label, title });
    };
    for (const c of d.criteria) add(c.evidence, c.id, `${CRITERIA[c.id] || c.id}: ${STATUS[c.status] || c.status}`);
    for (const q of d.queries) add(q.indicators, "query", EXTRA.query);
    for (const f of d.flags) add(f.evidence, "flag", `Flag: ${f.kind.replaceAll("_", " ")}`);
    for (const i of d.icd10) add(i.evidence, "icd10", `ICD-10-CM ${i.code}`);

    const cuts = [...new Set([0, n, ...spans.flatMap((s) => [s.start, s.end])])].sort((a, b) => a - b);
    const pre = $("note-view");
    pre.replaceChildren();
    const markAt = new Map(); // code-point offset -> <mark> starting there
    const marksBy = new Map(); // criterion id -> its <mark>s in note order
    for (let i = 0; i + 1 < cuts.length; i++) {
      const start = cuts[i];
      const end = cuts[i + 1];
      const piece = chars.slice(start, end).join("");
      const covering = spans.filter((s) => s.start <= start && end <= s.end);
      if (!covering.length) {
        pre.append(document.createTextNode(piece));
        continue;
      }
      const labels = [...new Set(covering.map((s) => s.label))];
      const criteria = CRITERION_ORDER.filter((c) => labels.includes(c));
      const extras = Object.keys(EXTRA).filter((x) => labels.includes(x));
      const classes = ["ev", ...criteria.map((c) => `c-${c}`), ...extras.map((x) => `x-${x}`)];
      if (criteria.length > 1) classes.push("multi");
      const mark = el("mark", {
        class: classes.join(" "),
        tabindex: "-1",
        title: [...new Set(covering.map((s) => s.title))].join("; "),
        "data-criteria": criteria.join(" "),
      }, piece);
      pre.append(mark);
      if (!markAt.has(start)) markAt.set(start, mark);
      for (const c of criteria) {
        if (!marksBy.has(c)) marksBy.set(c, []);
        marksBy.get(c).push(mark);
      }
    }
    return { markAt, marksBy, usable };
  }

  function jumpTo(mark, criterion) {
    if (!mark) return;
    for (const m of document.querySelectorAll("mark.active")) m.classList.remove("active");
    if (criterion) {
      for (const m of document.querySelectorAll(`mark.c-${criterion}`)) m.classList.add("active");
    }
    mark.scrollIntoView({ block: "center", behavior: "smooth" });
    mark.classList.remove("flash");
    void mark.offsetWidth; // restart the animation
    mark.classList.add("flash");
    mark.focus({ preventScroll: true });
  }

  function renderLegend(d) {
    const present = new Set(d.criteria.filter((c) => c.evidence.length).map((c) => c.id));
    const items = CRITERION_ORDER.filter((c) => present.has(c)).map((c) =>
      el("li", {}, el("span", { class: `sample c-${c}` }, CRITERIA[c])));
    for (const [kind, label] of Object.entries(EXTRA)) {
      if (document.querySelector(`#note-view mark.x-${kind}`)) {
        items.push(el("li", {}, el("span", { class: `sample x-${kind}` }, label)));
      }
    }
    $("legend").replaceChildren(...items);
  }

  function evidenceList(items, view, criterion) {
    if (!items.length) return el("p", { class: "muted small", text: "No evidence quoted." });
    const seen = new Set();
    const list = el("ul", { class: "evidence" });
    for (const ev of items) {
      const key = `${ev.quote}|${ev.start}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const where = ev.section ? ev.section.replaceAll("_", " ") : "";
      if (view.usable(ev)) {
        const fuzzy = ev.alignment === "exact" ? "" : `, ${ev.alignment} match`;
        list.append(el("li", {},
          el("button", {
            type: "button",
            class: "quote",
            onclick: () => jumpTo(view.markAt.get(ev.start), criterion),
          }, `“${ev.quote}”`),
          el("span", { class: "where" }, ` ${where}${fuzzy}`)));
      } else {
        list.append(el("li", { class: "unaligned" },
          el("span", { class: "quote" }, `“${ev.quote}”`),
          el("span", { class: "where" }, ` ${where}: not found in the note`)));
      }
    }
    return list;
  }

  function renderCriteria(d, view) {
    const list = $("criteria");
    list.replaceChildren();
    for (const c of d.criteria) {
      const marks = view.marksBy.get(c.id) || [];
      const head = el("button", {
        type: "button",
        class: "criterion-head",
        "aria-describedby": `reason-${c.id}`,
        disabled: marks.length ? null : true,
        title: marks.length ? "Show this criterion's evidence in the note" : "No evidence in the note",
        onclick: () => jumpTo(marks[0], c.id),
      },
      el("span", { class: `swatch c-${c.id}`, "aria-hidden": "true" }),
      el("span", { class: "name" }, CRITERIA[c.id] || c.id),
      el("span", { class: `badge s-${c.status}` }, STATUS[c.status] || c.status));
      list.append(el("li", { class: `criterion c-${c.id}`, id: `criterion-${c.id}` },
        head,
        el("p", { class: "reason", id: `reason-${c.id}` }, c.reason),
        evidenceList(c.evidence, view, c.id)));
    }
  }

  function table(headers, rows) {
    return el("table", {},
      el("thead", {}, el("tr", {}, headers.map((h) => el("th", { scope: "col" }, h)))),
      el("tbody", {}, rows));
  }

  function none(box, text) {
    box.replaceChildren(el("p", { class: "muted", text }));
  }

  function renderCodes(d) {
    const box = $("codes");
    if (!d.recommended_codes.length) return none(box, "No code to recommend.");
    box.replaceChildren(table(["Code", "Units", "Modifiers", "Role", "What and why"],
      d.recommended_codes.map((c) => el("tr", { class: `role-${c.role}` },
        el("td", { class: "code" }, c.code),
        el("td", { class: "num" }, String(c.units)),
        el("td", {}, c.modifiers.join(", ") || "–"),
        el("td", {}, el("span", { class: `badge r-${c.role}` }, ROLE[c.role] || c.role)),
        el("td", {}, el("div", {}, c.description), el("div", { class: "muted small" }, c.reason))))));
  }

  function renderIcd(d, view) {
    const box = $("icd10");
    if (!d.icd10.length) return none(box, "No ICD-10-CM suggestion.");
    box.replaceChildren(table(["Code", "Title", "Why"],
      d.icd10.map((i) => el("tr", {},
        el("td", { class: "code" }, i.code, i.billable ? null : el("div", { class: "muted small" }, "not billable")),
        el("td", {}, i.title),
        el("td", { class: "small" }, i.reason)))));
  }

  function renderEdits(d) {
    const box = $("edits");
    if (!d.edits.length) {
      return none(box, claimedCodes().length ? "No edit on the codes you entered." : "Enter the codes you intend to bill to check them.");
    }
    box.replaceChildren(el("ul", { class: "edits" }, d.edits.map((e) => el("li", { class: `edit sev-${e.severity}` },
      el("span", { class: `badge sev-${e.severity}` }, SEVERITY[e.severity] || e.severity),
      el("span", { class: "codes" }, e.codes.join(" + ")),
      el("p", {}, e.message)))));
  }

  function queryText(q) {
    return [q.question, "", ...q.options.map((o) => `☐ ${o}`)].join("\n");
  }

  async function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) {
      await navigator.clipboard.writeText(text);
      return;
    }
    const scratch = el("textarea", { class: "visually-hidden", "aria-hidden": "true" });
    scratch.value = text;
    document.body.append(scratch);
    scratch.select();
    document.execCommand("copy");
    scratch.remove();
  }

  function renderQueries(review, view) {
    const box = $("queries");
    const d = review.decision;
    if (review.error) return none(box, "No query: the review failed, so there is nothing to ask the surgeon.");
    if (!d.queries.length) return none(box, "No query needed.");
    box.replaceChildren(...d.queries.map((q, n) => {
      const button = el("button", { type: "button", class: "copy" }, "Copy query");
      button.addEventListener("click", async () => {
        try {
          await copyText(queryText(q));
          button.textContent = "Copied";
          announce("Query copied to the clipboard.");
        } catch (_) {
          button.textContent = "Copy failed: select the text";
        }
        window.setTimeout(() => { button.textContent = "Copy query"; }, 2000);
      });
      const topic = CRITERIA[q.topic] || q.topic.replaceAll("_", " ");
      return el("article", { class: "query", "aria-label": `Query ${n + 1}` },
        el("div", { class: "query-head" }, el("span", { class: "topic" }, topic), button),
        el("p", { class: "question" }, q.question),
        el("ul", { class: "options" }, q.options.map((o) => el("li", {}, o))),
        q.indicators.length ? el("div", { class: "small muted" }, "Why: ", evidenceList(q.indicators, view, null)) : null);
    }));
  }

  function renderFlags(review, view) {
    const items = [];
    for (const f of review.decision.flags) {
      items.push(el("li", {}, el("strong", {}, f.kind.replaceAll("_", " ") + ": "), f.message,
        f.evidence.length ? evidenceList(f.evidence, view, null) : null));
    }
    for (const w of review.warnings) items.push(el("li", { class: "warning" }, w));
    $("flags").replaceChildren(...items);
    $("flags-panel").hidden = !items.length;
  }

  // ---- downloads -------------------------------------------------------------------------
  function fileId(review) {
    return (review.note_id || "note").replace(/[^A-Za-z0-9._-]/g, "_").slice(0, 80);
  }

  function save(blob, name) {
    const url = URL.createObjectURL(blob);
    const link = el("a", { href: url, download: name, hidden: true });
    document.body.append(link);
    link.click();
    link.remove();
    window.setTimeout(() => URL.revokeObjectURL(url), 10000);
  }

  function downloadJson() {
    if (!current) return;
    const pretty = JSON.stringify(JSON.parse(current.raw), null, 2) + "\n";
    save(new Blob([pretty], { type: "application/json" }), `review-${fileId(current.review)}.json`);
  }

  async function downloadHtml() {
    if (!current) return;
    const button = $("download-html");
    button.disabled = true;
    try {
      const response = await fetch("api/report", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ text: current.text, review: current.review }),
      });
      if (!response.ok) {
        showFormError(await errorMessage(response));
        return;
      }
      save(await response.blob(), `review-${fileId(current.review)}.html`);
    } catch (err) {
      showFormError(`The report could not be made: ${err.message}`);
    } finally {
      button.disabled = false;
    }
  }

  // ---- wiring ----------------------------------------------------------------------------
  function wire() {
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      runReview();
    });
    form.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
        event.preventDefault();
        runReview();
      }
    });
    $("clear-button").addEventListener("click", () => {
      noteInput.value = "";
      $("claimed").value = "";
      $("sex").value = "";
      $("file-status").hidden = true;
      showFormError("");
      results.hidden = true;
      $("note-view").replaceChildren();
      current = null;
      noteInput.focus();
    });
    $("load-sample").addEventListener("click", async () => {
      const response = await fetch("static/sample-note.txt", { cache: "no-store" });
      noteInput.value = await response.text();
      $("file-status").hidden = true;
      noteInput.focus();
    });
    const fileInput = $("file-input");
    $("open-file").addEventListener("click", () => fileInput.click());
    fileInput.addEventListener("change", () => {
      const file = fileInput.files[0];
      fileInput.value = "";
      readFile(file);
    });
    const zone = $("dropzone");
    window.addEventListener("dragover", (event) => event.preventDefault());
    window.addEventListener("drop", (event) => event.preventDefault());
    zone.addEventListener("dragenter", () => zone.classList.add("dragging"));
    zone.addEventListener("dragleave", (event) => {
      if (!zone.contains(event.relatedTarget)) zone.classList.remove("dragging");
    });
    zone.addEventListener("drop", (event) => {
      event.preventDefault();
      zone.classList.remove("dragging");
      const file = event.dataTransfer && event.dataTransfer.files[0];
      if (file) readFile(file);
    });
    $("download-json").addEventListener("click", downloadJson);
    $("download-html").addEventListener("click", downloadHtml);
  }

  wire();
  loadHealth();
})();
