"""The two generated markdown documents: figures from the run, real code lines, clean markdown, working anchors."""

from __future__ import annotations

import copy
import dataclasses
import inspect
import math
import re
import shutil
import subprocess
from pathlib import Path

import markdown
import pytest

from generator import deck, figures, mdtext, render, textcharts
from generator import format as fmt
from generator.content import ContentError, load_course
from generator.render import ALIGNMENT, GUIDE, SECTIONS, STAGE_CODE, TEMPLATES, build_view, environment
from generator.source import PROJECT_ROOT, locate
from generator.training.optim import AdamW

from . import fixture_runs as fx

CONTENT = PROJECT_ROOT / "content"
NODE_TOOLS = PROJECT_ROOT / "tests" / "node"
MARKDOWNLINT = NODE_TOOLS / "node_modules" / ".bin" / "markdownlint-cli2"
DOCS = (GUIDE, ALIGNMENT)
FENCED_BLOCK = re.compile(r"^(`{3,})[^\n]*\n.*?^\1[ \t]*$", re.S | re.M)
CODE_REF = re.compile(r"`([\w.]+)` (?:at|in) `(generator/training/[\w/]+\.py):(\d+)-(\d+)`")
KEY_LINE = re.compile(r"^- `(generator/training/[\w/]+\.py):(\d+)`: (`+) ?(.+?) ?\3$", re.M)
GUIDE_LINK = re.compile(rf"\]\({re.escape(GUIDE)}#([^)]+)\)")


def render_docs(course, run) -> dict[str, str]:
    """Both docs for a course and a run, without training and without the page."""
    return render.render_docs(course, build_view(course, run))


def prose(text: str) -> str:
    """The document without its fenced code blocks."""
    return FENCED_BLOCK.sub("", text)


def section(text: str, heading: str) -> str:
    """The text under a level-2 heading, up to the next level-2 heading."""
    start = text.index(f"\n## {heading}\n")
    end = text.find("\n## ", start + 1)
    return text[start:end if end != -1 else None]


def table_rows(text: str) -> list[list[str]]:
    return [[cell.strip() for cell in line.strip().strip("|").split(" | ")]
            for line in text.splitlines() if line.startswith("| ") and not line.startswith("| ---")]


def concept_rows(text: str) -> list[list[str]]:
    """The rows of the concept table, each led by its number linked to the concept's section."""
    return [row for row in table_rows(section(text, "Document to code to output")) if re.match(r"\[\d+\]", row[0])]


def concept_section(text: str, concepts, symbol: str) -> str:
    """The text under the heading of the concept about `symbol`, up to the next heading."""
    number, concept = next((i, c) for i, c in enumerate(concepts, 1) if c.symbol == symbol)
    start = text.index(f"\n### {number}. {concept.concept}\n") + 1
    return text[start:re.compile(r"^#{2,3} ", re.M).search(text, start + 1).start()]


def github_anchors(markdown_text: str) -> dict[str, str]:
    """anchor -> heading text, by GitHub's rule, repeated headings numbered as GitHub numbers them."""
    seen: dict[str, int] = {}
    out = {}
    for _, heading in mdtext.headings(markdown_text):
        slug = github_slug(heading)
        out[f"{slug}-{seen[slug]}" if seen.get(slug) else slug] = heading
        seen[slug] = seen.get(slug, 0) + 1
    return out


