"use strict";
(function () {
  const read = (id) => JSON.parse(document.getElementById(id).textContent);
  const rows = read("data-rows");
  const FINDINGS = read("data-findings");
  const VERDICTS = read("data-verdicts");
  const COLUMNS = read("data-columns");
  const PAGE = 100;
  const money = (d) => "$" + Math.round(d).toLocaleString("en-US");
  const el = (tag, attrs, text) => {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
    if (text !== undefined) node.textContent = text;
    return node;
  };

  // Columns of the table: key, heading, how to sort, how to draw a cell.
  const cols = [
    { key: "n", label: "Rank", sort: (r) => r.n, cell: (r) => el("td", { class: "num" }, r.n) },
    { key: "id", label: "Note", sort: (r) => r.id, cell: (r) => el("td", { class: "id" }, r.id) },
    {
      key: "f", label: "Finding", sort: (r) => FINDINGS[r.f].label,
      cell: (r) => {
        const td = el("td");
        r.fs.forEach((k, i) => {
          if (i) td.append(" ");
          td.append(el("span", { class: "badge k-" + k, "data-kind": k }, FINDINGS[k].label));
        });
        return td;
      },
    },
    { key: "r", label: "Audit risk", sort: (r) => r.ro, cell: (r) => { const td = el("td"); td.append(el("span", { class: "risk r-" + r.r }, r.r)); return td; } },
    { key: "d", label: "At stake", sort: (r) => r.d, cell: (r) => el("td", { class: "num" }, r.d ? money(r.d) : "\u2013") },
    { key: "v", label: "Verdict on 11004", sort: (r) => r.v, cell: (r) => el("td", {}, VERDICTS[r.v] || r.v) },
    { key: "cc", label: "Claimed", sort: (r) => r.cc, cell: (r) => el("td", { class: "codes" }, r.cc || "\u2013") },
    { key: "rc", label: "Documentation supports", sort: (r) => r.rc, cell: (r) => el("td", { class: "codes" }, r.rc || "\u2013") },
    { key: "why", label: "Why", sort: (r) => r.why, cell: (r) => el("td", { class: "why" }, r.why) },
    { key: "dos", label: "Date of service", sort: (r) => r.dos, cell: (r) => el("td", {}, r.dos) },
  ];
  for (const c of COLUMNS) {
    cols.push({ key: "col:" + c, label: c, sort: (r) => r.col[c] || "", cell: (r) => el("td", {}, r.col[c] || "") });
  }

  const state = { finding: "", risk: "", verdict: "", search: "", sortKey: "n", sortDir: 1, page: 0 };
  const $ = (id) => document.getElementById(id);

  function haystack(r) {
    return [r.id, r.cc, r.rc, r.why, r.dos, ...Object.values(r.col)].join(" ").toLowerCase();
  }
  rows.forEach((r) => { r._text = haystack(r); });

  function filtered() {
    const q = state.search.trim().toLowerCase();
    const out = rows.filter((r) =>
      (!state.finding || r.fs.includes(state.finding)) &&
      (!state.risk || r.r === state.risk) &&
      (!state.verdict || r.v === state.verdict) &&
      (!q || r._text.includes(q)));
    const col = cols.find((c) => c.key === state.sortKey) || cols[0];
    out.sort((a, b) => {
      const x = col.sort(a), y = col.sort(b);
      const cmp = typeof x === "number" && typeof y === "number" ? x - y : String(x).localeCompare(String(y), undefined, { numeric: true });
      return cmp * state.sortDir || a.n - b.n;
    });
    return out;
  }

  function drawHead() {
    const head = $("notes-head");
    head.replaceChildren();
    for (const c of cols) {
      const th = el("th", { scope: "col", "data-key": c.key, tabindex: "0" }, c.label);
      if (c.key === state.sortKey) th.setAttribute("aria-sort", state.sortDir > 0 ? "ascending" : "descending");
      const go = () => {
        if (state.sortKey === c.key) state.sortDir = -state.sortDir;
        else { state.sortKey = c.key; state.sortDir = (c.key === "d" || c.key === "r") ? -1 : 1; }
        state.page = 0;
        draw();
      };
      th.addEventListener("click", go);
      th.addEventListener("keydown", (e) => { if (e.key === "Enter") go(); });
      head.append(th);
    }
  }

  function draw() {
    drawHead();
    const list = filtered();
    const pages = Math.max(1, Math.ceil(list.length / PAGE));
    state.page = Math.min(state.page, pages - 1);
    const body = $("notes-body");
    const frag = document.createDocumentFragment();
    for (const r of list.slice(state.page * PAGE, (state.page + 1) * PAGE)) {
      const tr = el("tr", { "data-id": r.id, "data-finding": r.f, tabindex: "0" });
      for (const c of cols) tr.append(c.cell(r));
      tr.addEventListener("click", () => open(r));
      tr.addEventListener("keydown", (e) => { if (e.key === "Enter") open(r); });
      frag.append(tr);
    }
    body.replaceChildren(frag);
    const total = list.reduce((s, r) => s + r.d, 0);
    $("shown").textContent = `${list.length.toLocaleString("en-US")} of ${rows.length.toLocaleString("en-US")} notes shown, ${money(total)} at stake`;
    const pager = $("pager");
    pager.replaceChildren();
    if (pages > 1) {
      const prev = el("button", { type: "button" }, "\u2039 Previous");
      const next = el("button", { type: "button" }, "Next \u203A");
      prev.disabled = state.page === 0;
      next.disabled = state.page >= pages - 1;
      prev.addEventListener("click", () => { state.page--; draw(); });
      next.addEventListener("click", () => { state.page++; draw(); });
      pager.append(prev, el("span", {}, `page ${state.page + 1} of ${pages}`), next);
    }
  }

  // The single-note pages: deflated blocks, inflated in the browser when a note is opened.
  const blocks = new Map();
  async function page(r) {
    if (r.b < 0) return null;
    if (!blocks.has(r.b)) {
      const text = document.getElementById("block-" + r.b).textContent.trim();
      const bytes = Uint8Array.from(atob(text), (ch) => ch.charCodeAt(0));
      const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("deflate-raw"));
      blocks.set(r.b, JSON.parse(await new Response(stream).text()));
    }
    return blocks.get(r.b)[r.s];
  }

  async function open(r) {
    $("detail-title").textContent = `Note ${r.id}` + (r.dos ? ` \u00b7 ${r.dos}` : "");
    const side = $("detail-findings");
    side.replaceChildren();
    for (const f of r.all) {
      const box = el("div", { class: "finding" });
      box.append(el("span", { class: "badge k-" + f.k }, FINDINGS[f.k].label));
      if (f.d) box.append(" ", el("strong", {}, money(f.d)));
      box.append(el("p", {}, f.why));
      box.append(el("p", { class: "fine" }, FINDINGS[f.k].explain));
      side.append(box);
    }
    const codes = el("p", { class: "fine" });
    codes.textContent = `Claimed: ${r.cc || "none given"}. Documentation supports: ${r.rc || "no billable code"}.`;
    side.append(codes);
    $("detail-query").hidden = !r.q;
    $("query-text").value = r.q || "";
    $("copied").textContent = "";
    const frame = $("detail-frame");
    frame.srcdoc = "<p style='font:14px system-ui;padding:16px'>Opening the review\u2026</p>";
    const dialog = $("detail");
    if (!dialog.open) dialog.showModal();
    try {
      const html = await page(r);
      frame.srcdoc = html || "<p style='font:14px system-ui;padding:16px'>No review page for this note: it could not be reviewed.</p>";
    } catch (err) {
      frame.srcdoc = "<p style='font:14px system-ui;padding:16px'>This browser cannot open the embedded review (it needs DecompressionStream).</p>";
    }
  }

  async function copyQuery() {
    const text = $("query-text").value;
    try {
      await navigator.clipboard.writeText(text);
    } catch (err) {
      $("query-text").select();
      document.execCommand("copy");
    }
    $("copied").textContent = "Copied.";
  }

  function setFinding(kind) {
    state.finding = kind;
    $("f-finding").value = kind;
    state.page = 0;
    draw();
    $("notes").scrollIntoView({ behavior: "smooth", block: "start" });
  }

  $("f-finding").addEventListener("change", (e) => { state.finding = e.target.value; state.page = 0; draw(); });
  $("f-risk").addEventListener("change", (e) => { state.risk = e.target.value; state.page = 0; draw(); });
  $("f-verdict").addEventListener("change", (e) => { state.verdict = e.target.value; state.page = 0; draw(); });
  $("f-search").addEventListener("input", (e) => { state.search = e.target.value; state.page = 0; draw(); });
  $("f-clear").addEventListener("click", () => {
    Object.assign(state, { finding: "", risk: "", verdict: "", search: "", page: 0 });
    for (const id of ["f-finding", "f-risk", "f-verdict", "f-search"]) $(id).value = "";
    draw();
  });
  document.querySelectorAll(".filter-link, .chart .bar").forEach((node) =>
    node.addEventListener("click", () => setFinding(node.getAttribute("data-kind"))));
  $("detail-close").addEventListener("click", () => $("detail").close());
  $("copy-query").addEventListener("click", copyQuery);
  draw();
})();
