/* The playground: the run's own models, live in the page (the forward pass is playground_model.js).
   The weights are decoded lazily, when the section comes near the screen or is first used, so the
   playground never delays the first paint.

   Test hook, for the browser tests and the bench (documented in README.md):
     window.playground.ready()                        -> Promise: the models are decoded
     window.playground.tokenize(text)                 -> [{id, text}], id null for a character outside the vocabulary
     window.playground.topTokens(model, text, k = 5, temperature = 1) -> Promise<[{id, token, p}]>
     window.playground.reward(prompt, answer)         -> Promise<number>: the reward model's score
     window.playground.generate(model, text, n, {seed, temperature, k}) -> Promise<{ids, text, ms}> (greedy without a seed)
     window.playground.chat(model, question)          -> Promise<string>: the greedy answer, as the Chat part writes it
     window.playground.timings()                      -> {updates, painted}: per keystroke in the text box, ms from the
                                                         input event to the tokens and bars updated, and to the next frame
   `model` is a model's name in the run (metrics.json playground.models[].name). */
(() => {
  "use strict";
  const section = document.getElementById("playground");
  if (!section || !window.TinyGPT) return;
  const T = window.TinyGPT;
  const $ = (id) => document.getElementById(id);
  const data = JSON.parse($("playground-data").textContent);
  const cfg = data.architecture;
  const tokenizer = new T.Tokenizer(data.vocab, data.merges, data.special);
  const info = new Map(data.models.map((m) => [m.name, m]));
  const languageModels = data.models.filter((m) => m.kind === "language");
  const judgeInfo = data.models.find((m) => m.kind === "reward");
  const stopIds = new Set([data.chat.end, data.chat.end_of_text].map((t) => tokenizer.ids.get(t)));
  const GENERATE_TOKENS = 60;
  const ATTENTION_WINDOW = data.attention_window;     // the heatmaps show the last this many tokens
  const status = $("pg-status");
  const timings = { updates: [], painted: [] };

  /* ---------- numbers as format.py writes them */
  const pct = (x) => { const v = 100 * x; return Math.abs(v - Math.round(v)) < 0.05 ? `${v.toFixed(0)}%` : `${v.toFixed(1)}%`; };
  const score = (x) => x.toFixed(3).replace("-", "\u2212");
  const signed = (x) => (x >= 0 ? "+" : "\u2212") + Math.abs(x).toFixed(3);
  const shown = (text) => text.replace(/ /g, "\u2423").replace(/\n/g, "\u21b5");      // ␣ for a space, ↵ for a line break
  const quoted = (text) => `\u201c${shown(text)}\u201d`;
  const spoken = (text) => text.replace(/ /g, " space ").replace(/\n/g, " line break ").replace(/\s+/g, " ").trim();   // for screen readers
  const sigmoid = (x) => 1 / (1 + Math.exp(-x));
  const el = (tag, props = {}, ...children) => {
    const node = Object.assign(document.createElement(tag), props);
    for (const child of children) node.append(child);
    return node;
  };

  /* ---------- lazy loading */
  let models = null;
  function load() {
    if (models) return models;
    const started = performance.now();
    const weights = JSON.parse($("playground-weights").textContent);
    models = new Map();
    for (const m of data.models) {
      const w = T.decodeWeights(weights[m.name]);
      models.set(m.name, m.kind === "language" ? new T.GPT(cfg, w) : new T.RewardModel(cfg, w));
    }
    const ms = performance.now() - started;
    status.textContent = `${models.size} models ready, decoded in ${Math.round(ms)} ms.`;
    section.dataset.decodeMs = ms.toFixed(1);
    return models;
  }
  const ids = (text) => tokenizer.tokens(text).filter((t) => t.id !== null).map((t) => t.id).slice(-cfg.block_size);
  const lm = (name) => { const m = load().get(name); if (!(m instanceof T.GPT)) throw new Error(`${name} is not a language model`); return m; };
  const bodyOf = (name) => { const m = load().get(name); return m instanceof T.GPT ? m : m.body; };

  /* ---------- 1. tokens and next-token bars */
  const text = $("pg-text");
  const chips = $("pg-chips");
  const temperature = $("pg-temperature");
  const topk = $("pg-topk");
  const caches = new Map();            // model name -> the KV cache of the text box, reused while the text grows
  const cacheOf = (name) => { if (!caches.has(name)) caches.set(name, bodyOf(name).newCache()); return caches.get(name); };
  const undo = [];

  function renderChips(tokens) {
    chips.replaceChildren(...tokens.map((t, i) => el("span",
      { className: `pg-chip t${i % 6}${t.id === null ? " pg-unknown" : ""}`, title: t.id === null ? "Not in the vocabulary: the models skip it" : `token ${t.id}` },
      el("span", { className: "pg-chip-text", textContent: shown(t.text) }),
      el("span", { className: "pg-chip-id", textContent: t.id === null ? "?" : String(t.id) }))));
    const unknown = tokens.filter((t) => t.id === null).map((t) => t.text);
    const known = tokens.length - unknown.length;
    $("pg-token-note").textContent = `${known} token${known === 1 ? "" : "s"}` +
      (unknown.length ? `; ${unknown.length} character${unknown.length === 1 ? "" : "s"} outside the vocabulary (${[...new Set(unknown)].join(" ")}), flagged and skipped by the models` : "") +
      (known > cfg.block_size ? `; the models read the last ${cfg.block_size}, their context window` : "") + ".";
  }

  /* One stage's top-k next tokens as a table: token, bar, probability. With onPick, each token is a
     button (the bars of the text box append their token; the game's bars are for reading only). */
  function barTable(m, p, k, onPick = null) {
    const rows = T.topK(p, k).map((c) => {
      const token = data.vocab[c.id];
      const label = onPick
        ? el("button", { type: "button", className: "pg-token-button", textContent: shown(token), onclick: () => onPick(token),
                         ariaLabel: `Append ${spoken(token)}, ${pct(c.p)}` })
        : el("span", { className: "pg-token-text", textContent: shown(token) });
      const fill = el("span", { className: "pg-bar-fill" });
      fill.style.width = `${(100 * c.p).toFixed(1)}%`;
      const row = el("tr", onPick ? { className: "pg-pick-row" } : {}, el("th", { scope: "row" }, label),
        el("td", {}, el("span", { className: "pg-bar", ariaHidden: "true" }, fill), el("span", { className: "pg-p", textContent: pct(c.p) })));
      /* a click anywhere on the row picks its token, as "click a bar" says; the button alone takes the keyboard */
      if (onPick) row.addEventListener("click", (e) => { if (!e.target.closest("button")) onPick(token); });
      return row;
    });
    const panel = el("div", { className: "pg-stage" }, el("table", { className: "pg-bar-table" },
      el("caption", {}, el("span", { className: "stage-label", textContent: m.label }),
        el("span", { className: "pg-caption-note", textContent: " · next token" })),
      el("thead", {}, el("tr", {}, el("th", { scope: "col", textContent: "Token" }), el("th", { scope: "col", textContent: "Probability" }))),
      el("tbody", {}, ...rows)));
    panel.dataset.stage = m.stage;
    panel.dataset.model = m.name;
    return panel;
  }

  function renderBars(logits) {
    const t = Number(temperature.value);
    const k = Number(topk.value);
    $("pg-bars").replaceChildren(...languageModels.map((m) =>
      barTable(m, logits.has(m.name) ? T.softmax(logits.get(m.name), t) : [], k, append)));
    $("pg-temperature-value").textContent = t.toFixed(1);
    const first = languageModels.find((m) => logits.has(m.name));
    if (!first) { $("pg-temperature-note").textContent = "Type some text to see the bars."; return; }
    const atOne = T.topK(T.softmax(logits.get(first.name), 1), 1)[0];
    const here = T.softmax(logits.get(first.name), t)[atOne.id];
    $("pg-temperature-note").textContent = `Temperature divides the logits before the softmax: below 1 the bars sharpen, above 1 they flatten. ` +
      `Here the ${first.label} model's top token ${quoted(data.vocab[atOne.id])} has ${pct(atOne.p)} at temperature 1` +
      (t === 1 ? "." : ` and ${pct(here)} at ${t.toFixed(1)}.`);
  }

  let lastLogits = new Map();
  function update(event) {
    const started = event && event.timeStamp ? event.timeStamp : performance.now();
    const tokens = tokenizer.tokens(text.value);
    renderChips(tokens);
    const input = tokens.filter((t) => t.id !== null).map((t) => t.id).slice(-cfg.block_size);
    lastLogits = new Map();
    if (input.length) {
      for (const m of languageModels) {
        const model = lm(m.name);
        lastLogits.set(m.name, model.logits(model.read(input, cacheOf(m.name))));
      }
    }
    renderBars(lastLogits);
    focusToken = null;                       // new text: follow its last token
    renderAttention();
    timings.updates.push(performance.now() - started);
    requestAnimationFrame(() => setTimeout(() => timings.painted.push(performance.now() - started), 0));
  }

  function append(piece) {
    undo.push(text.value);
    $("pg-undo").disabled = false;
    text.value += piece;
    update();
  }

  const nextFrame = () => new Promise((resolve) => requestAnimationFrame(() => resolve()));
  const reducedMotion = () => window.matchMedia("(prefers-reduced-motion: reduce)").matches;
  let generating = false;
  async function generateIntoText() {
    if (generating) return;
    generating = true;
    const button = $("pg-generate");
    button.disabled = true;
    const name = $("pg-gen-model").value;
    const model = lm(name);
    const greedy = $("pg-gen-mode").value === "greedy";
    const options = { temperature: Number(temperature.value), k: Number(topk.value),
                      random: greedy ? null : T.seeded(Number($("pg-seed").value) || 0) };
    undo.push(text.value);
    $("pg-undo").disabled = false;
    const cache = cacheOf(name);
    let h = model.read(ids(text.value), cache);
    for (let i = 0; i < GENERATE_TOKENS && cache.length < cfg.block_size; i += 1) {
      const id = T.choose(model.logits(h), options);
      text.value += data.vocab[id];
      if (stopIds.has(id) || cache.length >= cfg.block_size) break;
      h = model.step(id, cache);
      if (i % 2 === 1 && !reducedMotion()) await nextFrame();     // two tokens a frame: students watch it write
    }
    update();
    say(`${info.get(name).label} wrote a continuation.`);
    button.disabled = false;
    generating = false;
  }

  /* ---------- 2. attention heatmaps */
  const attModel = $("pg-att-model");
  let focusToken = null;           // index (in the shown window) of the token being followed
  let attState = null;

  function attentionOf(name, input) {
    const cache = cacheOf(name);
    bodyOf(name).read(input, cache);
    return cache.attention;
  }

  function renderAttention() {
    const input = ids(text.value);
    const strip = $("pg-att-tokens");
    if (!input.length) {
      strip.replaceChildren();
      attState = null;
      for (const canvas of section.querySelectorAll(".pg-heatmap")) canvas.getContext("2d").clearRect(0, 0, canvas.width, canvas.height);
      $("pg-att-readout").replaceChildren();
      return;
    }
    const attention = attentionOf(attModel.value, input);
    const start = Math.max(0, input.length - ATTENTION_WINDOW);
    attState = { attention, start, input, n: input.length - start };
    if (focusToken === null || focusToken >= attState.n) focusToken = attState.n - 1;
    strip.replaceChildren(...input.slice(start).map((id, i) => el("button", {
      type: "button", className: "pg-att-token", textContent: shown(data.vocab[id]), tabIndex: i === focusToken ? 0 : -1,
      ariaPressed: String(i === focusToken), ariaLabel: `Token ${i + start + 1}: ${spoken(data.vocab[id])}`,
      onclick: () => followToken(i, false), onfocus: () => followToken(i, false),
      onkeydown: (e) => {
        const to = { ArrowRight: i + 1, ArrowLeft: i - 1, Home: 0, End: attState.n - 1 }[e.key];
        if (to === undefined) return;
        e.preventDefault();
        e.stopPropagation();                     // in presentation mode the arrows move along the tokens, not the slides
        followToken(Math.max(0, Math.min(attState.n - 1, to)), true);
      },
    })));
    drawHeatmaps(null);
    readout();
  }

  /* the heatmaps' canvases are in the page (one per layer and head); drawn at the screen's pixel density */
  for (const canvas of section.querySelectorAll(".pg-heatmap")) {
    canvas.width = canvas.height = Math.round(240 * Math.min(2, window.devicePixelRatio || 1));
    canvas.addEventListener("mousemove", (e) => { if (attState) hoverCell(e, canvas); });
    canvas.addEventListener("mouseleave", () => drawHeatmaps(null));
  }

  function followToken(i, focus) {
    focusToken = i;
    for (const [j, b] of Array.from($("pg-att-tokens").children).entries()) {
      b.tabIndex = j === i ? 0 : -1;
      b.ariaPressed = String(j === i);
      if (j === i && focus) b.focus();
    }
    drawHeatmaps(null);
    readout();
  }

  function hoverCell(event, canvas) {
    const rect = canvas.getBoundingClientRect();
    const row = Math.floor(((event.clientY - rect.top) / rect.height) * attState.n);
    const col = Math.floor(((event.clientX - rect.left) / rect.width) * attState.n);
    if (row < 0 || row >= attState.n) return;
    if (row !== focusToken) followToken(row, false);
    drawHeatmaps(col <= row ? col : null);
  }

  function drawHeatmaps(column) {
    if (!attState) return;
    const { attention, start, n } = attState;
    const colour = getComputedStyle(section).getPropertyValue("--pg-heat").trim() || "#7aa2ff";
    const chipsEls = Array.from($("pg-att-tokens").children);
    chipsEls.forEach((b, j) => b.classList.toggle("pg-att-key", j === column));
    for (const canvas of section.querySelectorAll(".pg-heatmap")) {
      const rows = attention[canvas.dataset.layer][canvas.dataset.head];
      const ctx = canvas.getContext("2d");
      const size = canvas.width;
      const cell = size / n;
      ctx.clearRect(0, 0, size, size);
      ctx.fillStyle = colour;
      for (let i = 0; i < n; i += 1) {
        const row = rows[start + i];
        for (let j = 0; j <= i; j += 1) {
          ctx.globalAlpha = Math.max(0.04, Math.sqrt(row[start + j]));   // square root: small weights stay visible
          ctx.fillRect(j * cell, i * cell, Math.ceil(cell), Math.ceil(cell));
        }
      }
      ctx.globalAlpha = 1;
      ctx.strokeStyle = "#ffffff";
      ctx.lineWidth = 2;
      if (focusToken !== null) ctx.strokeRect(1, focusToken * cell + 1, (focusToken + 1) * cell - 2, cell - 2);
      if (column !== null && column !== undefined) ctx.strokeRect(column * cell + 1, 1, cell - 2, (focusToken + 1) * cell - 2);
    }
  }

  function readout() {
    if (!attState || focusToken === null) return;
    const { attention, start, input } = attState;
    const t = start + focusToken;
    const lines = [];
    for (let l = 0; l < cfg.n_layer; l += 1) {
      for (let h = 0; h < cfg.n_head; h += 1) {
        const row = attention[l][h][t];
        const top = T.topK(Array.from(row), 3).map((c) => `${quoted(data.vocab[input[c.id]])} (token ${c.id + 1}) ${pct(c.p)}`);
        lines.push(el("li", { textContent: `Layer ${l + 1}, head ${h + 1}: ${top.join(", ")}` }));
      }
    }
    const window = start ? ` (the heatmaps show the last ${input.length - start} of ${input.length} tokens)` : "";
    $("pg-att-readout").replaceChildren(
      el("p", { textContent: `Token ${t + 1}, ${quoted(data.vocab[input[t]])}, looks most at${window}:` }), el("ul", {}, ...lines));
  }

  /* ---------- 3. the reward model as judge */
  const pair = $("pg-pair");
  const prompt = $("pg-prompt");
  const answerA = $("pg-answer-a");
  const answerB = $("pg-answer-b");
  const judgeCaches = { A: null, B: null };
  let challenge = null;          // {a, b}: the answers the challenge started from

  function chatText(q, a) { return `${data.chat.user}${q}${data.chat.assistant}${a}${data.chat.end}`; }
  function rewardOf(q, a, side) {
    const judge = load().get(judgeInfo.name);
    if (side && !judgeCaches[side]) judgeCaches[side] = judge.body.newCache();
    return judge.score(ids(chatText(q, a)), side ? judgeCaches[side] : undefined);
  }

  function scoreAnswers() {
    if (!judgeInfo) return;
    const rA = rewardOf(prompt.value, answerA.value, "A");
    const rB = rewardOf(prompt.value, answerB.value, "B");
    const pA = sigmoid(rA - rB);
    $("pg-score-a").textContent = `r_A = ${score(rA)}`;
    $("pg-score-b").textContent = `r_B = ${score(rB)}`;
    $("pg-pref-bar").style.width = `${(100 * pA).toFixed(1)}%`;
    const unknown = tokenizer.tokens(prompt.value + answerA.value + answerB.value).filter((t) => t.id === null).length;
    $("pg-verdict").textContent = `P(A preferred) = σ(r_A − r_B) = σ(${signed(rA - rB)}) = ${pct(pA)}: ` +
      (pA > 0.5 ? "the judge prefers A." : pA < 0.5 ? "the judge prefers B." : "a tie.") +
      (unknown ? ` ${unknown} character${unknown === 1 ? "" : "s"} outside the vocabulary ${unknown === 1 ? "is" : "are"} skipped.` : "");
    if (challenge) challengeStatus(pA);
  }

  function choosePair() {
    const p = data.pairs.find((x) => x.id === pair.value);
    challenge = null;
    $("pg-judge-status").textContent = "";
    if (p) { prompt.value = p.prompt; answerA.value = p.chosen; answerB.value = p.rejected; }
    $("pg-role-a").textContent = p ? "(the expert's choice)" : "";
    $("pg-role-b").textContent = p ? "(rejected)" : "";
    scoreAnswers();
  }

  function wordEdits(before, after) {            // word-level edit distance: words added, deleted or changed
    const a = before.split(/\s+/).filter(Boolean);
    const b = after.split(/\s+/).filter(Boolean);
    let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
    for (let i = 1; i <= a.length; i += 1) {
      const row = [i];
      for (let j = 1; j <= b.length; j += 1) row[j] = Math.min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = row;
    }
    return prev[b.length];
  }

  function challengeStatus(pA) {
    const edits = wordEdits(challenge.a, answerA.value) + wordEdits(challenge.b, answerB.value);
    $("pg-judge-status").textContent = pA < 0.5
      ? `Fooled: with ${edits} word edit${edits === 1 ? "" : "s"} the judge now prefers the rejected answer (P(A preferred) = ${pct(pA)}). Did the rejected answer become right?`
      : `${edits} word edit${edits === 1 ? "" : "s"} so far; the judge still prefers the expert's answer (P(A preferred) = ${pct(pA)}).`;
  }

  function startChallenge() {
    pair.value = data.judge.pair;
    choosePair();
    challenge = { a: answerA.value, b: answerB.value };
    scoreAnswers();
    answerB.focus();
  }

  /* ---------- 4. chat with each stage */
  function answer(name, question) {
    const model = lm(name);
    const out = T.generate(model, ids(`${data.chat.user}${question}${data.chat.assistant}`), data.chat.max_tokens, { stop: stopIds });
    return tokenizer.decode(out.filter((id) => !stopIds.has(id)));
  }

  async function ask() {
    const question = $("pg-question").value;
    const box = $("pg-chat");
    box.replaceChildren();
    for (const m of languageModels) {
      const reply = answer(m.name, question);
      const card = el("div", { className: "pg-chat-card" },
        el("p", { className: "pg-kicker" }, el("span", { className: "stage-label", textContent: m.label })),
        el("p", { className: "gen", textContent: reply.replace(/\n/g, "\u21b5") || "(an empty answer)" }));
      if (judgeInfo) card.append(el("p", { className: "small", textContent: `Reward model's score: ${score(rewardOf(question, reply))}` }));
      card.dataset.stage = m.stage;
      card.dataset.model = m.name;
      box.append(card);
      await nextFrame();
    }
    say("Every stage has answered.");
  }

  /* ---------- 5. guess the next token */
  const game = { sentence: -1, position: 1, you: 0, model: 0, points: 0, guesses: 0, ids: [] };

  function newSentence(focus = true) {
    game.sentence = (game.sentence + 1) % data.game.length;
    Object.assign(game, { position: 1, you: 0, model: 0, points: 0, guesses: 0, ids: tokenizer.tokens(data.game[game.sentence]).map((t) => t.id) });
    showRound(focus);
  }

  function showRound(focus = true) {
    const sofar = tokenizer.decode(game.ids.slice(0, game.position));
    $("pg-game-text").replaceChildren(el("span", { className: "pg-kicker", textContent: `Sentence ${game.sentence + 1} of ${data.game.length} · ` }),
      el("span", { className: "gen", textContent: sofar }), el("span", { className: "pg-cursor", ariaHidden: "true", textContent: "▌" }));
    $("pg-game-reveal").replaceChildren();
    const model = lm($("pg-game-model").value);
    const p = T.softmax(model.logits(model.read(game.ids.slice(0, game.position), model.newCache())));
    const truth = game.ids[game.position];
    const wrong = T.topK(p, 4).map((c) => c.id).filter((id) => id !== truth).slice(0, 3);
    const random = T.seeded(1000 * game.sentence + game.position);
    const options = [truth, ...wrong].map((id) => ({ id, key: random() })).sort((a, b) => a.key - b.key).map((o) => o.id);
    $("pg-game-choices").replaceChildren(...options.map((id) => {
      const button = el("button", { type: "button", className: "btn pg-choice", textContent: shown(data.vocab[id]),
                                    ariaLabel: `Guess ${spoken(data.vocab[id])}`, onclick: () => guess(id, p, truth) });
      button.dataset.id = id;
      return button;
    }));
    if (focus) $("pg-game-choices").querySelector("button").focus({ preventScroll: true });
    scoreLine();
  }

  function guess(id, p, truth) {
    const top = T.topK(p, 1)[0].id;
    game.guesses += 1;
    game.points += p[id];
    if (id === truth) game.you += 1;
    if (top === truth) game.model += 1;
    for (const b of $("pg-game-choices").children) {
      b.disabled = true;
      b.classList.toggle("pg-right", Number(b.dataset.id) === truth);
      b.classList.toggle("pg-wrong", Number(b.dataset.id) === id && id !== truth);
    }
    const m = info.get($("pg-game-model").value);
    const reveal = barTable(m, p, 5);
    const more = game.position + 1 < game.ids.length;
    $("pg-game-reveal").replaceChildren(
      el("p", { textContent: `${id === truth ? "Right" : "Not this time"}: the next token is ${quoted(data.vocab[truth])}. ` +
        `The model gave your guess ${pct(p[id])} and the right token ${pct(p[truth])}; its own top guess was ${quoted(data.vocab[top])}.` }),
      reveal,
      el("button", { type: "button", className: "btn", textContent: more ? "Next token" : "Next sentence", onclick: () => { if (more) { game.position += 1; showRound(); } else newSentence(); } }));
    $("pg-game-reveal").querySelector("button.btn").focus({ preventScroll: true });
    scoreLine();
  }

  function scoreLine() {
    $("pg-game-score").textContent = game.guesses
      ? `You: ${game.you} of ${game.guesses} right, ${game.points.toFixed(2)} points (the model's probabilities of your guesses). The model's top guess: ${game.model} of ${game.guesses} right.`
      : "Pick the token you think comes next.";
  }

  /* ---------- the deck's try-it slide: the same bars, big enough for the back of the room (its markup is
     built when the slide is first shown: wireSlide, below) */
  let slideWidget = null;
  const slideCaches = new Map();
  function updateSlide() {
    if (!slideWidget) return;
    const input = $("pg-slide-text");
    const tokens = ids(input.value);
    const pick = (token) => { input.value += token; updateSlide(); };
    $("pg-slide-bars").replaceChildren(...languageModels.map((m) => {
      if (!tokens.length) return barTable(m, [], 5, pick);
      const model = lm(m.name);
      if (!slideCaches.has(m.name)) slideCaches.set(m.name, model.newCache());
      return barTable(m, T.softmax(model.logits(model.read(tokens, slideCaches.get(m.name)))), 5, pick);
    }));
  }
  /* a link into the playground from a slide leaves the slides first */
  function wireOpen(link) {
    link.addEventListener("click", (e) => {
      if (!window.pageDeck || !document.documentElement.classList.contains("presenting")) return;
      e.preventDefault();
      window.pageDeck.leave();
      const target = document.getElementById(link.getAttribute("href").slice(1));
      window.pageLanding.land(target);
      text.focus({ preventScroll: true });
    });
  }
  for (const link of document.querySelectorAll("a[data-pg-open]")) wireOpen(link);

  /* ---------- wiring: load near the screen or on first use; never before */
  const live = $("live");
  const say = (message) => { if (live) { live.textContent = ""; setTimeout(() => { live.textContent = message; }, 30); } };
  let started = false;
  /* The page already shows NumPy's numbers for the first text and pair; starting draws the heatmaps,
     fills the text box's caches and deals the game's first round. */
  function start() {
    if (started) return;
    started = true;
    status.textContent = "Loading the models…";
    load();
    update();
    if (data.game.length) newSentence(false);
    section.dataset.playground = "ready";
    performance.mark("playground-ready");
  }
  const nearby = (callback) => new IntersectionObserver((entries, observer) => {
    if (entries.some((e) => e.isIntersecting)) { observer.disconnect(); setTimeout(callback, 0); }
  }, { rootMargin: "600px 0px" });
  nearby(start).observe(section);
  section.addEventListener("focusin", start);
  section.addEventListener("pointerdown", start);
  /* the slide: wired once its markup is built (page.js announces that with a "pagebuilt" event); its
     bars are drawn when it is first shown */
  function wireSlide(scope) {
    const widget = scope.querySelector("[data-pg-slide]");
    if (!widget || slideWidget) return;
    slideWidget = widget;
    nearby(() => { start(); updateSlide(); }).observe(slideWidget);
    $("pg-slide-text").addEventListener("input", () => { start(); updateSlide(); });
    for (const link of scope.querySelectorAll("a[data-pg-open]")) wireOpen(link);
  }
  wireSlide(document);
  document.addEventListener("pagebuilt", (e) => wireSlide(e.target));

  text.addEventListener("input", (e) => { start(); update(e); });
  temperature.addEventListener("input", () => { start(); renderBars(lastLogits); });
  topk.addEventListener("change", () => { start(); renderBars(lastLogits); });
  $("pg-generate").addEventListener("click", () => { start(); generateIntoText(); });
  $("pg-undo").addEventListener("click", () => {
    if (!undo.length) return;
    text.value = undo.pop();
    $("pg-undo").disabled = !undo.length;
    update();
  });
  attModel.addEventListener("change", () => { start(); renderAttention(); });
  pair.addEventListener("change", () => { start(); choosePair(); });
  for (const box of [prompt, answerA, answerB]) box.addEventListener("input", () => { start(); scoreAnswers(); });
  if ($("pg-judge-start")) $("pg-judge-start").addEventListener("click", () => { start(); startChallenge(); });
  $("pg-ask").addEventListener("click", () => { start(); ask(); });
  $("pg-question").addEventListener("keydown", (e) => { if (e.key === "Enter") { e.preventDefault(); start(); ask(); } });
  $("pg-game-new").addEventListener("click", () => { start(); newSentence(); });
  $("pg-game-model").addEventListener("change", () => { start(); showRound(false); });
  window.addEventListener("resize", () => drawHeatmaps(null));

  /* ---------- the test hook */
  window.playground = {
    ready: async () => { load(); return true; },
    tokenize: (t) => tokenizer.tokens(t),
    topTokens: async (name, t, k = 5, temp = 1) => {
      const model = lm(name);
      const p = T.softmax(model.logits(model.read(ids(t), model.newCache())), temp);
      return T.topK(p, k).map((c) => ({ id: c.id, token: data.vocab[c.id], p: c.p }));
    },
    reward: async (q, a) => rewardOf(q, a),
    generate: async (name, t, n, { seed = null, temperature: temp = 1, k = Infinity } = {}) => {
      const model = lm(name);
      const begun = performance.now();
      const out = T.generate(model, ids(t), n, { temperature: temp, k, random: seed === null ? null : T.seeded(seed) });
      return { ids: out, text: tokenizer.decode(out), ms: performance.now() - begun };
    },
    chat: async (name, question) => answer(name, question),
    timings: () => ({ updates: timings.updates.slice(), painted: timings.painted.slice() }),
  };
})();
