/* Paint the first screen first: for the first frame the sections below it stay unrendered
   (content-visibility: hidden in the CSS), and the next frame renders them. Runs from <head>. */
(() => {
  const root = document.documentElement;
  root.classList.add("first-screen");
  if ("DecompressionStream" in window) root.classList.add("js-charts");   // else the static drawings show (charts.js)
  requestAnimationFrame(() => requestAnimationFrame(() => {
    root.classList.remove("first-screen");
    const target = location.hash && document.getElementById(decodeURIComponent(location.hash.slice(1)));
    if (target) target.scrollIntoView({ block: "start", behavior: "instant" });   // a link into the page lands where it points
  }));
})();