def expected_figure(run: dict, key: str) -> str:
    """A derived concept figure, recomputed here from metrics.json (and AdamW's own defaults)."""
    s, cfg = run["summary"]["pretrain"], run["config"]
    V, C = cfg["model"]["vocab_size"], cfg["model"]["n_embd"]
    betas = inspect.signature(AdamW.__init__).parameters["betas"].default
    return {
        "model.embedding_parameters": fmt.integer(V * C),
        # everything but the embeddings and the final layer norm (a weight and a bias per channel), per block
        "model.block_parameters": fmt.integer((cfg["parameters"] - V * C - 2 * C) / cfg["model"]["n_layer"]),
        "pretrain.bigram_gap": fmt.signed(s["bigram_val_loss"] - s["final_val_loss"]),
        "pretrain.train_loss_fall": f"{fmt.loss(s['first_train_loss'])} → {fmt.loss(s['final_train_loss'])}",
        "pretrain.correct_token_probability": fmt.pct(math.exp(-s["final_val_loss"])),
        "pretrain.adamw": f"lr {fmt.number(cfg['pretrain']['lr'])}, betas {fmt.number(betas[0])} and "
                          f"{fmt.number(betas[1])}, weight decay {fmt.number(cfg['pretrain']['weight_decay'])}",
        "pretrain.lr_schedule": f"{fmt.number(cfg['pretrain']['lr'])} after {fmt.integer(cfg['pretrain']['warmup'])} "
                                f"warm-up steps, {fmt.number(run['pretrain']['evals'][-1]['lr'])} at the end",
    }[key]


@pytest.fixture(scope="module")
def builds(quick_build, other_seed_build):
    return (quick_build, other_seed_build)


# ---------------------------------------------------------------- figures come from the run


def test_guide_has_at_least_3000_words_of_prose(quick_build):
    words = len(prose(quick_build.text(GUIDE)).split())
    assert words >= 3000, f"the study guide has {words} words outside code blocks"


def test_run_at_a_glance_shows_every_figure_of_its_run(builds):
    for build in builds:
        rows = table_rows(section(build.text(GUIDE), "This run in numbers"))
        shown = {row[1]: row[2] for row in rows if len(row) == 3}
        for key, (_, label) in fmt.METRICS.items():
            assert shown[label] == fmt.metric(build.run["summary"], key), key


def test_concept_rows_show_their_runs_figure_and_real_code_lines(builds):
    course = load_course(CONTENT)
    assert 15 <= len(course.concepts) <= 30
    for build in builds:
        rows = concept_rows(build.text(ALIGNMENT))
        assert len(rows) == len(course.concepts)
        for concept, row in zip(course.concepts, rows):
            excerpt = locate(concept.symbol)
            assert row[4] == f"`{concept.symbol}` at `{excerpt.location}`"
            if concept.metric in fmt.METRICS:
                assert row[5] == fmt.METRICS[concept.metric][1]
                assert row[6] == fmt.metric(build.run["summary"], concept.metric), concept.concept
            else:
                assert row[5] == figures.FIGURES[concept.metric][0]
                assert row[6] == expected_figure(build.run, concept.metric), concept.concept


def test_each_concept_has_a_figure_of_its_own_that_shows_it():
    course = load_course(CONTENT)
    figure_of = {c.symbol: c.metric for c in course.concepts}
    assert len(set(figure_of.values())) == len(course.concepts), "two concepts show the same figure"
    # the four a reviewer flagged: each now shows its own idea at work, not a general figure
    assert figure_of["model.GPT.hidden_states"] == "model.embedding_parameters"
    assert figure_of["model.CausalSelfAttention.__call__"] == "pretrain.bigram_gap"
    assert figure_of["autograd.Tensor.backward"] == "pretrain.train_loss_fall"
    assert figure_of["optim.cosine_lr"] == "pretrain.lr_schedule"
    example = load_course(PROJECT_ROOT / "examples" / "food-safety")
    assert [c.metric for c in example.concepts] == [c.metric for c in course.concepts]


