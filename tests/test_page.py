"""Static checks of the infographic page built from a real quick run (no browser)."""

from __future__ import annotations

import base64
import copy
import dataclasses
import gzip
import hashlib
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from generator import format as fmt
from generator.content import load_course
from generator.page import page_view
from generator.render import PAGE, SECTIONS, STAGE_CODE, build_view, environment
from generator.source import locate

from . import fixture_runs as fx
from .conftest import CONTENT

MAX_BYTES = 2_500_000
TEMPLATES = Path(__file__).parent.parent / "templates" / "page"
NUMBER = re.compile(r'<span class="n" data-m="([^"]+)">([^<]*)</span>')


class Tags(HTMLParser):
    """Every start tag with its attributes, and the text inside each <script>."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.scripts: list[tuple[dict, str]] = []
        self._script: dict | None = None

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag == "script":
            self._script = dict(attrs)
            self.scripts.append((self._script, ""))

    def handle_data(self, data):
        if self._script is not None:
            attrs, text = self.scripts[-1]
            self.scripts[-1] = (attrs, text + data)

    def handle_endtag(self, tag):
        if tag == "script":
            self._script = None


def parse(html: str) -> Tags:
    tags = Tags()
    tags.feed(html)
    return tags


def render_page(course, run) -> str:
    view = build_view(course, run)
    env = environment("page")
    return env.get_template("page/index.html.j2").render(**view, **page_view(view, env))


@pytest.fixture(scope="module")
def page(quick_build) -> str:
    return quick_build.text(PAGE)


@pytest.fixture(scope="module")
def course():
    return load_course(CONTENT)


def test_page_is_small_enough_to_email(quick_build):
    assert (quick_build.out / PAGE).stat().st_size <= MAX_BYTES


def test_page_loads_nothing_from_outside(page):
    tags = parse(page)
    assert not re.search(r"https?://|ftp://|//[a-z0-9.-]+\.[a-z]{2,}/", page, re.IGNORECASE)
    assert not [t for t, a in tags.tags if t in ("link", "iframe", "object", "embed", "img", "audio", "video")]
    assert not [a for t, a in tags.tags if "src" in a]
    assert all(a["href"].startswith("#") for t, a in tags.tags if "href" in a)


def test_content_security_policy_allows_only_the_page_own_code(page):
    csp = next(a["content"] for t, a in parse(page).tags
               if t == "meta" and a.get("http-equiv") == "Content-Security-Policy")
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert directives["default-src"] == "'none'"
    assert directives["connect-src"] == "'none'"
    assert "unsafe" not in directives["script-src"] and "*" not in directives["script-src"]
    executed = [text for attrs, text in parse(page).scripts if "type" not in attrs]
    assert len(executed) == 6   # first_screen.js in <head>; page.js, charts.js, deck.js, the playground's two
    allowed = set(directives["script-src"].split())
    digests = {"'sha256-" + base64.b64encode(hashlib.sha256(code.encode()).digest()).decode() + "'"
               for code in executed}
    assert digests <= allowed
    # the unpacked Plotly (its compile hint, then the vendored file) is allowed by its own hash, inline or
    # from a blob: URL whose integrity attribute carries that hash; nothing else is allowed
    from generator.assets import COMPILE_HINT, plotly_bundle, plotly_path
    raw = gzip.decompress(base64.b64decode(plotly_bundle().payload))
    assert raw == COMPILE_HINT + plotly_path().read_bytes()
    assert plotly_bundle().sha256 == "'sha256-" + base64.b64encode(hashlib.sha256(raw).digest()).decode() + "'"
    assert allowed == digests | {plotly_bundle().sha256}
    packed = next(attrs for attrs, _ in parse(page).scripts if attrs.get("id") == "plotly-gz")
    assert f"'{packed['data-integrity']}'" == plotly_bundle().sha256


def test_every_chart_has_its_static_drawing(page):
    """What prints, and what a browser without Plotly shows (generator/chartsvg.py)."""
    from generator.charts import CHARTS
    for name in CHARTS:
        figure = re.search(rf'<figure class="chart-figure[^"]*" id="figure-{name}">.*?</figure>', page, re.DOTALL)
        assert figure and '<svg class="chart-static"' in figure.group(0), name


def test_sections_in_order_with_their_titles(page):
    ids = re.findall(r'<section class="section[^"]*" id="([^"]+)"', page)
    assert ids == [sid for sid, _ in SECTIONS]
    for sid, title in SECTIONS:
        assert f'href="#{sid}"' in page
        assert title.replace("'", "&#39;") in page


def test_every_marked_number_is_the_run_value_through_format(page, quick_build):
    shown = NUMBER.findall(page)
    assert len(shown) > 40
    summary = quick_build.run["summary"]
    for key, text in shown:
        assert text == fmt.metric(summary, key), key
    keys = {k for k, _ in shown}
    for key in ("pretrain.initial_loss", "pretrain.final_val_loss", "pretrain.bigram_val_loss",
                "sft.final_token_accuracy", "reward.heldout_accuracy", "reward.final_margin",
                "reward.length_baseline_accuracy", "theory.ln_vocab", "theory.ln_2"):
        assert key in keys


def test_data_tables_show_the_run_series(page, quick_build):
    run = quick_build.run
    cells = re.findall(r"<td>([^<]*)</td>", page)
    text = "".join(f"<td>{c}</td>" for c in cells)
    for e in run["pretrain"]["evals"]:
        assert f"<td>{fmt.integer(e['step'])}</td><td>{fmt.integer(e['tokens_seen'])}</td>" \
               f"<td>{fmt.loss(e['val_loss'])}</td><td>{fmt.perplexity(e['perplexity'])}</td>" in text
    steps = "".join(f"<tr><td>{fmt.integer(i)}</td><td>{fmt.loss(v)}</td></tr>"
                    for i, v in enumerate(run["pretrain"]["train_loss"]))
    assert steps in page
    margins = "".join(f"<tr><td>{fmt.integer(i)}</td><td>{fmt.signed(v)}</td></tr>"
                      for i, v in enumerate(run["reward"]["history"]["rewards/margins"]))
    assert margins in page
    for p in run["reward"]["pairs"]:
        assert f"<td>{p['id']}</td><td>{fmt.score(p['chosen_score'])}</td><td>{fmt.score(p['rejected_score'])}</td>" \
               f"<td>{fmt.signed(p['margin'])}</td>" in page
        assert f'<td class="num {"pos" if p["heldout_margin"] > 0 else "neg"}" data-label="Margin, held out">' \
               f'{fmt.signed(p["heldout_margin"])}</td>' in page


def test_numbers_move_with_the_seed(quick_build, other_seed_build):
    a, b = quick_build.text(PAGE), other_seed_build.text(PAGE)
    shown_a, shown_b = dict(NUMBER.findall(a)), dict(NUMBER.findall(b))
    moved = 0
    for key in shown_a:
        fa = fmt.metric(quick_build.run["summary"], key)
        fb = fmt.metric(other_seed_build.run["summary"], key)
        assert (shown_a[key], shown_b[key]) == (fa, fb)
        moved += fa != fb
    assert moved >= 5
    chart = re.compile(r'<script type="application/json" id="chart-data">(.*?)</script>', re.DOTALL)
    assert chart.search(a).group(1) != chart.search(b).group(1)


def test_code_excerpts_quote_real_files_and_lines(page):
    for symbols in STAGE_CODE.values():
        for symbol in symbols:
            ex = locate(symbol)
            assert f"{ex.path}:{ex.start}-{ex.end}" in page
            first = re.search(rf'id="code-{re.escape(symbol.replace(".", "-").replace("_", "-"))}-body"'
                              r'.*?<span class="linenos">\s*(\d+)</span>', page, re.DOTALL)
            assert first and int(first.group(1)) == ex.start, symbol


def test_the_category_menu_lists_categories_in_the_order_the_pairs_use_them(page, course):
    """Not in a set's order, which changes with PYTHONHASHSEED (tests/test_reproducible.py builds elsewhere too)."""
    menu = re.search(r'<select id="pair-category">(.*?)</select>', page, re.DOTALL).group(1)
    first_seen = []
    for pair in course.preferences:
        if pair.category not in first_seen:
            first_seen.append(pair.category)
    assert len(first_seen) >= 3
    assert re.findall(r'<option value="([^"]*)">', menu) == ["", *[c.replace("'", "&#39;") for c in first_seen]]


