/* Paint the first screen first, then the rest a section a frame. Runs from <head>. Until a section
   is marked rendered, the sections below the first screen stay unrendered (content-visibility: hidden,
   page.css); from the second frame on, each frame renders the waiting section nearest the screen, so no
   single frame styles and lays out the whole page. A link into the page renders its target's section at
   once and lands (page.js, window.pageLanding), and the sections around it render first. */
(() => {
  const root = document.documentElement;
  root.classList.add("first-screen");
  if ("DecompressionStream" in window) root.classList.add("js-charts");   // else the static drawings show (charts.js)
  const waiting = () => Array.from(document.querySelectorAll("main > .section:not(.hero):not(.rendered)"));
  /* how far an element is from the screen (0: on it) */
  const distance = (element) => {
    const box = element.getBoundingClientRect();
    return box.bottom < 0 ? -box.bottom : Math.max(0, box.top - window.innerHeight);
  };
  /* the element the address's #fragment names, if any */
  const hashTarget = () => (location.hash && document.getElementById(decodeURIComponent(location.hash.slice(1)))) || null;
  function renderNext() {
    const left = waiting();
    if (!left.length) {
      root.classList.remove("first-screen");
      document.dispatchEvent(new Event("pagerendered"));
      return;
    }
    left.sort((a, b) => distance(a) - distance(b))[0].classList.add("rendered");
    requestAnimationFrame(renderNext);
  }
  /* a section at once, ahead of its turn (what a link lands in, and what shows beside it) */
  function render(section) {
    if (section) section.classList.add("rendered");
  }
  /* the waiting sections the screen shows below `section`, at once (those above it would push it down) */
  function renderOnScreenAfter(section) {
    for (const next of waiting()) {
      if (section.compareDocumentPosition(next) & Node.DOCUMENT_POSITION_FOLLOWING && distance(next) === 0) render(next);
    }
  }
  /* Home and End go to the very top and bottom of the page: it is rendered whole first, so that they get
     there (sections rendering above or below during their glide would move where it ends) */
  document.addEventListener("keydown", (e) => {
    if ((e.key === "Home" || e.key === "End") && !(e.target.closest && e.target.closest("input, textarea, select, [contenteditable]"))) {
      for (const section of waiting()) render(section);
    }
  }, true);
  const rendered = () => !root.classList.contains("first-screen");
  window.pageFirstScreen = { render, renderOnScreenAfter, rendered, distance, hashTarget };
  /* a reader who scrolls, or presses a key, before the page has landed keeps the page where they put it */
  let moved = false;
  for (const type of ["wheel", "touchstart", "keydown", "mousedown"]) {
    window.addEventListener(type, () => { moved = true; }, { capture: true, passive: true, once: true });
  }
  /* once the page is parsed (the first screen has painted by then): land, then render a section a frame */
  const start = () => requestAnimationFrame(() => requestAnimationFrame(() => {
    const target = hashTarget();
    if (target && target.closest("main") && window.pageLanding && !moved) window.pageLanding.land(target);
    renderNext();
  }));
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
