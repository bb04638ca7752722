/* The charts. Plotly arrives gzip-compressed inside the page; it is unpacked once, after the first
   frame, and each chart is drawn when it comes near the screen (the nearest first). The slides draw
   theirs through the same function, window.pageCharts.draw(div, options), so every chart, new ones
   included, is drawn the same lazy way. Print, and browsers that cannot run Plotly, show the static
   SVG drawn at build time from the same spec (generator/chartsvg.py) instead; and until Plotly has
   drawn a chart that is near the screen (or on the slide shown), that drawing stands in its box. */
(() => {
  "use strict";
  const root = document.documentElement;
  const packed = document.getElementById("plotly-gz");
  const pageCharts = Array.from(document.querySelectorAll("main .chart[data-chart]"));
  let specs = null;
  const spec = () => specs || (specs = JSON.parse(document.getElementById("chart-data").textContent));
  const nextTask = () => new Promise((resolve) => setTimeout(resolve, 0));
  const nextPaint = () => new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)));

  /* ---------- Plotly: unpacked once */
  function base64Bytes(text) {
    if (Uint8Array.fromBase64) return Uint8Array.fromBase64(text);     // skips the spaces around it
    const binary = atob(text.trim());
    const bytes = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i += 1) bytes[i] = binary.charCodeAt(i);
    return bytes;
  }
  function addScript(set) {
    return new Promise((resolve, reject) => {
      const script = document.createElement("script");
      script.onload = resolve;
      script.onerror = reject;
      set(script);
      document.head.appendChild(script);
      if (!script.src) resolve();             // an inline script has run once it is added
    });
  }
  /* The whole input is written at once, so the browser inflates it in one go and the chunks are read
     back in promise callbacks of the same task: no frame of the page's own rendering can come between
     (a Blob's stream would be read in many tasks, each waiting behind a frame). */
  async function gunzip(bytes) {
    const stream = new DecompressionStream("gzip");
    const writer = stream.writable.getWriter();
    writer.write(bytes).catch(() => {});      // an error in the data is thrown by read() below
    writer.close().catch(() => {});
    const reader = stream.readable.getReader();
    const chunks = [];
    for (let part = await reader.read(); !part.done; part = await reader.read()) chunks.push(part.value);
    return new Blob(chunks);
  }
  async function unpack() {
    root.dataset.charts = "loading";
    const blob = await gunzip(base64Bytes(packed.textContent));
    performance.mark("plotly-unpacked");
    const url = URL.createObjectURL(new Blob([blob], { type: "text/javascript" }));
    try {
      /* From a URL the browser compiles the script on a background thread as it streams in; the CSP allows
         it by the hash its integrity attribute carries, the same hash that allows it inline. */
      await addScript((script) => { script.integrity = packed.dataset.integrity; script.src = url; });
    } catch (error) {
      const code = await blob.text();          // a browser that will not run it from a URL runs it inline
      await addScript((script) => { script.textContent = code; });
    } finally {
      URL.revokeObjectURL(url);
    }
    if (!window.Plotly) throw new Error("Plotly did not load");
    performance.mark("plotly-ready");
    root.dataset.charts = "ready";
    await nextTask();
    await warmUp(window.Plotly);
    await nextTask();                          // the first chart is drawn in a task of its own
    return window.Plotly;
  }
  /* Plotly's first chart costs about twice a later one (code that has not run yet, its first measurements).
     A small chart drawn out of sight, in a task of its own, pays that once, so that no one task carries both
     that cost and a real chart (a slow computer's longest task). */
  async function warmUp(plotly) {
    const div = document.createElement("div");
    div.setAttribute("aria-hidden", "true");
    div.style.cssText = "position: absolute; top: 0; left: -10000px; width: 600px; height: 300px; visibility: hidden";
    document.body.append(div);
    const line = { x: [0, 1, 2], y: [2, 1, 1.5], type: "scatter", mode: "lines+markers", name: "a" };
    const layout = { template: spec().template, showlegend: true, xaxis: { title: { text: "x" } }, yaxis: { title: { text: "y" } } };
    try {
      await plotly.newPlot(div, [line, Object.assign({}, line, { y: [1, 2, 1], name: "b" })], layout, spec().config);
    } catch (error) {
      console.warn("Plotly's warm-up chart could not be drawn.", error);   // the page's charts are drawn all the same
    } finally {
      plotly.purge(div);
      div.remove();
    }
  }
  let loading = null;
  const loadPlotly = () => loading || (loading = unpack());

  /* ---------- drawing one chart */
  /* Every font of a figure (its own and the shared template's) times `factor`, and the margins that
     hold the labels (charts.py sizes them for the page's fonts) with them. */
  function scaleFonts(value, factor) {
    if (Array.isArray(value)) return value.map((v) => scaleFonts(v, factor));
    if (!value || typeof value !== "object") return value;
    const out = {};
    for (const [key, v] of Object.entries(value)) {
      const font = (key === "font" || key === "tickfont") && v && typeof v === "object";
      if (font) out[key] = Object.assign({}, v, { size: (v.size || 13) * factor });
      else if (key === "margin") out[key] = Object.fromEntries(Object.entries(v).map(([side, px]) => [side, px * factor]));
      else out[key] = scaleFonts(v, factor);
    }
    return out;
  }
  const narrow = () => window.matchMedia("(max-width: 760px)").matches;
  /* Where Plotly cannot run, a chart outside the page (a slide's) shows a copy of the static drawing;
     the page's own charts have theirs beside them, which the stylesheet then shows. */
  const drawingOf = (div) => document.querySelector(`#figure-${div.dataset.chart} > .chart-static`);
  function drawStatic(div) {
    if (pageCharts.includes(div)) {
      endPreview(div);
      return div;
    }
    div.classList.remove("preview");               // a slide's preview copy stays, as its drawing
    const drawing = drawingOf(div);
    if (drawing && !div.querySelector(".chart-static")) div.replaceChildren(drawing.cloneNode(true));
    return div;
  }
  /* The preview: a copy of the static drawing in the chart's box, from when the chart comes near the
     screen (a slide's: is shown; either: a jump lands on it) until Plotly has drawn it, so a reader
     never waits on an empty box. */
  function preview(div) {
    const drawing = drawingOf(div);
    if (!drawing || div.classList.contains("drawn") || div.classList.contains("preview")) return;
    div.append(nearestInSize(div, drawing).cloneNode(true));
    div.classList.add("preview");
  }
  /* The drawing, or its narrow variant (for a phone), whichever the box shows nearest its own size. */
  function nearestInSize(div, drawing) {
    const narrow = drawing.parentElement.querySelector(":scope > template.chart-static-narrow");
    if (!narrow) return drawing;
    const misfit = (svg) => {
      const [, , width, height] = svg.getAttribute("viewBox").split(" ").map(Number);
      return Math.abs(Math.log(Math.min(div.clientWidth / width, div.clientHeight / height)));
    };
    const small = narrow.content.firstElementChild;
    return misfit(small) < misfit(drawing) ? small : drawing;
  }
  function endPreview(div) {
    if (!div.classList.contains("preview")) return;
    div.classList.remove("preview");
    for (const copy of div.querySelectorAll(":scope > .chart-static")) copy.remove();
  }
  /* Draw one chart, Plotly unpacked first if need be. options.smallestFont (px): the size of its
     smallest text; every font scales to it (the slides use this). */
  async function draw(div, options = {}) {
    if (root.classList.contains("charts-failed")) return drawStatic(div);
    if (!window.Plotly) preview(div);
    let plotly;
    try {
      plotly = await loadPlotly();
    } catch (error) {
      fail(error);
      return drawStatic(div);
    }
    const fig = spec().figures[div.dataset.chart];
    let layout = Object.assign({}, fig.layout, { template: spec().template });
    if (options.smallestFont) layout = scaleFonts(layout, options.smallestFont / 12);
    else if (narrow()) {                         // smaller text, and room for a legend in two rows
      layout.font = { size: 12 };
      if (fig.layout.margin.t >= 48) layout.margin = Object.assign({}, fig.layout.margin, { t: 66 });
    }
    await plotly.newPlot(div, fig.data, layout, spec().config);
    endPreview(div);
    div.classList.add("drawn");
    return div;
  }
  function fail(error) {
    if (root.classList.contains("charts-failed")) return;
    root.dataset.charts = "failed";
    root.classList.add("charts-failed");
    console.warn("Charts could not be drawn; the static drawings and data tables show the same numbers.", error);
  }
  function resize(scope) {
    if (!window.Plotly) return;
    for (const div of (scope || document).querySelectorAll(".chart.drawn")) {
      if (div.offsetParent !== null) window.Plotly.Plots.resize(div);
    }
  }
  window.pageCharts = { draw, resize };

  /* ---------- the page's charts: drawn one per task as they come near the screen, nearest first;
     the charts a jump to an anchor lands on go before all others */
  const waiting = new Set();
  const landing = new Set();
  let drawing = false;
  const distance = window.pageFirstScreen.distance;
  function want(div, first) {
    near.unobserve(div);
    if (!root.classList.contains("charts-failed")) preview(div);
    (first ? landing : waiting).add(div);
  }
  async function drawWaiting() {
    if (drawing) return;
    drawing = true;
    while (landing.size || waiting.size) {
      await nextPaint();                      // a landing and the previews show before each chart is drawn
      const next = landing.size ? landing.values().next().value
        : Array.from(waiting).sort((a, b) => distance(a) - distance(b))[0];
      landing.delete(next);
      waiting.delete(next);
      await draw(next).catch((error) => console.warn("A chart could not be drawn.", error));
    }
    drawing = false;
  }
  const near = new IntersectionObserver((entries) => {
    for (const entry of entries) if (entry.isIntersecting) want(entry.target, false);
    drawWaiting();
  }, { rootMargin: "50% 0px" });
  window.addEventListener("hashchange", () => {
    const target = window.pageFirstScreen.hashTarget();
    if (!target || !target.closest("main") || !root.classList.contains("js-charts")) return;
    const top = target.getBoundingClientRect().top;         // where the scroll is going: the charts within a screen of it
    for (const div of pageCharts) {
      const y = div.getBoundingClientRect().top - top;
      if (!div.classList.contains("drawn") && y > -div.offsetHeight && y < window.innerHeight) want(div, true);
    }
    drawWaiting();
  });

  if (!root.classList.contains("js-charts")) {   // first_screen.js found no DecompressionStream
    fail(new Error("this browser has no DecompressionStream"));
    return;
  }
  for (const div of pageCharts) near.observe(div);
  /* Plotly is unpacked as soon as the first frame has been made (this script runs once the page is
     parsed, so that frame holds the first screen), or after a few seconds in a tab that makes no frames
     (opened in the background); a chart needed before then unpacks it itself. */
  const unpackSoon = () => setTimeout(() => loadPlotly().catch(fail), 0);
  requestAnimationFrame(unpackSoon);
  setTimeout(unpackSoon, 3000);
})();
