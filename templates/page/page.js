/* The infographic's behaviour: navigation, toggles, the pairs table, hide code, print (charts.js draws the charts). */
(() => {
  "use strict";
  const root = document.documentElement;
  const $ = (selector, scope = document) => scope.querySelector(selector);
  const $$ = (selector, scope = document) => Array.from(scope.querySelectorAll(selector));
  const live = $("#live");
  const say = (text) => { if (live) { live.textContent = ""; setTimeout(() => { live.textContent = text; }, 30); } };
  const sections = $$("main > .section");

  /* ---------- markup built when it is needed (macros.html.j2 `later`): a <noscript class="later"> (plain
     markup where scripts are off) or a <template class="later"> becomes real DOM when it comes near the
     screen, when its details opens, when its tab, row or slide is shown, or before printing. */
  function build(scope) {
    const holders = scope.matches(".later") ? [scope] : $$(".later", scope);
    for (const holder of holders) {
      const parent = holder.parentElement;
      if (holder.tagName === "TEMPLATE") {
        holder.replaceWith(holder.content);
      } else {
        const markup = document.createElement("template");
        markup.innerHTML = holder.textContent;
        holder.replaceWith(markup.content);
      }
      /* scripts with widgets in the new markup (the playground's try-it slide) wire them up now */
      parent.dispatchEvent(new CustomEvent("pagebuilt", { bubbles: true }));
    }
  }
  window.pageLater = { build };

  /* ---------- landing on an anchor (a link, the address, leaving the slides): the target's section is
     rendered, and what the screen shows below it, and the page goes there. The sections above it render
     after (first_screen.js), and their parts are built as they near the screen: each time a section
     changes height, the page aims at the target again, after layout and before paint, so the target stays
     where it landed until the reader scrolls. (The browser's scroll anchoring alone lost the place while
     the sections above rendered, by up to 20,000 px on a slow phone. The stylesheet sets no smooth
     scrolling, so no glide the browser starts on its own can end somewhere else after the landing.) */
  const landing = (() => {
    const SETTLE_MS = 1500;
    let target = null;          // what the page holds in place, if anything
    let gliding = false;        // a short jump glides there (unless motion is reduced), and is re-aimed gliding
    const still = window.matchMedia("(prefers-reduced-motion: reduce)");
    const aim = () => target.scrollIntoView({ block: "start", behavior: gliding && !still.matches ? "smooth" : "instant" });
    let held = 0;               // where the target's top was last aimed, in the window
    function aimAgain() {
      aim();
      held = target.getBoundingClientRect().top;
    }
    const hold = new ResizeObserver(() => { if (target) aimAgain(); });
    for (const section of sections) hold.observe(section);
    const release = () => { target = null; };
    /* The hold ends when the reader scrolls, or is about to, or something else moves the page or the focus
       out of the section (find in page, a screen reader): the page is theirs again */
    for (const type of ["wheel", "touchstart", "keydown", "mousedown"]) {
      window.addEventListener(type, release, { capture: true, passive: true });
    }
    window.addEventListener("beforeprint", release);
    window.addEventListener("scroll", () => {
      if (target && !gliding && Math.abs(target.getBoundingClientRect().top - held) > 1) release();
    }, { passive: true });
    /* (a scroll made by a script fires scrollend before scroll: only the end of the page's own glide
       moves where the target is held) */
    window.addEventListener("scrollend", () => {
      if (!gliding) return;
      gliding = false;
      if (target) held = target.getBoundingClientRect().top;
    });
    document.addEventListener("focusin", (e) => {
      const section = target && target.closest("main > .section");
      if (section && e.target.closest("main") && !section.contains(e.target)) release();
    });
    /* and once every section has rendered, and what was built near the landing has settled */
    let landings = 0;
    function letGoWhenSettled() {
      const landing = ++landings;
      const later = () => setTimeout(() => { if (landing === landings) release(); }, SETTLE_MS);
      if (window.pageFirstScreen.rendered()) later();
      else document.addEventListener("pagerendered", later, { once: true });
    }
    /* a long way is jumped at once (painting every screen on the way costs a slow computer more than the
       glide is worth); options.glide: a short one glides */
    function land(to, options = {}) {
      const section = to.closest("main > .section");
      window.pageFirstScreen.render(section);
      target = to;
      gliding = Boolean(options.glide) && Math.abs(to.getBoundingClientRect().top) <= 2 * window.innerHeight;
      aimAgain();
      if (section) window.pageFirstScreen.renderOnScreenAfter(section);    // (none: the skip link's <main>)
      letGoWhenSettled();
    }
    return { land, release };
  })();
  window.pageLanding = landing;
  /* a link within the page: no native jump (it glides towards where the target was before the sections above
     it were built, and on a busy computer that glide can finish after, and away from, the landing below); the
     address changes and the page's hashchange listeners land, as they do for a link from outside */
  document.addEventListener("click", (e) => {
    const link = e.target.closest && e.target.closest('a[href^="#"]');
    if (!link || e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    const target = document.getElementById(decodeURIComponent(link.hash.slice(1)));
    if (!target || !target.closest("main") || root.classList.contains("presenting")) return;
    e.preventDefault();
    const oldURL = location.href;
    history.replaceState(Object.assign({}, history.state, { scrollY: window.scrollY }), "");   // for Back (below)
    history.pushState(null, "", link.hash);
    window.dispatchEvent(new HashChangeEvent("hashchange", { oldURL, newURL: location.href }));
    /* as a native jump does, the next Tab starts from the target */
    if (!target.hasAttribute("tabindex")) {
      target.setAttribute("tabindex", "-1");
      target.addEventListener("blur", () => target.removeAttribute("tabindex"), { once: true });
    }
    target.focus({ preventScroll: true });
  });
  window.addEventListener("hashchange", () => {
    const target = window.pageFirstScreen.hashTarget();
    if (target && target.closest("main")) {
      landing.land(target, { glide: true });
      return;
    }
    /* Back to where no fragment was: the page goes where the reader left it (the browser keeps no place
       for an entry that was never scrolled) */
    landing.release();
    const left = history.state && history.state.scrollY;
    if (typeof left === "number") window.scrollTo({ top: left, behavior: "instant" });
  });
  const nearScreen = new IntersectionObserver((entries) => {
    for (const entry of entries) {
      if (!entry.isIntersecting) continue;
      nearScreen.unobserve(entry.target);
      build(entry.target);
    }
  }, { rootMargin: "100% 0px" });
  for (const holder of $$("main .later[data-near]")) nearScreen.observe(holder.parentElement);
  /* a details' contents are built as its summary is clicked, before it opens (and on any other opening) */
  document.addEventListener("click", (e) => {
    const summary = e.target.closest && e.target.closest("summary");
    if (summary) build(summary.parentElement);
  }, true);
  document.addEventListener("toggle", (e) => { if (e.target.open) build(e.target); }, true);

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
  requestAnimationFrame(updateNav);        // after the first frame: no layout forced while the page loads
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
      const body = document.getElementById(button.getAttribute("aria-controls"));
      build(body);
      body.classList.toggle("is-folded", !open);
      button.setAttribute("aria-expanded", String(open));
      button.textContent = open ? button.dataset.less : button.dataset.more;
    });
  }
  function codeText(id) {
    build(document.getElementById(id));
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
        const panel = document.getElementById(t.getAttribute("aria-controls"));
        if (on) build(panel);
        t.setAttribute("aria-selected", String(on));
        t.tabIndex = on ? 0 : -1;
        panel.hidden = !on;
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
      build(table);                       // the search reads the answers and rationales too
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
        build(row);
        const open = row.hidden;
        row.hidden = !open;
        button.setAttribute("aria-expanded", String(open));
        button.firstChild.textContent = open ? "Hide" : "Answers";
      });
    }
  }

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

  /* ---------- print: everything expanded, or the handout alone (charts print as their static drawings) */
  let closed = [];
  window.addEventListener("beforeprint", () => {
    build($("main"));
    closed = $$("details:not([open])");
    for (const d of closed) d.open = true;
  });
  window.addEventListener("afterprint", () => {
    for (const d of closed) d.open = false;
    closed = [];
    root.classList.remove("print-handout");
  });
  const printHandout = () => { root.classList.add("print-handout"); window.print(); };
  for (const id of ["print-handout", "print-handout-2"]) {
    const button = document.getElementById(id);
    if (button) button.addEventListener("click", printHandout);
  }
})();