def _domain_words(course) -> set[str]:
    """Words that belong to the pharmacy course and must come only from content."""
    words = {"pharmac", "metformin", "warfarin", "egfr", "renal", "clinical", "patient", "drug",
             "dose", "dosing", "nsaid", "kidney", "prescri", "formulary", "medic"}
    words.add(course.meta["domain"].lower())
    words.update(p.category.lower() for p in course.preferences)
    words.update(prompt.lower() for prompt in course.case.sample_prompts)
    return words


def test_templates_hold_no_domain_text(course):
    words = _domain_words(course)
    for path in sorted(TEMPLATES.rglob("*")):
        if path.is_file():
            text = path.read_text(encoding="utf-8").lower()
            assert not [w for w in words if w in text], path


def test_disclaimer_is_visible_near_the_top(page, course):
    disclaimer = course.teaching["disclaimer"].replace("'", "&#39;")
    first = page.find(disclaimer)
    assert 0 < first < page.find('id="pretraining"')
    assert 'class="disclaimer" role="note"' in page


PAYLOAD = ('<script>alert(1)</script><img src=x onerror=alert(2)>"\'{{ 7*7 }}{% raw %}'
           '[click](javascript:alert(3)) </script><style>')


def _poison(value):
    """Put the payload into every string of a structure."""
    if isinstance(value, str):
        return value + PAYLOAD
    if isinstance(value, list):
        return [_poison(v) for v in value]
    if isinstance(value, tuple):
        return tuple(_poison(v) for v in value)
    if isinstance(value, dict):   # stage names are keys into the course, not text
        return {k: v if k == "stage" else _poison(v) for k, v in value.items()}
    return value