def test_concept_sections_measure_their_concept_in_this_run(builds):
    concepts = load_course(CONTENT).concepts
    for build in builds:
        text, run = build.text(ALIGNMENT), build.run
        cfg, model = run["config"], run["config"]["model"]
        for concept in concepts:
            body = concept_section(text, concepts, concept.symbol)
            for field in ("idea", "misconception", "in_class", "doc_ref"):
                assert getattr(concept, field) in body, (concept.concept, field)
            assert "**In this run.** " in body and "**Say in class:**" in body
        embeddings = concept_section(text, concepts, "model.GPT.hidden_states")
        V, C = model["vocab_size"], model["n_embd"]
        assert f"| V × C = {V} × {C} | {fmt.integer(V * C)} |" in embeddings
        assert "| Position (rotary embedding) | fixed angles, nothing learned | 0 |" in embeddings
        blocks = concept_section(text, concepts, "model.Block.__call__")
        assert f"exactly the {fmt.integer(cfg['parameters'])} parameters the run reports" in blocks
        schedule = concept_section(text, concepts, "optim.cosine_lr")
        evals = run["pretrain"]["evals"]
        assert f"started at {fmt.number(evals[0]['lr'])} at step 0" in schedule
        assert f"its peak of {fmt.number(cfg['pretrain']['lr'])}" in schedule
        assert f"down to {fmt.number(evals[-1]['lr'])} at the end" in schedule
        assert "gives exactly the learning rates the run logged" in schedule
        betas = inspect.signature(AdamW.__init__).parameters["betas"].default
        optimiser = concept_section(text, concepts, "optim.AdamW.step")
        assert f"betas {fmt.number(betas[0])} (gradient average) and {fmt.number(betas[1])}" in optimiser
        for stage in ("sft", "reward"):
            assert f"{fmt.number(cfg[stage]['lr'])} and" in optimiser
        tokens = run["tokenizer"]
        assert f"{fmt.integer(len(tokens['merges']))} = {fmt.integer(len(tokens['vocab']))}" in \
            concept_section(text, concepts, "tokenizer.train_bpe")


def test_key_lines_quote_the_real_lines_of_the_code(quick_build):
    course = load_course(CONTENT)
    found = KEY_LINE.findall(quick_build.text(ALIGNMENT))
    assert len(found) == sum(len(c.lines) for c in course.concepts)
    for path, number, _, code in found:
        assert code in (PROJECT_ROOT / path).read_text().splitlines()[int(number) - 1], (path, number)


def test_every_study_guide_link_lands_on_the_section_it_names(builds):
    course = load_course(CONTENT)
    for build in builds:
        text, guide = build.text(ALIGNMENT), build.text(GUIDE)
        headings = github_anchors(guide)
        python_markdown = set(re.findall(r'<h\d id="([^"]+)"',
                                         markdown.markdown(guide, extensions=["tables", "fenced_code", "toc"])))
        links = GUIDE_LINK.findall(prose(text))
        assert len(links) == 2 * len(course.concepts)          # the table and each concept's section
        assert set(links) <= set(headings), set(links) - set(headings)
        assert set(links) <= python_markdown, set(links) - python_markdown
        for concept, row in zip(course.concepts, concept_rows(text)):
            anchor = GUIDE_LINK.search(row[3]).group(1)
            assert concept.guide in headings[anchor], (concept.concept, headings[anchor])


def test_a_study_guide_section_that_does_not_exist_is_a_content_error(quick_build):
    course = load_course(CONTENT)
    wrong = dataclasses.replace(course.concepts[2], guide="The history of the transformer")
    edited = dataclasses.replace(course, concepts=(*course.concepts[:2], wrong, *course.concepts[3:]))
    with pytest.raises(ContentError) as err:
        render_docs(edited, quick_build.run)
    assert [(p.file, p.field) for p in err.value.problems] == [("concept_map.toml", "concept[2].guide")]
    assert "'The history of the transformer' is no heading of the study guide" in str(err.value)


def test_figures_differ_between_seeds_where_the_runs_differ(builds):
    first, second = builds
    differing = [key for key in fmt.METRICS
                 if fmt.metric(first.run["summary"], key) != fmt.metric(second.run["summary"], key)]
    assert len(differing) >= 10, "two seeds should give different runs"
    for key in differing:
        label = fmt.METRICS[key][1]
        for build, other in ((first, second), (second, first)):
            row = f"| {label} | {fmt.metric(build.run['summary'], key)} |"
            assert row in build.text(GUIDE)
            assert f"| {label} | {fmt.metric(other.run['summary'], key)} |" not in build.text(GUIDE)
    for name in DOCS:
        assert first.text(name) != second.text(name)


