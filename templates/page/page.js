/* The infographic's behaviour: navigation, toggles, the pairs table, presentation mode, print, charts.
   No network: Plotly arrives gzip-compressed inside the page and is unpacked here. */
(() => {
  "use strict";
  const root = document.documentElement;
  const $ = (selector, scope = document) => scope.querySelector(selector);
  const $$ = (selector, scope = document) => Array.from(scope.querySelectorAll(selector));
  const live = $("#live");
  const say = (text) => { if (live) { live.textContent = ""; setTimeout(() => { live.textContent = text; }, 30); } };
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
      const start = link.getBoundingClientRect().left - nav.getBoundingClientRect().left + nav.scrollLeft;
      nav.scrollLeft = Math.max(0, start - (nav.clientWidth - link.offsetWidth) / 2);   // centred in the nav, never past its start
    }
  }
  let navQueued = false;
  window.addEventListener("scroll", () => {
    if (navQueued) return;
    navQueued = true;
    requestAnimationFrame(() => { navQueued = false; updateNav(); });
  }, { passive: true });
  updateNav();
  window.pageNav = { sectionInView };

  /* ---------- the pipeline's motion: only while it is on screen, and the button pauses or replays it */
  const pipeline = $("#pipeline");
  const motion = $("#pipe-motion");
  if (pipeline && motion) {
    let paused = false;
    new IntersectionObserver(([entry]) => {
      pipeline.classList.toggle("is-playing", entry.isIntersecting && !paused);
    }).observe(pipeline);
    motion.addEventListener("click", () => {
      paused = !paused;
      pipeline.classList.toggle("is-paused", paused);
      pipeline.classList.toggle("is-playing", !paused);
      motion.setAttribute("aria-pressed", String(paused));
      motion.textContent = paused ? "Play the animation" : "Pause the animation";
    });
  }

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

  /* ---------- charts: Plotly is unpacked once; drawChart(div) draws one chart at its box's size.
     The page draws its own charts after the first paint; the slides call drawChart when a slide is shown. */
  const pageCharts = $$("main .chart[data-chart]");
  const chartSpec = JSON.parse($("#chart-data").textContent);
  let plotly = null;
  let plotlyLoading = null;
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
  async function unpackPlotly() {
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
    plotly = window.Plotly;
    return plotly;
  }
  const loadPlotly = () => plotlyLoading || (plotlyLoading = unpackPlotly());
  /* Every font of a figure (its own and the shared template's) times `factor`. */
  function scaleFonts(value, factor) {
    if (Array.isArray(value)) return value.map((v) => scaleFonts(v, factor));
    if (!value || typeof value !== "object") return value;
    const out = {};
    for (const [key, v] of Object.entries(value)) {
      const font = (key === "font" || key === "tickfont") && v && typeof v === "object";
      out[key] = font ? Object.assign({}, v, { size: (v.size || 13) * factor }) : scaleFonts(v, factor);
    }
    return out;
  }
  const narrow = () => window.matchMedia("(max-width: 760px)").matches;
  /* Draw one chart. options.smallestFont (px): the size of its smallest text; fonts scale to it. */
  async function drawChart(div, options = {}) {
    const p = await loadPlotly();
    const fig = chartSpec.figures[div.dataset.chart];
    let layout = Object.assign({}, fig.layout, { template: chartSpec.template });
    if (options.smallestFont) layout = scaleFonts(layout, options.smallestFont / 12);
    else if (narrow()) layout.font = { size: 12 };
    await p.newPlot(div, fig.data, layout, chartSpec.config);
    div.classList.add("drawn");
    return div;
  }
  window.pageCharts = { draw: drawChart, resize: resizeCharts };
  const yieldToBrowser = () => new Promise((resolve) => setTimeout(resolve, 0));
  async function drawPageCharts() {
    if (!pageCharts.length) return;
    root.dataset.charts = "loading";
    try {
      await loadPlotly();
      performance.mark("plotly-loaded");
      root.dataset.charts = "drawing";
      for (const div of pageCharts) {
        await drawChart(div);
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
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", () => requestAnimationFrame(drawPageCharts));
  else requestAnimationFrame(() => setTimeout(drawPageCharts, 0));

  /* ---------- hide the code, for audiences who do not read it (the slides skip their code slides too) */
  const codeSwitches = $$(".code-switch");
  function setCodeHidden(hidden) {
    root.classList.toggle("hide-code", hidden);
    for (const b of codeSwitches) {
      b.setAttribute("aria-pressed", String(hidden));
      b.textContent = hidden ? "Show code" : "Hide code";
    }
    document.dispatchEvent(new CustomEvent("codevisibility"));
  }
  for (const b of codeSwitches) b.addEventListener("click", () => setCodeHidden(!root.classList.contains("hide-code")));
  window.pageCode = { setHidden: setCodeHidden };

  /* ---------- print: everything expanded, charts at paper width, or the handout alone */
  let closed = [];
  window.addEventListener("beforeprint", () => {
    closed = $$("details:not([open])");
    for (const d of closed) d.open = true;
    if (plotly) for (const div of $$("main .chart.drawn")) plotly.relayout(div, { width: 640 });
  });
  window.addEventListener("afterprint", () => {
    for (const d of closed) d.open = false;
    closed = [];
    root.classList.remove("print-handout");
    if (plotly) for (const div of $$("main .chart.drawn")) plotly.relayout(div, { width: null, autosize: true });
  });
  const printHandout = () => { root.classList.add("print-handout"); window.print(); };
  for (const id of ["print-handout", "print-handout-2"]) {
    const button = document.getElementById(id);
    if (button) button.addEventListener("click", printHandout);
  }
})();