def test_hostile_content_is_shown_as_text(quick_build, course):
    hostile = dataclasses.replace(
        course, meta=_poison(course.meta), teaching=_poison(course.teaching),
        production=_poison(course.production),
        preferences=tuple(dataclasses.replace(p, **{f: getattr(p, f) + PAYLOAD for f in
                                                    ("id", "prompt", "chosen", "rejected", "rationale")})
                          for p in course.preferences))
    run = copy.deepcopy(quick_build.run)
    run["case"] = {k: v + PAYLOAD if isinstance(v, str) else v for k, v in run["case"].items()}
    for sample in run["pretrain"]["samples"]:
        sample["text"] += PAYLOAD
        sample["prompt"] += PAYLOAD
    for answer in run["sft"]["answers"]:
        for key in ("question", "expert", "before", "after"):
            answer[key] += PAYLOAD
    for pair in run["reward"]["pairs"]:
        pair["id"] += PAYLOAD
        pair["category"] += PAYLOAD
    run["tokenizer"]["sample"] = [t + PAYLOAD for t in run["tokenizer"]["sample"][:5]]
    playground = run["playground"]
    playground["game"]["sentences"] = [t + PAYLOAD for t in playground["game"]["sentences"]]
    for text in playground["reference"]["texts"]:
        text["text"] += PAYLOAD
        for top in text["next"].values():
            top[0]["token"] += PAYLOAD
    for edit in playground["fool_the_judge"]["edits"]:
        edit["word"] += PAYLOAD
    html = render_page(hostile, run)

    tags = parse(html)
    from generator.assets import plotly_bundle
    assert not [t for t, a in tags.tags if t == "img"]
    assert len([t for t, a in tags.tags if t == "style"]) == 2 + len(plotly_bundle().style_ids)   # page and playground
    assert not [(t, k) for t, a in tags.tags for k in a if k.startswith("on")]
    assert all(a["href"].startswith("#") for t, a in tags.tags if "href" in a)
    scripts = [attrs.get("type") for attrs, _ in tags.scripts]
    assert scripts == [None, "application/json", "application/octet-stream", None, None, None,   # our scripts and data
                       "application/json", "application/json", None, None]
    assert "alert(1)</script>" not in html
    assert html.count("{{ 7*7 }}") > 50     # template syntax in content stays text
    assert html.count("&lt;script&gt;alert(1)&lt;/script&gt;") > 50