def test_margin_evolution_table_is_the_reward_log(builds):
    for build in builds:
        history = build.run["reward"]["history"]
        rows = [row for row in table_rows(section(build.text(ALIGNMENT), "Margin evolution")) if len(row) == 8]
        steps = [row for row in rows if row[0].isdigit()]
        assert len(steps) == len(history["loss"])
        for i, row in enumerate(steps):
            assert row[1] == fmt.loss(history["loss"][i])
            assert row[3] == fmt.score(history["rewards/chosen"][i])
            assert row[4] == fmt.score(history["rewards/rejected"][i])
            assert row[5] == fmt.signed(history["rewards/margins"][i])
            assert row[6] == fmt.pct(textcharts.sigmoid(history["rewards/margins"][i]))
            assert row[7] == fmt.pct(history["rewards/accuracies"][i])


def test_case_and_pairs_show_the_runs_scores(builds):
    for build in builds:
        run, guide, alignment = build.run, build.text(GUIDE), build.text(ALIGNMENT)
        for key in ("specific_score", "vague_score", "sft_answer_score"):
            assert f"| {fmt.score(run['case'][key])} |" in guide
        margin = run["case"]["specific_score"] - run["case"]["vague_score"]
        assert fmt.signed(margin) in guide and fmt.signed(margin) in alignment
        for pair in run["reward"]["pairs"]:
            assert f"| {pair['id']} | {pair['category']} | {fmt.signed(pair['margin'])} |" in alignment
            assert f"{fmt.signed(pair['heldout_margin'])}\n" in alignment
        case = section(alignment, "The case traced through the stages")
        for key in ("pretrain_continuation", "sft_answer"):
            assert f'"{render.table_cell(mdtext.one_line(run["case"][key]))}"' in case, key


def test_folds_are_numbered_from_one_as_on_the_page(builds):
    for build in builds:
        pairs = build.run["reward"]["pairs"]
        fold_shown = {row[0]: row[6] for row in table_rows(section(build.text(ALIGNMENT), "Margin evolution"))
                      if len(row) == 8}
        assert [fold_shown[p["id"]] for p in pairs] == [str(p["fold"] + 1) for p in pairs]
        folds = build.run["config"]["reward"]["folds"]
        assert {fold_shown[p["id"]] for p in pairs} == {str(f) for f in range(1, folds + 1)}


def test_formula_verification_puts_theory_beside_this_runs_measurements(builds):
    for build in builds:
        s = build.run["summary"]
        text = section(build.text(ALIGNMENT), "Formula verification")
        assert f"| Untrained loss = ln V | ln {fmt.metric(s, 'config.vocab_size')} = " \
               f"{fmt.metric(s, 'theory.ln_vocab')} | {fmt.metric(s, 'pretrain.initial_loss')} " in text
        assert f"| {fmt.metric(s, 'theory.ln_2')} | first step: {fmt.metric(s, 'reward.first_loss')} |" in text
        margin = s["reward"]["final_margin"]
        assert f"sigmoid({fmt.signed(margin)}) = {fmt.pct(textcharts.sigmoid(margin))}" in text
        assert f"| held out: {fmt.metric(s, 'reward.heldout_accuracy')}, p = {fmt.metric(s, 'reward.vs_length_p')} |" \
            in text
        assert f"length rule: {fmt.metric(s, 'reward.length_baseline_accuracy')}" in text


