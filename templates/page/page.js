/* The infographic's behaviour: navigation, toggles, the pairs table, presentation mode, print, charts.
   No network: Plotly arrives gzip-compressed inside the page and is unpacked here. */
(() => {
  "use strict";
  const root = document.documentElement;
  const $ = (selector, scope = document) => scope.querySelector(selector);
  const $$ = (selector, scope = document) => Array.from(scope.querySelectorAll(selector));
  const live = $("#live");
  const say = (text) => { if (live) { live.textContent = ""; setTimeout(() => { live.textContent = text; }, 30); } };
  const typing = (el) => el && (el.isContentEditable || /^(INPUT|SELECT|TEXTAREA)$/.test(el.tagName));
  const sections = $$("main > .section");

  /* ---------- sticky navigation: highlight the section being read */
  const navLinks = new Map($$(".section-nav a").map((a) => [a.dataset.nav, a]));
  const nav = $(".section-nav");
  let navCurrent = null;
  function sectionInView() {
    const line = window.innerHeight * 0.3;
    let found = sections[0];
    for (const section of sections) {
      if (section.getBoundingClientRect().top <= line) found = section; else break;
    }
    return found;
  }
  function updateNav() {
    const section = sectionInView();
    if (!section || section.id === navCurrent) return;
    navCurrent = section.id;
    for (const [id, link] of navLinks) {
      if (id === navCurrent) link.setAttribute("aria-current", "true"); else link.removeAttribute("aria-current");
    }
    const link = navLinks.get(navCurrent);
    if (link && nav) {
      const left = link.offsetLeft - (nav.clientWidth - link.offsetWidth) / 2;
      nav.scrollLeft = Math.max(0, left);
    }
  }
  let navQueued = false;
  window.addEventListener("scroll", () => {
    if (navQueued) return;
    navQueued = true;
    requestAnimationFrame(() => { navQueued = false; updateNav(); });
  }, { passive: true });
  updateNav();

  /* ---------- code: short / whole function, copy */
  for (const button of $$(".code-toggle")) {
    button.addEventListener("click", () => {
      const open = button.getAttribute("aria-expanded") !== "true";
      document.getElementById(button.getAttribute("aria-controls")).classList.toggle("is-folded", !open);
      button.setAttribute("aria-expanded", String(open));
      button.textContent = open ? button.dataset.less : button.dataset.more;
    });
  }
  function codeText(id) {
    const clone = document.getElementById(id).cloneNode(true);
    for (const n of $$(".linenos", clone)) n.remove();
    return clone.textContent.replace(/\n$/, "");
  }
  async function copy(text) {
    try {
      await navigator.clipboard.writeText(text);
      return true;
    } catch (error) {
      const area = document.createElement("textarea");
      area.value = text;
      area.setAttribute("readonly", "");
      area.className = "sr-only";
      document.body.appendChild(area);
      area.select();
      let ok = false;
      try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
      area.remove();
      return ok;
    }
  }
  for (const button of $$(".code-copy")) {
    button.addEventListener("click", async () => {
      const ok = await copy(codeText(button.dataset.source));
      button.textContent = ok ? "Copied" : "Select and copy";
      say(ok ? "Code copied to the clipboard" : "Copying is blocked here; select the code to copy it");
      setTimeout(() => { button.textContent = "Copy"; }, 1600);
    });
  }

  /* ---------- tabs (samples at checkpoints) */
  for (const tabs of $$("[data-tabs]")) {
    const list = $$("[role=tab]", tabs);
    const select = (tab, focus) => {
      for (const t of list) {
        const on = t === tab;
        t.setAttribute("aria-selected", String(on));
        t.tabIndex = on ? 0 : -1;
        document.getElementById(t.getAttribute("aria-controls")).hidden = !on;
      }
      if (focus) tab.focus();
    };
    list.forEach((tab, i) => {
      tab.addEventListener("click", () => select(tab, false));
      tab.addEventListener("keydown", (e) => {
        const to = { ArrowRight: i + 1, ArrowLeft: i - 1, Home: 0, End: list.length - 1 }[e.key];
        if (to === undefined) return;
        e.preventDefault();
        select(list[(to + list.length) % list.length], true);
      });
    });
  }

  /* ---------- the preference pairs: sort, filter, expand */
  const table = $("#pairs-table");
  if (table) {
    const bodies = Array.from(table.tBodies);
    const count = $("#pair-count");
    const category = $("#pair-category");
    const search = $("#pair-search");
    const wrongOnly = $("#pair-wrong");
    const rankKey = (key) => "rank" + key.charAt(0).toUpperCase() + key.slice(1);
    const state = { key: "index", dir: 1 };
    function sortBy(key) {
      state.dir = state.key === key ? -state.dir : 1;
      state.key = key;
      const k = rankKey(key);
      bodies.sort((a, b) => (Number(a.dataset[k]) - Number(b.dataset[k])) * state.dir);
      for (const body of bodies) table.appendChild(body);
      for (const th of $$("th[aria-sort]", table)) {
        const mine = $("button.sort", th).dataset.sort === key;
        th.setAttribute("aria-sort", mine ? (state.dir > 0 ? "ascending" : "descending") : "none");
      }
      say("Sorted by " + $(`button.sort[data-sort="${key}"]`, table).textContent + (state.dir > 0 ? ", ascending" : ", descending"));
    }
    function filter() {
      const cat = category.value;
      const words = search.value.trim().toLowerCase().split(/\s+/).filter(Boolean);
      let shown = 0;
      for (const body of bodies) {
        const text = body.textContent.toLowerCase();
        const show = (!cat || body.dataset.category === cat) && words.every((w) => text.includes(w)) &&
          (!wrongOnly.checked || body.dataset.heldoutCorrect === "no");
        body.hidden = !show;
        if (show) shown += 1;
      }
      count.textContent = shown === bodies.length ? `Showing all ${bodies.length} pairs` : `Showing ${shown} of ${bodies.length} pairs`;
      empty.hidden = shown > 0;
    }
    const empty = $("#pair-empty");
    $("#pair-clear").addEventListener("click", () => {
      category.value = "";
      search.value = "";
      wrongOnly.checked = false;
      filter();
      search.focus();
    });
    for (const button of $$("button.sort", table)) button.addEventListener("click", () => sortBy(button.dataset.sort));
    category.addEventListener("change", filter);
    search.addEventListener("input", filter);
    wrongOnly.addEventListener("change", filter);
    for (const button of $$(".pair-expand", table)) {
      button.addEventListener("click", () => {
        const row = document.getElementById(button.getAttribute("aria-controls"));
        const open = row.hidden;
        row.hidden = !open;
        button.setAttribute("aria-expanded", String(open));
        button.firstChild.textContent = open ? "Hide" : "Answers";
      });
    }
  }

  /* ---------- charts: unpack Plotly, then draw every chart */
  const chartDivs = $$(".chart[data-chart]");
  let plotly = null;
  function resizeCharts(scope) {
    if (!plotly) return;
    for (const div of $$(".chart.drawn", scope || document)) {
      if (div.offsetParent !== null) plotly.Plots.resize(div);
    }
  }
  function base64Bytes(text) {
    if (Uint8Array.fromBase64) return Uint8Array.fromBase64(text);
    const binary = atob(text);
    const bytes = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i += 1) bytes[i] = binary.charCodeAt(i);
    return bytes;
  }
  async function loadPlotly() {
    const packed = $("#plotly-gz");
    const bytes = base64Bytes(packed.textContent.trim());
    performance.mark("plotly-decoded");
    const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
    const code = await new Response(stream).text();
    performance.mark("plotly-unpacked");
    const script = document.createElement("script");
    script.textContent = code;
    document.head.appendChild(script);
    if (!window.Plotly) throw new Error("Plotly did not load");
    return window.Plotly;
  }
  const narrow = () => window.matchMedia("(max-width: 760px)").matches;
  const yieldToBrowser = () => new Promise((resolve) => setTimeout(resolve, 0));
  async function drawCharts() {
    if (!chartDivs.length) return;
    root.dataset.charts = "loading";
    try {
      const spec = JSON.parse($("#chart-data").textContent);
      plotly = await loadPlotly();
      performance.mark("plotly-loaded");
      root.dataset.charts = "drawing";
      for (const div of chartDivs) {
        const fig = spec.figures[div.dataset.chart];
        const layout = Object.assign({}, fig.layout, { template: spec.template });
        if (narrow()) layout.font = { size: 12 };
        await plotly.newPlot(div, fig.data, layout, spec.config);
        div.classList.add("drawn");
        await yieldToBrowser();
      }
      root.dataset.charts = "ready";
      root.dataset.chartsReady = "true";
      root.dataset.chartsReadyAt = String(Math.round(performance.now()));
      performance.mark("charts-ready");
    } catch (error) {
      root.dataset.charts = "failed";
      root.classList.add("charts-failed");
      for (const d of $$(".data-toggle")) d.open = true;
      console.warn("Charts could not be drawn; the data tables show the same numbers.", error);
    }
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", () => requestAnimationFrame(drawCharts));
  else requestAnimationFrame(() => setTimeout(drawCharts, 0));

  /* ---------- presentation mode: one section per screen; a long one is shown a screenful at a time */
  const bar = $("#present-bar");
  const fill = $("#present-fill");
  const status = $("#present-status");
  const presentButton = $("#present-button");
  let slide = 0;
  const presenting = () => root.classList.contains("presenting");
  function titleOf(section) {
    const h = $("h2", section) || $("h1", section);
    return h ? h.textContent.trim() : section.id;
  }
  /* Where the screenfuls of a section start (scroll offsets): each sub-heading, and no gap
     longer than 85% of the screen, so a long part is never skipped. */
  function stopsOf(section) {
    const last = section.scrollHeight - section.clientHeight;
    if (last <= 8) return [0];
    const top = section.getBoundingClientRect().top - section.scrollTop;
    const headings = $$(".sub", section).map((h) => Math.round(h.getBoundingClientRect().top - top - 24));
    const stops = [0];
    for (const target of [...headings.filter((y) => y > 0 && y < last), last]) {
      while (target - stops[stops.length - 1] > section.clientHeight * 0.85) {
        stops.push(Math.round(stops[stops.length - 1] + section.clientHeight * 0.85));
      }
      if (target - stops[stops.length - 1] > 40) stops.push(target);
    }
    if (stops[stops.length - 1] !== last) stops[stops.length - 1] = last;
    return stops;
  }
  const partOf = (stops, y) => stops.reduce((found, stop, i) => (stop <= y + 4 ? i : found), 0);
  function describe() {
    const section = sections[slide];
    const stops = stopsOf(section);
    const part = partOf(stops, section.scrollTop);
    fill.style.width = `${((slide + 1) / sections.length) * 100}%`;
    status.textContent = `${slide + 1} / ${sections.length} · ${titleOf(section)}` +
      (stops.length > 1 ? ` · part ${part + 1} of ${stops.length}` : "");
  }
  function show(index, atEnd = false) {
    slide = Math.max(0, Math.min(sections.length - 1, index));
    sections.forEach((s, i) => s.classList.toggle("is-current", i === slide));
    const section = sections[slide];
    section.scrollTop = atEnd ? section.scrollHeight : 0;
    section.focus({ preventScroll: true });
    resizeCharts(section);
    describe();
  }
  let partQueued = false;
  for (const section of sections) {
    section.addEventListener("scroll", () => {          // scrolling by hand moves the "part" too
      if (!presenting() || partQueued) return;
      partQueued = true;
      requestAnimationFrame(() => { partQueued = false; describe(); });
    }, { passive: true });
  }
  /* Next or previous screenful: within the section while it has more, then the next section. */
  function step(direction) {
    const section = sections[slide];
    const stops = stopsOf(section);
    const part = partOf(stops, section.scrollTop) + direction;
    if (part >= 0 && part < stops.length) {
      section.scrollTo({ top: stops[part], behavior: "instant" });
      describe();
    } else if (slide + direction >= 0 && slide + direction < sections.length) {
      show(slide + direction, direction < 0);
    }
  }
  function enter() {
    const current = sections.indexOf(sectionInView());
    root.classList.add("presenting");
    bar.hidden = false;
    presentButton.setAttribute("aria-pressed", "true");
    for (const s of sections) s.tabIndex = -1;
    show(current < 0 ? 0 : current);
  }
  function leave() {
    const section = sections[slide];
    root.classList.remove("presenting");
    bar.hidden = true;
    presentButton.setAttribute("aria-pressed", "false");
    for (const s of sections) { s.classList.remove("is-current"); s.removeAttribute("tabindex"); }
    if (document.fullscreenElement && document.exitFullscreen) document.exitFullscreen().catch(() => {});
    section.scrollIntoView({ behavior: "instant", block: "start" });
    resizeCharts();
    presentButton.focus({ preventScroll: true });
  }
  function toggleFullscreen() {
    if (document.fullscreenElement) document.exitFullscreen().catch(() => {});
    else if (root.requestFullscreen) root.requestFullscreen().catch(() => {});
  }
  presentButton.addEventListener("click", () => (presenting() ? leave() : enter()));
  $("#present-exit").addEventListener("click", leave);
  document.addEventListener("fullscreenchange", () => resizeCharts());
  document.addEventListener("keydown", (e) => {
    if (e.altKey || e.ctrlKey || e.metaKey || typing(e.target)) return;
    const key = e.key;
    if (key === "p" || key === "P") { e.preventDefault(); presenting() ? leave() : enter(); return; }
    if (!presenting()) return;
    const onControl = e.target.closest && e.target.closest("button, summary, a, [role=tab]");
    if (key === "ArrowRight" || key === "PageDown" || (key === " " && !onControl)) { e.preventDefault(); step(1); }
    else if (key === "ArrowLeft" || key === "PageUp") { e.preventDefault(); step(-1); }
    else if (key === "n" || key === "N") { e.preventDefault(); show(slide + 1); }
    else if (key === "Home" && !onControl) { e.preventDefault(); show(0); }
    else if (key === "End" && !onControl) { e.preventDefault(); show(sections.length - 1); }
    else if (key === "Escape") { e.preventDefault(); leave(); }
    else if (key === "f" || key === "F") { e.preventDefault(); toggleFullscreen(); }
  });

  /* ---------- print: everything expanded, charts at paper width, or the handout alone */
  let closed = [];
  window.addEventListener("beforeprint", () => {
    closed = $$("details:not([open])");
    for (const d of closed) d.open = true;
    if (plotly) for (const div of $$(".chart.drawn")) plotly.relayout(div, { width: 640 });
  });
  window.addEventListener("afterprint", () => {
    for (const d of closed) d.open = false;
    closed = [];
    root.classList.remove("print-handout");
    if (plotly) for (const div of $$(".chart.drawn")) plotly.relayout(div, { width: null, autosize: true });
  });
  const printHandout = () => { root.classList.add("print-handout"); window.print(); };
  for (const id of ["print-handout", "print-handout-2"]) {
    const button = document.getElementById(id);
    if (button) button.addEventListener("click", printHandout);
  }
})();
