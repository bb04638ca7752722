/* The course's tokenizer and GPT in plain JavaScript, forward pass only: read it beside
   generator/training/tokenizer.py and generator/training/model.py. It runs the float16 weights the
   page ships, one token at a time with a KV cache, as model.generate does in NumPy.
   Shapes as in model.py: C = embedding width, H = heads, hs = C / H, V = vocabulary size.
   Vectors are Float32Arrays; a (R, K) matrix is one Float32Array of R * K numbers, row after row. */
window.TinyGPT = (() => {
  "use strict";

  /* ---------- tokenizer.py: byte-pair encoding, replaying the merges in the order they were learned */
  class Tokenizer {
    constructor(vocab, merges, specialTokens) {
      this.vocab = vocab;                                   // token id -> text
      this.merges = merges;                                 // [[a, b], ...] in learned order
      this.ids = new Map(vocab.map((text, id) => [text, id]));
      this.firstMergedId = vocab.length - merges.length;    // merge r made token firstMergedId + r
      const escaped = specialTokens.map((t) => t.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
      this.special = new RegExp("(" + escaped.join("|") + ")");
      this.specialTokens = new Set(specialTokens);
    }

    /* Text -> [{id, text}]: special tokens whole, BPE tokens between them. A character outside the
       vocabulary becomes its own token with id null (the models skip it); merges never cross it. */
    tokens(text) {
      const out = [];
      for (const piece of text.split(this.special)) {
        if (!piece) continue;
        if (this.specialTokens.has(piece)) { out.push({ id: this.ids.get(piece), text: piece }); continue; }
        let run = "";
        for (const ch of piece) {                           // for...of walks characters, not UTF-16 halves
          if (this.ids.has(ch)) { run += ch; continue; }
          out.push(...this.known(run), { id: null, text: ch });
          run = "";
        }
        out.push(...this.known(run));
      }
      return out;
    }

    known(text) {
      return this.encodePlain(text).map((id) => ({ id, text: this.vocab[id] }));
    }

    /* tokenizer._encode_plain: characters first, then every merge in the order it was learned */
    encodePlain(text) {
      let ids = Array.from(text, (ch) => this.ids.get(ch));
      this.merges.forEach(([a, b], rank) => {
        if (ids.length < 2) return;
        const merged = [];
        for (let i = 0; i < ids.length; i += 1) {
          if (i + 1 < ids.length && ids[i] === a && ids[i + 1] === b) { merged.push(this.firstMergedId + rank); i += 1; }
          else merged.push(ids[i]);
        }
        ids = merged;
      });
      return ids;
    }

    decode(ids) { return ids.map((id) => this.vocab[id]).join(""); }
  }

  /* ---------- the shipped weights: float16, little-endian, base64 -> Float32Array */
  function base64Bytes(text) {
    if (Uint8Array.fromBase64) return Uint8Array.fromBase64(text);
    const binary = atob(text);
    const bytes = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i += 1) bytes[i] = binary.charCodeAt(i);
    return bytes;
  }
  function half(bits) {                                      // IEEE 754 binary16 -> number
    const sign = bits & 0x8000 ? -1 : 1;
    const exponent = (bits >> 10) & 0x1f;
    const fraction = bits & 0x3ff;
    if (exponent === 0) return sign * fraction * 2 ** -24;                  // subnormal
    if (exponent === 31) return fraction ? NaN : sign * Infinity;
    return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
  }
  function decodeFloat16(base64) {
    const bytes = base64Bytes(base64);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const out = new Float32Array(bytes.byteLength / 2);
    for (let i = 0; i < out.length; i += 1) out[i] = half(view.getUint16(2 * i, true));
    return out;
  }
  /* {path: {shape, float16}} -> {path: Float32Array} */
  function decodeWeights(tensors) {
    const out = {};
    for (const [path, t] of Object.entries(tensors)) out[path] = decodeFloat16(t.float16);
    return out;
  }

  /* ---------- the building blocks (model.py's Linear, LayerNorm, GELU) on one position */
  /* a[i0..i0+n) · b[j0..j0+n); four running sums let the processor overlap the multiplications */
  function dot(a, i0, b, j0, n) {
    let s0 = 0, s1 = 0, s2 = 0, s3 = 0, i = 0;
    for (; i + 3 < n; i += 4) {
      s0 += a[i0 + i] * b[j0 + i];
      s1 += a[i0 + i + 1] * b[j0 + i + 1];
      s2 += a[i0 + i + 2] * b[j0 + i + 2];
      s3 += a[i0 + i + 3] * b[j0 + i + 3];
    }
    for (; i < n; i += 1) s0 += a[i0 + i] * b[j0 + i];
    return s0 + s1 + s2 + s3;
  }
  function linear(x, layer, nIn, nOut) {                     // x @ weight + bias: (nIn,) -> (nOut,)
    const y = new Float32Array(nOut);                        // weightT is (nOut, nIn): output j's weights side by side
    for (let j = 0; j < nOut; j += 1) y[j] = layer.bias[j] + dot(x, 0, layer.weightT, j * nIn, nIn);
    return y;
  }
  function transposed(w, rows, cols) {                       // (rows, cols) -> (cols, rows), row after row
    const t = new Float32Array(w.length);
    for (let r = 0; r < rows; r += 1) for (let c = 0; c < cols; c += 1) t[c * rows + r] = w[r * cols + c];
    return t;
  }
  function layerNorm(x, layer, eps) {                        // zero mean, unit variance, then scale and shift
    const n = x.length;
    let mean = 0;
    for (let i = 0; i < n; i += 1) mean += x[i];
    mean /= n;
    let variance = 0;
    for (let i = 0; i < n; i += 1) variance += (x[i] - mean) ** 2;
    const invStd = 1 / Math.sqrt(variance / n + eps);
    const y = new Float32Array(n);
    for (let i = 0; i < n; i += 1) y[i] = (x[i] - mean) * invStd * layer.weight[i] + layer.bias[i];
    return y;
  }
  const GELU_C = Math.sqrt(2 / Math.PI);
  function gelu(x) {                                         // tanh approximation, as in GPT-2 (autograd.py)
    const y = new Float32Array(x.length);
    for (let i = 0; i < x.length; i += 1) {
      const v = x[i];
      y[i] = 0.5 * v * (1 + Math.tanh(GELU_C * (v + 0.044715 * v * v * v)));
    }
    return y;
  }
  function add(x, y) { for (let i = 0; i < x.length; i += 1) x[i] += y[i]; return x; }

  /* ---------- model.KVCache: the keys and values of every token read so far, per layer and head */
  class KVCache {
    constructor(cfg) {
      const hs = cfg.n_embd / cfg.n_head;
      const slots = () => Array.from({ length: cfg.n_head }, () => new Float32Array(cfg.block_size * hs));
      this.keys = Array.from({ length: cfg.n_layer }, slots);        // [layer][head]: (block_size, hs)
      this.values = Array.from({ length: cfg.n_layer }, slots);
      this.attention = Array.from({ length: cfg.n_layer }, () => Array.from({ length: cfg.n_head }, () => []));
      this.ids = [];                                                  // the tokens read, in order
      this.hidden = [];                                               // the final hidden state at each position
    }
    get length() { return this.ids.length; }                          // the position of the next token
    /* Forget every position from n on (the text changed there); what came before stays valid,
       because a position only ever looks back. */
    truncate(n) {
      this.ids.length = Math.min(n, this.ids.length);
      this.hidden.length = this.ids.length;
      for (const layer of this.attention) for (const rows of layer) rows.length = this.ids.length;
    }
  }

  /* ---------- model.py: Rotary, CausalSelfAttention, MLP, Block, GPT, RewardModel */
  class GPT {
    constructor(cfg, w, prefix = "") {
      this.cfg = cfg;
      this.C = cfg.n_embd;
      this.hs = cfg.n_embd / cfg.n_head;
      const norm = (name) => ({ weight: w[`${name}.weight`], bias: w[`${name}.bias`] });                   // LayerNorm
      // Linear: model.py multiplies x @ weight (nIn, nOut); kept here transposed, (nOut, nIn) as PyTorch stores
      // it, so that each output is one dot product over contiguous numbers
      const dense = (name, nIn, nOut) => ({ weightT: transposed(w[`${name}.weight`], nIn, nOut), bias: w[`${name}.bias`] });
      this.tokEmb = w[`${prefix}tok_emb`];                                      // (V, C)
      this.blocks = Array.from({ length: cfg.n_layer }, (_, l) => {
        const b = `${prefix}blocks.${l}`;
        const C = this.C;
        return { ln1: norm(`${b}.ln1`), qkv: dense(`${b}.attn.qkv`, C, 3 * C), proj: dense(`${b}.attn.proj`, C, C),
                 ln2: norm(`${b}.ln2`), up: dense(`${b}.mlp.up`, C, 4 * C), down: dense(`${b}.mlp.down`, 4 * C, C) };
      });
      this.lnF = norm(`${prefix}ln_f`);
      // Rotary: channel pair (j, j + hs/2) of a query or key at position t turns by the angle t * freq[j]
      this.freq = Array.from({ length: this.hs / 2 }, (_, j) => cfg.rope_base ** (-(2 * j) / this.hs));
    }

    newCache() { return new KVCache(this.cfg); }

    rotate(x, t) {                                           // (hs,) at position t -> rotated (hs,)
      const half = this.hs / 2;
      const y = new Float32Array(this.hs);
      for (let j = 0; j < half; j += 1) {
        const cos = Math.cos(t * this.freq[j]);
        const sin = Math.sin(t * this.freq[j]);
        y[j] = x[j] * cos - x[j + half] * sin;               // (x1, x2) -> (x1 cos - x2 sin, x2 cos + x1 sin)
        y[j + half] = x[j + half] * cos + x[j] * sin;
      }
      return y;
    }

    /* CausalSelfAttention for the newest position t: its query looks at the keys of positions 0..t */
    attend(x, layer, cache) {
      const { C, hs } = this;
      const block = this.blocks[layer];
      const qkv = linear(x, block.qkv, C, 3 * C);           // (3C,) query, key and value side by side
      const t = cache.length;
      const y = new Float32Array(C);                        // the heads' outputs, side by side
      for (let h = 0; h < this.cfg.n_head; h += 1) {
        const q = this.rotate(qkv.subarray(h * hs, (h + 1) * hs), t);                // what it looks for
        const k = this.rotate(qkv.subarray(C + h * hs, C + (h + 1) * hs), t);        // what it offers
        const keys = cache.keys[layer][h];
        const values = cache.values[layer][h];
        keys.set(k, t * hs);                                // the cache grows by this position
        values.set(qkv.subarray(2 * C + h * hs, 2 * C + (h + 1) * hs), t * hs);
        for (let j = 0; j < hs; j += 1) q[j] /= Math.sqrt(hs);                       // q * (1 / sqrt(hs))
        const scores = new Float32Array(t + 1);             // scaled dot products with positions 0..t
        let max = -Infinity;
        for (let s = 0; s <= t; s += 1) {
          scores[s] = dot(q, 0, keys, s * hs, hs);
          if (scores[s] > max) max = scores[s];
        }
        let sum = 0;
        for (let s = 0; s <= t; s += 1) { scores[s] = Math.exp(scores[s] - max); sum += scores[s]; }
        for (let s = 0; s <= t; s += 1) scores[s] /= sum;   // softmax: the attention weights
        cache.attention[layer][h][t] = scores;
        const out = y.subarray(h * hs, (h + 1) * hs);       // this head's channels of y
        for (let s = 0; s <= t; s += 1) {                   // mix the values by those weights
          const weight = scores[s];
          for (let j = 0, at = s * hs; j < hs; j += 1) out[j] += weight * values[at + j];
        }
      }
      return linear(y, block.proj, C, C);
    }

    /* One new token through the model (GPT.hidden_states with a cache): its final hidden state (C,) */
    step(id, cache) {
      const { C, cfg } = this;
      if (cache.length >= cfg.block_size) throw new RangeError("the context window is full");
      let x = this.tokEmb.slice(id * C, (id + 1) * C);      // (C,) the token's embedding
      this.blocks.forEach((block, layer) => {
        x = add(x, this.attend(layerNorm(x, block.ln1, cfg.layer_norm_eps), layer, cache));
        const up = gelu(linear(layerNorm(x, block.ln2, cfg.layer_norm_eps), block.up, C, 4 * C));
        x = add(x, linear(up, block.down, 4 * C, C));
      });
      const h = layerNorm(x, this.lnF, cfg.layer_norm_eps);
      cache.ids.push(id);
      cache.hidden.push(h);
      return h;
    }

    /* Read ids into the cache, reusing what it already holds of the same opening. */
    read(ids, cache) {
      let same = 0;
      while (same < cache.length && same < ids.length && cache.ids[same] === ids[same]) same += 1;
      if (same === ids.length && same > 0) same -= 1;         // recompute the last position: its output is needed
      cache.truncate(same);
      for (let i = same; i < ids.length; i += 1) this.step(ids[i], cache);
      return cache.hidden[cache.length - 1];
    }

    /* The tied output layer: h @ tok_emb^T, next-token logits (V,) */
    logits(h) {
      const { C } = this;
      const V = this.cfg.vocab_size;
      const out = new Float32Array(V);
      for (let v = 0; v < V; v += 1) out[v] = dot(h, 0, this.tokEmb, v * C, C);
      return out;
    }
  }

  /* model.RewardModel: the fine-tuned transformer with a scalar head on its final token */
  class RewardModel {
    constructor(cfg, w) {
      this.body = new GPT(cfg, w, "body.");
      this.head = { weight: w["head.weight"], bias: w["head.bias"] };
    }
    score(ids, cache = this.body.newCache()) {
      const h = this.body.read(ids, cache);                  // (C,) the final token's hidden state
      return this.head.bias[0] + dot(h, 0, this.head.weight, 0, h.length);   // head: (C, 1)
    }
  }

  /* ---------- turning logits into choices */
  function softmax(logits, temperature = 1) {                // probabilities (V,), at a temperature
    let max = -Infinity;
    for (const v of logits) max = Math.max(max, v);
    const p = Array.from(logits, (v) => Math.exp((v - max) / temperature));
    const sum = p.reduce((a, b) => a + b, 0);
    return p.map((v) => v / sum);
  }
  function topK(p, k) {                                      // the k most likely ids, likeliest first (ties: smaller id)
    return p.map((value, id) => ({ id, p: value })).sort((a, b) => b.p - a.p || a.id - b.id).slice(0, k);
  }
  /* A seeded random number generator (mulberry32): the same seed gives the same samples. */
  function seeded(seed) {
    let a = seed >>> 0;
    return () => {
      a = (a + 0x6d2b79f5) >>> 0;
      let t = a;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }
  /* Greedy without a random generator, else a sample among the k likeliest tokens at the temperature. */
  function choose(logits, { temperature = 1, k = Infinity, random = null } = {}) {
    if (!random || temperature <= 0) return topK(Array.from(logits), 1)[0].id;
    const candidates = topK(softmax(logits, temperature), k);
    const total = candidates.reduce((a, c) => a + c.p, 0);
    let u = random() * total;
    for (const c of candidates) { u -= c.p; if (u <= 0) return c.id; }
    return candidates[candidates.length - 1].id;
  }
  /* model.generate for one prompt: continue `ids` by up to n tokens, stopping after a token in `stop`. */
  function generate(model, ids, n, options = {}, cache = model.newCache()) {
    const out = [];
    let h = model.read(ids, cache);
    while (out.length < n && cache.length < model.cfg.block_size) {
      const id = choose(model.logits(h), options);
      out.push(id);
      if (options.stop && options.stop.has(id)) break;
      if (out.length < n && cache.length < model.cfg.block_size) h = model.step(id, cache);
    }
    return out;
  }

  return { Tokenizer, GPT, RewardModel, KVCache, decodeWeights, softmax, topK, seeded, choose, generate };
})();