def test_classroom_questions_are_numbered_and_at_least_eight(quick_build):
    text = section(quick_build.text(GUIDE), "Classroom questions and answers")
    numbers = [int(n) for n in re.findall(r"^\*\*Q(\d+)\. ", text, re.M)]
    assert len(numbers) >= 8 and numbers == list(range(1, len(numbers) + 1))
    s = quick_build.run["summary"]
    assert f"**Q{numbers[-1]}." in text
    # the generic questions are worked from the run's figures
    assert f"The untrained loss was {fmt.metric(s, 'pretrain.initial_loss')}" in text
    assert f"final perplexity of {fmt.metric(s, 'pretrain.final_perplexity')}" in text


# ---------------------------------------------------------------- code references are real


def test_every_code_reference_points_at_its_symbol(quick_build):
    found = 0
    for name in DOCS:
        for symbol, path, start, end in CODE_REF.findall(quick_build.text(name)):
            excerpt = locate(symbol)
            assert (excerpt.path, excerpt.start, excerpt.end) == (path, int(start), int(end)), symbol
            found += 1
    assert found >= sum(len(symbols) for symbols in STAGE_CODE.values())


def test_every_line_annotation_quotes_that_line(quick_build):
    lines_of: dict[str, list[str]] = {}
    current, checked = None, 0
    for line in quick_build.text(GUIDE).splitlines():
        heading = CODE_REF.search(line) if line.startswith("#### ") else None
        if heading:
            current = heading.group(2)
            lines_of.setdefault(current, (PROJECT_ROOT / current).read_text().splitlines())
        note = re.match(r"- \*\*Line (\d+)\*\*, `(.+?)`: ", line)
        if note:
            assert current, "a line note outside a code walkthrough"
            assert note.group(2) in lines_of[current][int(note.group(1)) - 1], line
            checked += 1
    assert checked >= 30


def test_every_walked_symbol_has_notes_and_every_note_finds_its_line():
    notes = environment("docs").get_template("docs/annotations.md.j2").module.notes
    for symbols in STAGE_CODE.values():
        for symbol in symbols:
            assert notes.get(symbol), f"no line notes for {symbol} in templates/docs/annotations.md.j2"
    for symbol, entries in notes.items():
        excerpt = locate(symbol)
        missing = [needle for needle, _ in entries if needle not in excerpt.code]
        assert not missing, f"{symbol}: code changed, these notes no longer find their line: {missing}"


# ---------------------------------------------------------------- markdown renders cleanly


