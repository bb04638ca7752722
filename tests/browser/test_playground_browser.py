"""The playground in real headless Chromium: lazy loading, parity with NumPy, every control, keyboard,
phone width, the slides, print, accessibility; offline and without console errors."""

from __future__ import annotations

import math
import re

import pytest

from generator import format as fmt

from ..conftest import quick_course
from .pages import AXE, open_page

pytestmark = pytest.mark.browser

READY = "#playground[data-playground=ready]"
PROBABILITY, REWARD = 0.002, 0.01     # parity with NumPy's reference outputs (absolute)
STAGE_NAMES = {stage: text["name"] for stage, text in quick_course().teaching["stages"].items()}


def load(loaded) -> None:
    loaded.page.evaluate("document.getElementById('playground').scrollIntoView({behavior: 'instant'})")
    loaded.page.wait_for_selector(READY, state="attached", timeout=10_000)


@pytest.fixture(scope="module")
def pg(browser, quick_build):
    loaded = open_page(browser, quick_build, 1440, 900)
    yield loaded
    assert loaded.requests == [], "the playground made a network request"
    assert loaded.errors == [], "the playground wrote a console error"
    loaded.close()


def models(run: dict, kind: str = "language") -> list[dict]:
    return [m for m in run["playground"]["models"] if m["kind"] == kind]


def test_the_models_load_only_when_the_section_comes_near(pg):
    page = pg.page
    assert page.evaluate("scrollY") == 0
    assert pg.js("document.getElementById('playground').dataset.playground") is None
    assert pg.js("performance.getEntriesByName('playground-ready').length") == 0
    heights = ("Array.from(document.querySelectorAll('#playground .pg-live > *'))"
               ".map(e => e.getBoundingClientRect().height)")
    before = pg.js(heights)
    load(pg)
    assert pg.js(heights) == before, "loading the models must not move the page"
    assert "models ready" in page.text_content("#pg-status")


def test_the_page_computes_what_numpy_computed_with_the_shipped_weights(pg, quick_build):
    ref = quick_build.run["playground"]["reference"]
    worst_p = worst_r = 0.0
    for text in ref["texts"]:
        assert pg.js("t => window.playground.tokenize(t)", text["text"]) == text["tokens"], text["text"]
        for name, top in text["next"].items():
            mine = pg.js("([m, t]) => window.playground.topTokens(m, t, 5)", [name, text["text"]])
            assert [t["id"] for t in mine] == [t["id"] for t in top], (name, text["text"])
            assert [t["token"] for t in mine] == [t["token"] for t in top]
            worst_p = max(worst_p, *(abs(a["p"] - b["p"]) for a, b in zip(mine, top)))
            greedy = pg.js("([m, t]) => window.playground.generate(m, t, 16)", [name, text["text"]])
            assert greedy["ids"] == text["greedy"][name], (name, text["text"])
    for r in ref["rewards"]:
        worst_r = max(worst_r, abs(pg.js("([q, a]) => window.playground.reward(q, a)", [r["prompt"], r["answer"]])
                                   - r["score"]))
    assert worst_p <= PROBABILITY and worst_r <= REWARD
    for name, answer in ref["chat"]["answers"].items():
        assert pg.js("([m, q]) => window.playground.chat(m, q)", [name, ref["chat"]["question"]]) == answer, name
    print(f"parity: probabilities within {worst_p:.2e}, rewards within {worst_r:.2e}")


def test_typing_updates_the_tokens_and_every_stages_bars(pg, quick_build):
    page = pg.page
    load(pg)
    text = "The kidneys"
    page.fill("#pg-text", text)
    tokens = pg.js("t => window.playground.tokenize(t)", text)
    assert page.locator("#pg-chips .pg-chip").count() == len(tokens)
    assert page.locator("#pg-chips .pg-chip-id").all_text_contents() == [str(t["id"]) for t in tokens]
    tables = page.locator("#pg-bars .pg-stage")
    assert tables.count() == len(models(quick_build.run))
    for i, m in enumerate(models(quick_build.run)):
        table = tables.nth(i)
        assert table.get_attribute("data-model") == m["name"]
        top = pg.js("([m, t]) => window.playground.topTokens(m, t, 5)", [m["name"], text])
        assert table.locator(".pg-p").all_text_contents() == [fmt.pct(t["p"]) for t in top]
        assert table.locator(".stage-label").text_content() == STAGE_NAMES[m["stage"]]
    unknown = "€"
    page.fill("#pg-text", f"{text}{unknown}")
    assert page.locator("#pg-chips .pg-unknown").count() == 1
    assert "outside the vocabulary" in page.text_content("#pg-token-note")


