/* Paint the first screen first, then the rest a section a frame. Runs from <head>. Until a section
   is marked rendered, the sections below the first screen stay unrendered (content-visibility: hidden,
   page.css); from the second frame on, each frame renders the next one, so no single frame styles and
   lays out the whole page. A link into the page renders the sections up to its target at once, and lands. */
(() => {
  const root = document.documentElement;
  root.classList.add("first-screen");
  if ("DecompressionStream" in window) root.classList.add("js-charts");   // else the static drawings show (charts.js)
  const waiting = () => document.querySelectorAll("main > .section:not(.hero):not(.rendered)");
  function renderNext() {
    const next = waiting()[0];
    if (!next) { root.classList.remove("first-screen"); return; }
    next.classList.add("rendered");
    requestAnimationFrame(renderNext);
  }
  /* every section up to `target` (an element in the page), at once: what it lands on is then in place */
  function renderUpTo(target) {
    for (const section of waiting()) {
      if (section.compareDocumentPosition(target) & Node.DOCUMENT_POSITION_PRECEDING) break;
      section.classList.add("rendered");
    }
  }
  window.pageFirstScreen = { renderUpTo };
  /* once the page is parsed (the first screen has painted by then): land, then render a section a frame */
  const start = () => requestAnimationFrame(() => requestAnimationFrame(() => {
    const target = location.hash && document.getElementById(decodeURIComponent(location.hash.slice(1)));
    if (target && target.closest("main")) {
      renderUpTo(target);
      if (window.pageLater) window.pageLater.buildBefore(target);
      target.scrollIntoView({ block: "start", behavior: "instant" });   // a link into the page lands where it points
    }
    renderNext();
  }));
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
