/* The classroom deck: slides built from the same run as the page, shown one at a time.
   P or the Present button opens it (#present=60, #present=90 or #present=180 opens a lesson plan);
   keys, swipes and the bar's buttons move through it; S opens the speaker notes. */
(() => {
  "use strict";
  const root = document.documentElement;
  const $ = (selector, scope = document) => scope.querySelector(selector);
  const $$ = (selector, scope = document) => Array.from(scope.querySelectorAll(selector));
  const deck = $("#deck");
  if (!deck) return;
  const bar = $("#deck-bar");
  const count = $("#deck-count");
  const fill = $("#deck-fill");
  const planSelect = $("#deck-plan");
  const overview = $("#deck-overview");
  const grid = $("#deck-grid");
  const split = $("#deck-notes");
  const presentButton = $("#present-button");
  const live = $("#live");
  const allSlides = $$(".slide", deck);
  const plans = Array.from(planSelect.options, (o) => Number(o.value));
  const fullPlan = Math.max(...plans);

  let plan = fullPlan;
  let shown = allSlides;          // the slides of the current plan, code slides left out when code is hidden
  let index = 0;
  let notesWindow = null;
  let clockStart = 0;
  let clockTimer = 0;

  const presenting = () => root.classList.contains("presenting");
  const minutesOf = (slide) => {
    const minutes = slide.dataset.minutes.split(" ").map(Number);
    return minutes[plans.slice().sort((a, b) => a - b).indexOf(plan)] || 0;
  };
  const announce = (text) => { if (live) { live.textContent = ""; setTimeout(() => { live.textContent = text; }, 30); } };

  /* ---------- which slides show */
  function choose(planMinutes) {
    plan = plans.includes(planMinutes) ? planMinutes : fullPlan;
    planSelect.value = String(plan);
    const codeHidden = root.classList.contains("hide-code");
    shown = allSlides.filter((s) => s.dataset.plans.split(" ").includes(String(plan)) && !(codeHidden && "code" in s.dataset));
  }

  /* ---------- charts: drawn when their slide is shown, at a size that reads from the back of the room */
  const rootPx = () => parseFloat(getComputedStyle(root).fontSize);
  async function drawCharts(slide) {
    const smallest = Math.round(rootPx() * 0.68 * 10) / 10;
    for (const div of $$(".chart[data-chart]", slide)) {
      const drawnAt = `${smallest}@${div.clientWidth}`;       // a new font size or width (the notes beside) redraws
      if (div.dataset.drawnAt === drawnAt) continue;
      div.dataset.drawnAt = drawnAt;
      try {
        await window.pageCharts.draw(div, { smallestFont: smallest });
      } catch (error) {
        div.dataset.drawnAt = "";
        console.warn("A slide's chart could not be drawn.", error);
      }
    }
  }

  /* ---------- showing a slide */
  function show(i, { focus = true } = {}) {
    if (!shown.length) return;
    index = Math.max(0, Math.min(shown.length - 1, i));
    const slide = shown[index];
    window.pageLater.build(slide);
    for (const s of allSlides) s.classList.toggle("is-current", s === slide);
    count.textContent = `${index + 1} / ${shown.length}`;
    fill.style.width = `${((index + 1) / shown.length) * 100}%`;
    $("#deck-prev").disabled = index === 0;
    $("#deck-next").disabled = index === shown.length - 1;
    history.replaceState(null, "", `#present=${plan}&slide=${slide.dataset.slide}`);
    if (focus && !bar.contains(document.activeElement)) deck.focus({ preventScroll: true });
    announce(`Slide ${index + 1} of ${shown.length}: ${slide.dataset.title}`);
    drawCharts(slide);
    updateNotes();
  }
  const step = (direction) => show(index + direction);

  function enter(planMinutes, slideId) {
    choose(planMinutes);
    root.classList.add("presenting");
    deck.hidden = false;
    bar.hidden = false;
    presentButton.setAttribute("aria-pressed", "true");
    let start = shown.findIndex((s) => s.dataset.slide === slideId);
    if (start < 0) {            // from the page: the first slide of the section being read
      const section = window.pageNav && window.pageNav.sectionInView();
      start = section ? shown.findIndex((s) => s.dataset.section === section.id) : 0;
    }
    if (!clockStart) startClock();
    show(Math.max(0, start));
  }
  function leave() {
    const slide = shown[index];
    closeOverview();
    root.classList.remove("presenting", "notes-split");
    deck.hidden = true;
    bar.hidden = true;
    split.hidden = true;
    presentButton.setAttribute("aria-pressed", "false");
    if (document.fullscreenElement && document.exitFullscreen) document.exitFullscreen().catch(() => {});
    history.replaceState(null, "", location.pathname + location.search);
    const section = slide && slide.dataset.section && document.getElementById(slide.dataset.section);
    if (section) window.pageLanding.land(section);
    if (window.pageCharts) window.pageCharts.resize();
    presentButton.focus({ preventScroll: true });
  }
  function toggleFullscreen() {
    if (document.fullscreenElement) document.exitFullscreen().catch(() => {});
    else if (root.requestFullscreen) root.requestFullscreen().catch(() => {});
  }

  /* ---------- overview: every slide of the plan as a grid of titles */
  function openOverview() {
    grid.replaceChildren(...shown.map((slide, i) => {
      const item = document.createElement("li");
      const button = document.createElement("button");
      button.type = "button";
      button.className = "deck-card";
      if (slide.dataset.stage) button.dataset.stage = slide.dataset.stage;
      if (i === index) button.setAttribute("aria-current", "true");
      const number = document.createElement("span");
      number.className = "deck-card-n";
      number.textContent = String(i + 1);
      button.append(number, document.createTextNode(slide.dataset.title));
      button.addEventListener("click", () => { closeOverview(); show(i); });
      item.appendChild(button);
      return item;
    }));
    $("#deck-overview-plan").textContent = `· ${plan} minutes, ${shown.length} slides`;
    overview.hidden = false;
    $("#deck-overview-button").setAttribute("aria-pressed", "true");
    $$("button", grid)[index].focus();
  }
  function closeOverview() {
    if (overview.hidden) return;
    overview.hidden = true;
    $("#deck-overview-button").setAttribute("aria-pressed", "false");
    deck.focus({ preventScroll: true });
  }
  overview.addEventListener("keydown", (e) => {
    const buttons = $$("button", grid);
    const at = buttons.indexOf(document.activeElement);
    if (at < 0) return;
    const columns = Math.max(1, Math.round(grid.clientWidth / buttons[0].offsetWidth));
    const to = { ArrowRight: at + 1, ArrowLeft: at - 1, ArrowDown: at + columns, ArrowUp: at - columns,
                 Home: 0, End: buttons.length - 1 }[e.key];
    if (to === undefined) return;
    e.preventDefault();
    buttons[Math.max(0, Math.min(buttons.length - 1, to))].focus();
  });

  /* ---------- speaker notes: a second window (or, if it is blocked, a panel beside the slide) */
  const pad = (n) => String(n).padStart(2, "0");
  const clock = (ms) => { const s = Math.floor(ms / 1000); return `${Math.floor(s / 60)}:${pad(s % 60)}`; };
  function startClock() {
    clockStart = Date.now();
    clearInterval(clockTimer);
    clockTimer = setInterval(tick, 1000);
  }
  function tick() {
    for (const el of notesTargets().map((doc) => $(".notes-clock", doc)).filter(Boolean)) {
      el.textContent = clock(Date.now() - clockStart);
    }
  }
  function notesTargets() {
    const out = [];
    if (notesWindow && !notesWindow.closed) out.push(notesWindow.document);
    if (!split.hidden) out.push(split);
    return out;
  }
  function notesContent(doc) {
    const slide = shown[index];
    const next = shown[index + 1];
    const planned = shown.slice(0, index).reduce((sum, s) => sum + minutesOf(s), 0);
    const make = (tag, className, text) => {
      const el = doc.createElement(tag);
      if (className) el.className = className;
      if (text !== undefined) el.textContent = text;
      return el;
    };
    const head = make("div", "notes-head");
    head.append(make("p", "notes-count", `${index + 1} / ${shown.length} · ${plan}-minute plan`),
      make("p", "notes-clock", clock(clockStart ? Date.now() - clockStart : 0)),
      make("p", "notes-plan", `On plan: this slide from minute ${planned}, for ${minutesOf(slide)} min`));
    const body = make("div", "notes-body");
    body.append(make("h2", "notes-title", slide.dataset.title));
    const notes = $(".slide-notes", slide).cloneNode(true);
    notes.hidden = false;
    notes.className = "notes-text";
    if (!notes.textContent.trim()) notes.append(make("p", "muted", "No notes for this slide."));
    body.append(notes);
    const after = make("div", "notes-next");
    after.append(make("p", "note-label", "Next slide"), make("p", "notes-next-title", next ? next.dataset.title : "The end"));
    return [head, body, after];
  }
  function updateNotes() {
    if (notesWindow && !notesWindow.closed) notesWindow.document.body.replaceChildren(...notesContent(notesWindow.document));
    if (!split.hidden) split.replaceChildren(...notesContent(document));
  }
  function openNotes() {
    if (!split.hidden) { toggleSplit(false); return; }      // the notes beside the slide: S or Notes again closes them
    if (notesWindow && !notesWindow.closed) { notesWindow.focus(); return; }
    notesWindow = window.open("", "deck-notes", "popup,width=1000,height=720");
    if (!notesWindow) { toggleSplit(true); return; }
    const doc = notesWindow.document;
    doc.title = "Speaker notes";
    doc.documentElement.lang = "en";
    doc.documentElement.className = "notes-window";
    const style = doc.createElement("style");
    style.textContent = $("style").textContent;    // the page's own stylesheet (allowed by its hash)
    doc.head.replaceChildren(style);
    doc.addEventListener("keydown", onKey);       // the presenter can drive the slides from the notes
    updateNotes();
  }
  function toggleSplit(on) {
    split.hidden = !on;
    root.classList.toggle("notes-split", on);
    updateNotes();
    drawCharts(shown[index]);
  }

  /* ---------- keys, swipes, buttons */
  const typing = (el) => el && (el.isContentEditable || /^(INPUT|SELECT|TEXTAREA)$/.test(el.tagName));
  function onKey(e) {
    if (e.defaultPrevented || e.altKey || e.ctrlKey || e.metaKey) return;
    const target = e.target.nodeType === 1 ? e.target : null;
    const key = e.key;
    if (typing(target)) {                        // typing into a field never moves the slides, except that
      if (!presenting()) return;                 // a clicker's PageDown/PageUp (no use in a field) still do,
      if ((key === "PageDown" || key === "PageUp") && target.tagName === "INPUT") {
        e.preventDefault(); target.blur(); step(key === "PageDown" ? 1 : -1);
      }
      else if (key === "Escape") { e.preventDefault(); target.blur(); }   // and Escape gives the keys back
      return;
    }
    if (!presenting()) {
      if (key === "p" || key === "P") { e.preventDefault(); enter(plan); }
      return;
    }
    if (target && target.closest("[role=tablist], [role=tab], .deck-overview")) {
      if (key === "Escape") { e.preventDefault(); closeOverview(); }
      return;                                    // a widget's own keys stay with it
    }
    const onControl = target && target.closest("button, summary, a, select");
    const moves = {
      ArrowRight: 1, ArrowDown: 1, PageDown: 1, ArrowLeft: -1, ArrowUp: -1, PageUp: -1,
    };
    if (key in moves) { e.preventDefault(); step(moves[key]); }
    else if (key === " " && !onControl) { e.preventDefault(); step(e.shiftKey ? -1 : 1); }
    else if (key === "Home" && !onControl) { e.preventDefault(); show(0); }
    else if (key === "End" && !onControl) { e.preventDefault(); show(shown.length - 1); }
    else if (key === "o" || key === "O") { e.preventDefault(); overview.hidden ? openOverview() : closeOverview(); }
    else if (key === "s" || key === "S") { e.preventDefault(); openNotes(); }
    else if (key === "f" || key === "F") { e.preventDefault(); toggleFullscreen(); }
    else if (key === "c" || key === "C") { e.preventDefault(); window.pageCode.setHidden(!root.classList.contains("hide-code")); }
    else if (key === "p" || key === "P" || key === "Escape") { e.preventDefault(); leave(); }
  }
  document.addEventListener("keydown", onKey);

  /* a horizontal swipe (touch or pen) moves one slide; a vertical one is left to scrolling */
  let swipe = null;
  deck.addEventListener("pointerdown", (e) => {
    if (e.pointerType !== "mouse") swipe = { x: e.clientX, y: e.clientY, id: e.pointerId };
  });
  deck.addEventListener("pointercancel", () => { swipe = null; });
  deck.addEventListener("pointerup", (e) => {
    if (!swipe || e.pointerId !== swipe.id) return;
    const dx = e.clientX - swipe.x;
    const dy = e.clientY - swipe.y;
    swipe = null;
    if (Math.abs(dx) > 50 && Math.abs(dx) > 1.5 * Math.abs(dy)) step(dx < 0 ? 1 : -1);
  });

  presentButton.addEventListener("click", () => (presenting() ? leave() : enter(plan)));
  $("#deck-prev").addEventListener("click", () => step(-1));
  $("#deck-next").addEventListener("click", () => step(1));
  $("#deck-leave").addEventListener("click", leave);
  $("#deck-fullscreen").addEventListener("click", toggleFullscreen);
  $("#deck-notes-button").addEventListener("click", openNotes);
  $("#deck-overview-button").addEventListener("click", () => (overview.hidden ? openOverview() : closeOverview()));
  planSelect.addEventListener("change", () => {
    const current = shown[index];
    choose(Number(planSelect.value));
    const kept = shown.indexOf(current);
    show(kept >= 0 ? kept : 0, { focus: false });
  });
  document.addEventListener("codevisibility", () => {
    if (!presenting()) return;
    const current = shown[index];
    choose(plan);
    const kept = shown.indexOf(current);
    show(kept >= 0 ? kept : Math.min(index, shown.length - 1), { focus: false });
  });
  let resizeQueued = false;
  window.addEventListener("resize", () => {
    if (!presenting() || resizeQueued) return;
    resizeQueued = true;
    requestAnimationFrame(() => { resizeQueued = false; drawCharts(shown[index]); });
  });

  /* #present, #present=60 or #present=90&slide=reward-pair opens the deck there */
  function fromHash() {
    const found = /^#present(?:=(\d+))?(?:&slide=([\w-]+))?$/.exec(location.hash);
    if (found) enter(Number(found[1]) || fullPlan, found[2]);
  }
  window.addEventListener("hashchange", () => { if (!presenting()) fromHash(); });
  fromHash();
  window.pageDeck = { enter, leave, show, toggleSplit, current: () => shown[index], shown: () => shown.slice() };
})();