def test_temperature_and_top_k_reshape_the_bars(pg, quick_build):
    page = pg.page
    load(pg)
    page.fill("#pg-text", quick_build.run["playground"]["reference"]["texts"][1]["text"])
    first = models(quick_build.run)[0]["name"]
    page.fill("#pg-temperature", "0.5")
    sharp = pg.js("([m, t]) => window.playground.topTokens(m, t, 10, 0.5)", [first, page.input_value("#pg-text")])
    bars = page.locator("#pg-bars .pg-stage").first.locator(".pg-p")
    assert bars.all_text_contents() == [fmt.pct(t["p"]) for t in sharp[:5]]
    assert "0.5" in page.text_content("#pg-temperature-note")
    page.select_option("#pg-topk", "10")
    assert bars.count() == 10
    page.select_option("#pg-topk", "5")
    page.fill("#pg-temperature", "1")


def test_a_bar_appends_its_token_and_undo_takes_it_back(pg):
    page = pg.page
    load(pg)
    page.fill("#pg-text", "The")
    button = page.locator("#pg-bars .pg-stage").first.locator(".pg-token-button").first
    token = pg.js("window.playground.topTokens(document.querySelector('#pg-bars .pg-stage').dataset.model, 'The', 1)")
    button.focus()
    page.keyboard.press("Enter")                                   # the keyboard is enough
    assert page.input_value("#pg-text") == "The" + token[0]["token"]
    page.click("#pg-undo")
    assert page.input_value("#pg-text") == "The"
    page.locator("#pg-bars .pg-stage").first.locator(".pg-bar").first.click()     # the bar itself, as the text says
    assert page.input_value("#pg-text") == "The" + token[0]["token"]
    page.click("#pg-undo")
    sizes = pg.js("Array.from(document.querySelectorAll('#pg-bars .pg-token-button, .pg-att-token'))"
                  ".map(b => { const r = b.getBoundingClientRect(); return Math.min(r.width, r.height); })")
    assert sizes and min(sizes) >= 24, "a tap target under WCAG 2.2's 24 px"


def test_seeded_generation_repeats_and_another_seed_differs(pg):
    page = pg.page
    load(pg)
    page.fill("#pg-text", "The")
    page.fill("#pg-seed", "7")

    def generate() -> str:
        page.click("#pg-generate")
        page.wait_for_selector("#pg-generate:not([disabled])")
        written = page.input_value("#pg-text")
        page.click("#pg-undo")
        return written

    first, again = generate(), generate()
    assert first == again and len(first) > len("The") + 10
    page.fill("#pg-seed", "8")
    assert generate() != first
    timed = pg.js("window.playground.generate(document.getElementById('pg-gen-model').value, 'The', 60, {seed: 1})")
    assert len(timed["ids"]) == 60


def test_attention_heatmaps_follow_a_token_by_mouse_and_keyboard(pg, quick_build):
    page = pg.page
    load(pg)
    page.fill("#pg-text", "The kidneys clear it")
    arch = quick_build.run["playground"]["architecture"]
    assert page.locator("#pg-heatmaps canvas").count() == arch["n_layer"] * arch["n_head"]
    strip = page.locator("#pg-att-tokens button")
    n = strip.count()
    assert n == len([t for t in pg.js("t => window.playground.tokenize(t)", "The kidneys clear it")])
    assert strip.nth(n - 1).get_attribute("aria-pressed") == "true"
    strip.nth(n - 1).focus()
    page.keyboard.press("Home")
    assert strip.nth(0).get_attribute("aria-pressed") == "true"
    assert page.locator("#pg-att-readout p").text_content().startswith("Token 1,")
    page.keyboard.press("ArrowRight")
    assert strip.nth(1).get_attribute("aria-pressed") == "true"
    lines = page.locator("#pg-att-readout li").all_text_contents()
    assert len(lines) == arch["n_layer"] * arch["n_head"]
    for line in lines:                      # token 2 can look at tokens 1 and 2 only, and its weights sum to 1
        shares = [float(x) for x in re.findall(r"([\d.]+)%", line)]
        assert len(shares) == 2 and abs(sum(shares) - 100) < 0.2, line
    page.hover("#pg-heatmaps canvas >> nth=0", position={"x": 5, "y": 5})
    assert strip.nth(0).get_attribute("aria-pressed") == "true"