def test_markdownlint_is_clean(quick_build, tmp_path):
    if not MARKDOWNLINT.exists():
        pytest.fail("markdownlint-cli2 is missing: run `make test` (or `cd tests/node && npm ci`)")
    for name in DOCS:
        shutil.copy(quick_build.out / name, tmp_path / name)
    result = subprocess.run([str(MARKDOWNLINT), "--config", str(NODE_TOOLS / ".markdownlint-cli2.jsonc"),
                             *[str(tmp_path / name) for name in DOCS]],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


def github_slug(heading: str) -> str:
    """GitHub's anchor rule, written independently of generator/mdtext.py."""
    text = re.sub(r"`|\*", "", heading).strip().lower()
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


@pytest.mark.parametrize("name", DOCS)
def test_every_internal_link_resolves_on_github_and_in_python_markdown(quick_build, name):
    text = quick_build.text(name)
    links = set(re.findall(r"\]\(#([^)]+)\)", prose(text)))
    assert len(links) >= 10
    seen: dict[str, int] = {}
    github = set()
    for _, heading in mdtext.headings(text):
        slug = github_slug(heading)
        github.add(f"{slug}-{seen[slug]}" if seen.get(slug) else slug)
        seen[slug] = seen.get(slug, 0) + 1
    html = markdown.markdown(text, extensions=["tables", "fenced_code", "toc"])
    python_markdown = set(re.findall(r'<h\d id="([^"]+)"', html))
    assert links <= github, links - github
    assert links <= python_markdown, links - python_markdown


@pytest.mark.parametrize("name", DOCS)
def test_python_markdown_renders_every_table_and_code_block(quick_build, name):
    text = quick_build.text(name)
    html = markdown.markdown(text, extensions=["tables", "fenced_code", "toc"])
    assert html.count("<table>") == len(re.findall(r"^\| --- ", prose(text), re.M))
    assert html.count("<pre><code") == len(FENCED_BLOCK.findall(text))
    outside_code = re.sub(r"<pre><code.*?</code></pre>", "", html, flags=re.S)
    assert "```" not in outside_code and not re.search(r"^\|", outside_code, re.M)


def test_table_of_contents_lists_every_section(quick_build):
    for name in DOCS:
        text = quick_build.text(name)
        toc = section(text, "Contents")
        for level, heading, anchor in mdtext.anchors(text):
            if 2 <= level <= 3 and heading != "Contents":
                assert f"](#{anchor})" in toc, heading


# ---------------------------------------------------------------- the teaching kit


def test_lesson_plans_match_the_deck_and_fill_their_time(quick_build):
    plans = section(quick_build.text(GUIDE), "Lesson plans")
    for minutes in deck.PLANS:
        start = plans.index(f"\n### {minutes} minutes\n")
        end = plans.find("\n### ", start + 1)
        rows = [row for row in table_rows(plans[start:end if end != -1 else None]) if row[1].isdigit()]
        expected = deck.plan(minutes)
        link = "llm_training_infographic.html#present={}&slide={}"
        assert [row[2] for row in rows] == [f"[{slide.title}]({link.format(minutes, id)})"
                                            for id, _, slide, _ in expected]
        assert sum(int(row[1]) for row in rows) == minutes
        assert rows[0][0].startswith("0:00 to") and rows[-1][0].endswith(f"to {minutes // 60}:{minutes % 60:02d}")


def test_exercises_answer_from_the_run(quick_build):
    text = section(quick_build.text(GUIDE), "Exercises")
    run = quick_build.run
    final = run["summary"]["pretrain"]["final_val_loss"]
    p = round(math.exp(-final), 2)
    assert f"probability of {fmt.number(p)}" in text and f"−ln {fmt.number(p)} = {fmt.loss(-math.log(p))}" in text
    wrong = {str(i + 1) for i, pair in enumerate(run["reward"]["pairs"]) if not pair["heldout_correct"]}
    shown = re.findall(r"^- Pair (\d+):", text, re.MULTILINE)
    assert len(shown) >= 2
    missed = [n for n in shown if n in wrong]
    expected = ("None of them" if not missed else f"Pair {missed[0]} was ranked wrong" if len(missed) == 1
                else f"Pairs {' and '.join(missed)} were ranked wrong")
    assert expected in text


def test_guide_has_every_stage_part_and_the_handout(quick_build):
    text = quick_build.text(GUIDE)
    course = load_course(CONTENT)
    for number in (1, 2, 3):
        for part in ("The analogy", "code, line by line", "The mathematics", "produced in this run",
                     "Why the"):
            assert re.search(rf"^### {number}\.\d {re.escape(part)}", text, re.M) or \
                re.search(rf"^### {number}\.\d .*{re.escape(part)}", text, re.M), (number, part)
    for stage in ("pretrain", "sft", "reward", "rl"):
        assert course.teaching["stages"][stage]["analogy_title"] in text
    handout = section(text, SECTIONS[-1][1])
    assert course.teaching["handout"]["title"] in handout
    assert course.teaching["handout"]["key_insight"] in handout


# ---------------------------------------------------------------- prose follows the numbers


@pytest.mark.parametrize("margins, losses, expected, absent", [
    ([0.0, 0.5, 1.0, 2.0], [0.69, 0.5, 0.4, 0.2], "The mean margin grew", "flipped sign"),
    ([0.9, 0.6, 0.4, 0.3], [0.45, 0.5, 0.55, 0.6], "stayed positive but shrank", "grew from"),
    ([0.2, 0.0, -0.3, -0.6], [0.6, 0.69, 0.85, 1.0], "flipped sign", "grew from"),
    ([-0.1, -0.3, -0.5, -0.9], [0.75, 0.85, 1.0, 1.2], "The mean margin fell", "grew from"),
    ([0.01, 0.02, 0.0, 0.02], [0.69, 0.69, 0.69, 0.69], "barely moved", "grew from"),
])
def test_margin_story_is_chosen_from_the_trend(quick_build, margins, losses, expected, absent):
    docs = render_docs(load_course(CONTENT), fx.with_history(quick_build.run, margins, losses))
    for text in docs.values():
        assert expected in text and absent not in text


def test_content_text_is_escaped(quick_build, tmp_path):
    content = tmp_path / "content"
    shutil.copytree(CONTENT, content)
    teaching = content / "teaching.toml"
    teaching.write_text(teaching.read_text().replace(
        'analogy_title = "A student reading textbooks"',
        'analogy_title = "A student </script><img src=x onerror=alert(1)> reading"'))
    docs = render_docs(load_course(content), quick_build.run)
    assert "</script>" not in docs[GUIDE] and "<img" not in docs[GUIDE]
    assert "&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;" in docs[GUIDE]


def test_doc_templates_hold_no_course_domain_words():
    domain = ("pharm", "metformin", "warfarin", "egfr", "renal", "kidney", "clinic", "patient", "drug",
              "dose", "nsaid", "prescri", "medic")
    for path in sorted((TEMPLATES / "docs").glob("*.j2")):
        text = path.read_text().lower()
        found = [word for word in domain if word in text]
        assert not found, f"{path.name} types course words {found}; take them from content/ instead"


def test_docs_render_for_a_course_with_other_content(quick_build):
    """A course's own words, not the default course's, reach the docs (analogies, questions, handout)."""
    course = load_course(CONTENT)
    other = copy.deepcopy(course.teaching)
    other["stages"]["pretrain"]["analogy_title"] = "An apprentice baker reading recipes"
    other["handout"]["title"] = "Baking a model in 60 seconds"
    docs = render_docs(type(course)(**{**vars(course), "teaching": other}), quick_build.run)
    assert "An apprentice baker reading recipes" in docs[GUIDE]
    assert "Baking a model in 60 seconds" in docs[GUIDE]


def test_sparklines_and_trends():
    assert textcharts.sparkline([3, 2, 1]) == "█▅▁"
    assert textcharts.sparkline([1, 1]) == "▅▅"
    assert len(textcharts.sparkline(range(1000), width=40)) == 40
    t = textcharts.trend([0.1, -0.2, -0.5])
    assert t.flipped and not t.went_up and t.monotone
    assert textcharts.diverging(-1, 1, 4) == "████│    "
    assert abs(textcharts.sigmoid(0) - 0.5) < 1e-12 and textcharts.sigmoid(-1000) == 0.0


def test_sampled_rows_keep_the_first_the_last_and_the_row_asked_for():
    assert textcharts.sample_rows(range(11), 3) == [0, 5, 10]
    assert textcharts.sample_rows(range(11), 3, always=3) == [0, 3, 5, 10]
    assert textcharts.sample_rows(range(3), 6, always=1) == [0, 1, 2]


def test_slugs_follow_github_rules():
    assert mdtext.slug("Stage 1: Pretraining") == "stage-1-pretraining"
    assert mdtext.slug("1.5 Why the `numbers` came out") == "15-why-the-numbers-came-out"
    assert mdtext.slug("This run vs production") == "this-run-vs-production"
    text = "# T\n\n<!-- table of contents -->\n\n## A\n\n```python\n# not a heading\n```\n\n## A\n"
    assert "- [A](#a)\n- [A](#a-1)" in mdtext.with_toc(text)
    assert mdtext.fenced("a ``` b").startswith("````text\n")


def test_docs_exist_in_the_build(quick_build):
    for name in DOCS:
        assert (Path(quick_build.out) / name).stat().st_size > 0