def test_outcome_prose_follows_the_numbers(quick_build, course):
    run = quick_build.run
    p = run["summary"]["pretrain"]
    worse = render_page(course, fx.edited(run, pretrain__final_val_loss=p["initial_loss"] + 0.1))
    better = render_page(course, fx.edited(run, pretrain__final_val_loss=p["bigram_val_loss"] - 0.1))
    assert "rose from" in worse and "not yet below even the unigram baseline" in worse
    assert "That is below the bigram baseline" in better
    assert "rose from" not in better.split('id="sft"')[0]

    flipped = copy.deepcopy(run)
    flipped["case"]["specific_score"], flipped["case"]["vague_score"] = (
        min(run["case"]["vague_score"], run["case"]["specific_score"]) - 0.5,
        max(run["case"]["vague_score"], run["case"]["specific_score"]))
    assert "does not score the specific answer above the vague reassurance" in render_page(course, flipped)

    faithful = fx.edited(run, sft__final_token_accuracy=0.99)   # a well-trained model, word for word
    for answer in faithful["sft"]["answers"]:
        answer["after"] = answer["expert"]
    drifted = copy.deepcopy(faithful)
    next(a for a in drifted["sft"]["answers"] if not a["heldout"])["after"] = "Stop metf ce ce ce"
    assert 'id="sft-drift"' not in render_page(course, faithful)
    assert "1 of the" in render_page(course, drifted).split('id="sft-drift"')[1][:400]
    undertrained = fx.edited(drifted, sft__final_token_accuracy=0.4)   # it never learned them: said so, by count
    trained = [a for a in undertrained["sft"]["answers"] if not a["heldout"] and not a["dev"]]
    caveat = render_page(course, undertrained).split('id="sft-drift"')[1][:600]
    assert "Why the answers are not the demonstrations" in caveat and "drift into" not in caveat
    assert f"writes only {len(trained) - 1} of the demonstrations back word for word" in caveat

    twin = copy.deepcopy(run)       # the model's own answer: the reference with one word changed, scored far lower
    twin["case"]["sft_answer"] = twin["case"]["specific_answer"].replace("Stop", "Halt", 1)
    twin["case"]["sft_answer_score"] = twin["case"]["specific_score"] - 2.0
    assert 'id="case-twin"' in render_page(course, twin)
    twin["case"]["sft_answer_score"] = twin["case"]["specific_score"] - 0.2    # close scores: nothing to flag
    assert 'id="case-twin"' not in render_page(course, twin)

    r = run["summary"]["reward"]
    losing = render_page(course, fx.edited(run, reward__heldout_accuracy=r["length_baseline_accuracy"],
                                               reward__heldout_mean_margin=-abs(r["heldout_mean_margin"])))
    assert f"The reward model's {fmt.pct(r['length_baseline_accuracy'])} beats it" not in losing
    assert "Against “the longer answer wins” alone, it is not distinguishable from that rule" in losing or \
        r["strongest_baseline"] == "length"
    assert "which does not favour the expert" in losing