def test_the_reward_scorer_scores_live_and_applies_bradley_terry(pg, quick_build):
    page = pg.page
    load(pg)
    pair = quick_build.run["reward"]["pairs"][2]["id"]
    page.select_option("#pg-pair", pair)
    prompt, a, b = (page.input_value(s) for s in ("#pg-prompt", "#pg-answer-a", "#pg-answer-b"))
    r_a = pg.js("([q, x]) => window.playground.reward(q, x)", [prompt, a])
    r_b = pg.js("([q, x]) => window.playground.reward(q, x)", [prompt, b])
    assert page.text_content("#pg-score-a") == f"r_A = {fmt.score(r_a)}"
    assert page.text_content("#pg-score-b") == f"r_B = {fmt.score(r_b)}"
    assert fmt.pct(1 / (1 + math.exp(-(r_a - r_b)))) in page.text_content("#pg-verdict")
    page.fill("#pg-answer-b", a)                                   # the same answer twice: a tie
    assert "= 50%" in page.text_content("#pg-verdict")


def test_fool_the_judge_flips_with_the_builds_own_edits(pg, quick_build):
    found = quick_build.run["playground"]["fool_the_judge"]
    page = pg.page
    load(pg)
    page.click("#pg-judge-start")
    assert page.input_value("#pg-pair") == found["pair"]
    assert "0 word edits" in page.text_content("#pg-judge-status")
    page.fill("#pg-answer-a", found["chosen_after"])
    page.fill("#pg-answer-b", found["rejected_after"])
    status = page.text_content("#pg-judge-status")
    assert status.startswith("Fooled") == found["flipped"], status
    assert f"{len(found['edits'])} word edit" in status


def test_every_stage_answers_the_chat_in_the_template(pg, quick_build):
    page = pg.page
    load(pg)
    ref = quick_build.run["playground"]["reference"]["chat"]
    page.fill("#pg-question", ref["question"])
    page.click("#pg-ask")
    cards = page.locator("#pg-chat .pg-chat-card")
    cards.nth(len(models(quick_build.run)) - 1).wait_for()
    for i, m in enumerate(models(quick_build.run)):
        card = cards.nth(i)
        assert card.get_attribute("data-model") == m["name"]
        assert card.locator(".gen").text_content() == (ref["answers"][m["name"]].replace("\n", "↵")
                                                       or "(an empty answer)")
        assert fmt.score(ref["scores"][m["name"]]) in card.text_content()


def test_the_guessing_game_scores_a_guess_by_the_models_probability(pg, quick_build):
    page = pg.page
    load(pg)
    choices = page.locator("#pg-game-choices button")
    assert choices.count() == 4
    choices.first.focus()
    page.keyboard.press("Enter")
    reveal = page.text_content("#pg-game-reveal")
    assert "The model gave your guess" in reveal and "right token" in reveal
    assert page.locator("#pg-game-reveal .pg-stage tbody tr").count() == 5
    assert "of 1 right" in page.text_content("#pg-game-score")
    assert page.locator("#pg-game-choices .pg-right").count() == 1
    page.keyboard.press("Enter")                                   # focus is on "Next token"
    assert page.locator("#pg-game-choices button:not([disabled])").count() == 4


@pytest.mark.parametrize("width", [1440, 390])
def test_axe_finds_nothing_in_the_playground(browser, quick_build, width):
    loaded = open_page(browser, quick_build, width, 900)
    try:
        load(loaded)
        loaded.page.click("#pg-ask")
        loaded.page.locator("#pg-game-choices button").first.click()
        loaded.page.evaluate(AXE.read_text(encoding="utf-8"))
        result = loaded.page.evaluate("axe.run({include: [['#playground']]}, {resultTypes: ['violations']})")
        assert [(v["id"], [n["target"] for n in v["nodes"]][:3]) for v in result["violations"]] == []
        assert loaded.errors == [] and loaded.requests == []
    finally:
        loaded.close()


def test_on_a_phone_nothing_in_the_playground_is_wider_than_the_screen(browser, quick_build):
    loaded = open_page(browser, quick_build, 390, 844)
    try:
        load(loaded)
        loaded.page.click("#pg-ask")
        loaded.page.locator("#pg-chat .pg-chat-card").first.wait_for()
        wide = loaded.js("""Array.from(document.querySelectorAll('#playground *')).filter(e =>
            e.getBoundingClientRect().right > document.documentElement.clientWidth + 1 && e.checkVisibility()
            && !e.closest('.scroll-box')).map(e => e.tagName + '.' + e.className)""")
        assert wide == []
        shots = quick_build.out.parent / "screenshots"
        shots.mkdir(exist_ok=True)
        top = loaded.js("document.getElementById('playground').getBoundingClientRect().top + scrollY")
        loaded.page.screenshot(path=str(shots / "playground-390.png"), full_page=True,
                               clip={"x": 0, "y": top, "width": 390, "height": 2400})
    finally:
        loaded.close()


def test_print_shows_a_static_snapshot_instead_of_the_widget(pg, quick_build):
    page = pg.page
    page.emulate_media(media="print")
    try:
        assert page.locator("#playground .pg-live").is_hidden()
        snapshot = page.locator("#playground .pg-snapshot")
        assert snapshot.is_visible()
        first = quick_build.run["playground"]["reference"]["texts"][0]
        table = snapshot.locator("table").first
        assert first["text"] in table.locator("caption").text_content()
        for m in models(quick_build.run):
            assert fmt.pct(first["next"][m["name"]][0]["p"]) in table.text_content()
    finally:
        page.emulate_media(media="screen")


def test_the_try_it_slide_runs_the_models_and_leads_to_the_playground(browser, quick_build):
    loaded = open_page(browser, quick_build, 1920, 1080, fragment="#present=180&slide=playground-try")
    try:
        page = loaded.page
        page.wait_for_selector(".slide.is-current[data-slide=playground-try]", timeout=5_000)
        page.wait_for_selector(READY, state="attached", timeout=10_000)
        bars = page.locator(".slide.is-current .pg-stage")
        bars.first.wait_for()
        assert bars.count() == len(models(quick_build.run))
        page.click("#pg-slide-text")
        page.keyboard.press("End")
        page.keyboard.type(" t")
        page.keyboard.press("ArrowRight")                           # typing never moves the slides
        assert loaded.js("document.querySelector('.slide.is-current').dataset.slide") == "playground-try"
        text = page.input_value("#pg-slide-text")
        top = loaded.js("([m, t]) => window.playground.topTokens(m, t, 5)", [models(quick_build.run)[0]["name"], text])
        assert bars.first.locator(".pg-p").all_text_contents() == [fmt.pct(t["p"]) for t in top]
        # a presenter's clicker sends PageDown/PageUp: they still move the slides from the field
        page.keyboard.press("PageDown")
        assert loaded.js("document.querySelector('.slide.is-current').dataset.slide") != "playground-try"
        page.keyboard.press("PageUp")
        assert loaded.js("document.querySelector('.slide.is-current').dataset.slide") == "playground-try"
        page.click("#pg-slide-text")
        page.keyboard.press("Escape")                               # Escape leaves the field, not the deck
        assert loaded.js("document.documentElement.classList.contains('presenting')")
        assert loaded.js("document.activeElement.id") != "pg-slide-text"
        page.click(".slide.is-current a[data-pg-open]")
        assert not loaded.js("document.documentElement.classList.contains('presenting')")
        assert loaded.js("document.activeElement.id") == "pg-text"
        assert loaded.errors == [] and loaded.requests == []
    finally:
        loaded.close()
