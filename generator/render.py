"""Run + Course -> the files of build/: Jinja environments and the shared view (output.py writes them)."""

from __future__ import annotations

import copy
import dataclasses
import functools
import html
import json
import re
from pathlib import Path

import markdown as markdown_lib
from jinja2 import Environment, FileSystemLoader, StrictUndefined, pass_environment, select_autoescape
from jinja2.filters import do_truncate
from markupsafe import Markup

from . import deck, exercises, figures, mdtext, textcharts
from . import format as fmt
from .checks import BASELINES, CLOSE_CALL, POSITION_SLACK, WORD_SHORTCUT, run_checks, twin
from .contamination import LEAK
from .content import ContentError, Course, Problem
from .findings import CLOSE, Findings, facts
from .source import highlight_css, locate, locate_js
from .stages.sft import MIN_DEV_PAIRS
from .stats import ALPHA, LEVEL

TEMPLATES = Path(__file__).parent.parent / "templates"

PAGE = "llm_training_infographic.html"
GUIDE = "llm_training_complete_explanation.md"
ALIGNMENT = "code_output_alignment.md"
METRICS = "metrics.json"

# The functions each stage's code walkthrough shows, in reading order.
STAGE_CODE: dict[str, list[str]] = {
    "pretrain": ["tokenizer.train_bpe", "model.CausalSelfAttention.__call__",
                 "pretrain.next_token_loss", "pretrain.pretrain"],
    "sft": ["sft.build_batch", "sft.sft_loss", "sft.EarlyStopping.should_stop", "sft.sft"],
    "reward": ["reward.bradley_terry_loss", "model.RewardModel.__call__",
               "reward.train_reward_model", "reward.fold_margins", "reward.cross_validated_margins"],
    "rl": ["rl.group_advantages", "rl.clipped_surrogate", "rl.kl_penalty", "rl.rl_step"],
    "engine": ["autograd.Tensor.backward", "autograd.Tensor.cross_entropy", "loop.optimise",
               "loop.apply_gradients"],
}

# The page's sections, in order: (anchor id, title). The docs' lesson plan points at these names.
SECTIONS: list[tuple[str, str]] = [
    ("overview", "The pipeline at a glance"),
    ("pretraining", "Stage 1: Pretraining"),
    ("sft", "Stage 2: Supervised fine-tuning"),
    ("reward", "Stage 3: The reward model"),
    ("pairs", "The preference pairs"),
    ("rl", "Stage 4: Reinforcement learning"),
    ("why-three", "Why all four stages"),
    ("case", "One case through every stage"),
    ("exercises", "Exercises"),
    ("playground", "Playground: try the trained models"),
    ("production", "This run vs production"),
    ("takeaways", "Key takeaways and next steps"),
    ("glossary", "Glossary"),
    ("handout", "Student handout"),
]

_SAFE_HREF = re.compile(r"^(https?:|mailto:|#)", re.IGNORECASE)


class NoImages(markdown_lib.Extension):
    """Content never shows an image, which would load from elsewhere: ![alt](url) stays text as typed."""

    def extendMarkdown(self, md: markdown_lib.Markdown) -> None:
        for pattern in ("image_link", "image_reference", "short_image_ref"):
            md.inlinePatterns.deregister(pattern)


def markdown_html(text: str) -> Markup:
    """Content markdown -> HTML that cannot inject or load: raw HTML is escaped, images stay text,
    unsafe links dropped."""
    rendered = markdown_lib.markdown(html.escape(text, quote=False), extensions=["tables", "sane_lists", NoImages()])
    rendered = re.sub(r'href="([^"]*)"',
                      lambda m: m.group(0) if _SAFE_HREF.match(html.unescape(m.group(1))) else 'href="#"',
                      rendered)
    return Markup(rendered)


def markdown_text(text: str) -> str:
    """Content text for the markdown docs: HTML-escaped, script links neutralised, images left as typed
    (`!\\[` is a literal `![`, so no viewer fetches them)."""
    escaped = html.escape(str(text), quote=False).replace("![", "!\\[")
    return re.sub(r"\]\(\s*(javascript|data|vbscript):", r"](#blocked-\1-", escaped, flags=re.IGNORECASE)


def table_cell(text: str) -> str:
    """Content text made safe for a markdown table cell: pipes escaped, line breaks and runs of spaces (a model's
    answer may end in one) made single spaces."""
    return " ".join(markdown_text(text).replace("|", "\\|").split())


def _fill(value, summary: dict):
    """Resolve {metric} placeholders in every string of a content structure."""
    if isinstance(value, str):
        return fmt.fill_placeholders(value, summary)
    if isinstance(value, list):
        return [_fill(v, summary) for v in value]
    if isinstance(value, dict):
        return {k: _fill(v, summary) for k, v in value.items()}
    return value


# How claims (templates/claims.j2) are marked: invisibly, or, in an audit render, with brackets a test reads.
# `quote` marks text the templates do not write: the course's own prose (which `check` reads for claims) and
# what the models wrote.
AUDIT_MARKS = {"claim": ("\u27e6", "\u27e7"), "general": ("\u27ea", "\u27eb"), "quote": ("\u27ec", "\u27ed")}
NO_MARKS = {"claim": ("", ""), "general": ("", ""), "quote": ("", "")}

# The texts of the run that the models wrote or the course typed (run section -> per-item keys).
RUN_TEXTS = {("pretrain", "samples"): ("prompt", "text"),
             ("sft", "answers"): ("question", "expert", "before", "after"),
             ("rl", "questions"): ("question", "expert", "sft_answer", "policy_answer", "policy_beta0_answer",
                                   "best_of_n_answer")}
CASE_TEXTS = ("prompt_prefix", "pretrain_continuation", "question", "sft_answer", "specific_answer",
              "vague_answer", "rl_answer")


def _quoted(value, marks: tuple[str, str], keep: frozenset = frozenset()):
    """Every non-blank string of a content structure between the quote marks (keys in `keep` left as they are)."""
    if isinstance(value, str):
        return f"{marks[0]}{value}{marks[1]}" if value.strip() else value
    if isinstance(value, list):
        return [_quoted(v, marks, keep) for v in value]
    if isinstance(value, dict):
        return {k: v if k in keep else _quoted(v, marks, keep) for k, v in value.items()}
    return value


def _quoted_run(run: dict, marks: tuple[str, str]) -> dict:
    """A copy of the run with every text a model wrote or the course typed between the quote marks."""
    run = copy.deepcopy(run)
    for (stage, key), fields in RUN_TEXTS.items():
        for item in run.get(stage, {}).get(key, []):
            item.update({f: _quoted(item[f], marks) for f in fields if f in item})
    run["case"].update({f: _quoted(run["case"][f], marks) for f in CASE_TEXTS if f in run["case"]})
    return run


def build_view(course: Course, run: dict, audit: bool = False) -> dict:
    """Everything templates may show; both the page and the docs read this one view."""
    summary = run["summary"]
    reward, case = summary["reward"], run["case"]
    checks = run_checks(summary)
    run_facts = facts(run, course.texts())
    found = Findings(run_facts)
    marks = AUDIT_MARKS if audit else NO_MARKS
    quote = marks["quote"]
    prose = ("concept", "idea", "doc_ref", "misconception", "in_class")
    shared, gap = twin(case)
    return {
        "F": found, "holds": found.holds, "AUDIT": marks,
        "D": run_facts["derived"],
        "course": course.meta,
        "teaching": _quoted(_fill(course.teaching, summary), quote, frozenset({"stage"})),
        "production": course.production,
        "run": _quoted_run(run, quote) if audit else run,
        "s": summary,
        "checks": checks,
        "checks_by_id": {c.id: c for c in checks},
        "unmet": [c for c in checks if not c.passed],
        "heldout_interval": reward["heldout_interval"],
        "predictive_interval": reward["heldout_predictive_interval"],
        "baseline_names": BASELINES,
        "case_twin": {"shared": shared, "gap": gap},
        "case_margin": case["specific_score"] - case["vague_score"],
        "case_spread": max(case["specific_score"], case["vague_score"], case["sft_answer_score"])
        - min(case["specific_score"], case["vague_score"], case["sft_answer_score"]),
        "close_call": CLOSE_CALL,
        "word_shortcut": WORD_SHORTCUT,
        # the thresholds the findings and checks use, for the sentences that state them
        "rules": {"alpha": ALPHA, "level": LEVEL, "position_slack": POSITION_SLACK, "leak": LEAK, "close": CLOSE,
                  "min_dev_pairs": MIN_DEV_PAIRS,
                  "reference_positions": summary["pretrain"]["position_val_loss"][min(1, len(
                      summary["pretrain"]["position_val_loss"]) - 1)]},
        "code": {stage: [locate(symbol) for symbol in symbols] for stage, symbols in STAGE_CODE.items()},
        "concepts": [dataclasses.replace(c, **{f: _quoted(getattr(c, f), quote) for f in prose})
                     for c in course.concepts],
        "preferences": [_quoted(dict(vars(pair)), quote, frozenset({"id", "category"}))
                        for pair in course.preferences],
        "pair_prompts": {pair.id: _quoted(pair.prompt, quote) for pair in course.preferences},
        "exercise": exercises.numbers(run),
        "lesson_plans": {minutes: deck.plan(minutes) for minutes in deck.PLANS},
        "sections": SECTIONS,
        "section_title": dict(SECTIONS),
    }


@pass_environment
def truncate(env: Environment, text: str, length: int = 255, killwords: bool = False, end: str = "...",
             leeway: int | None = None) -> str:
    """Jinja's truncate, which keeps a quote mark (audit renders) closed when it cuts the text short."""
    out = do_truncate(env, text, length, killwords, end, leeway)
    opener, closer = AUDIT_MARKS["quote"]
    return out + closer if opener in out and closer not in out else out


@functools.cache
def environment(kind: str) -> Environment:
    """'page' (HTML, autoescaped) or 'docs' (markdown, content escaped by filters). One of each per process:
    Jinja keeps compiled templates and recompiles one whose file changed (`make serve` edits)."""
    env = Environment(loader=FileSystemLoader(TEMPLATES), undefined=StrictUndefined,
                      autoescape=select_autoescape(["html", "j2"]) if kind == "page" else False,
                      trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    env.filters.update(fmt.FILTERS)
    env.filters.update(markdown=markdown_html, md=markdown_text, cell=table_cell, truncate=truncate,
                       sigmoid=textcharts.sigmoid,
                       tojson_compact=lambda v: json.dumps(v, separators=(",", ":")))
    env.globals.update(metric=fmt.metric, locate=locate, locate_js=locate_js, highlight_css=highlight_css,
                       change_pct=fmt.change_pct, metric_change=fmt.metric_change)
    if kind == "docs":   # text charts, anchors and the arithmetic the docs' worked answers show
        env.filters.update(textcharts.FILTERS, **mdtext.FILTERS)
        env.globals.update(trend=textcharts.trend, sample_rows=textcharts.sample_rows,
                           annotate=mdtext.annotate, METRICS=fmt.METRICS, TOC=mdtext.TOC_MARKER,
                           figure=figures.figure, figure_label=figures.label, parameters=figures.parameters,
                           adamw=figures.adamw, lr_schedule=figures.lr_schedule,
                           tokenizer_parts=figures.tokenizer_parts, init_stds=figures.init_stds)
    return env


def guide_links(course: Course, guide: str) -> list[tuple[str, str]]:
    """For each concept, in order: (relative link, markdown label) of the study-guide section its `guide` names."""
    links, problems = [], []
    for i, concept in enumerate(course.concepts):
        found = mdtext.find_section(guide, concept.guide)
        if found:
            links.append((f"{GUIDE}#{found[0]}", found[1].replace("|", "\\|")))   # safe in a table cell
            continue
        text = (course.root / "concept_map.toml").read_text(encoding="utf-8").splitlines()
        line = next((n for n, row in enumerate(text, 1) if row.startswith("guide") and concept.guide in row), 1)
        problems.append(Problem("concept_map.toml", line, f"concept[{i}].guide",
                                f"{concept.guide!r} is no heading of the study guide ({GUIDE}); use a heading's "
                                "text without its number, or the symbol of a code walkthrough"))
    if problems:
        raise ContentError(problems)
    return links


def render_docs(course: Course, view: dict) -> dict[str, str]:
    """The study guide, then the alignment doc, which links each concept to a section of the guide."""
    env = environment("docs")
    guide = env.get_template("docs/explanation.md.j2").render(**view)
    alignment = env.get_template("docs/alignment.md.j2").render(**view, guide_file=GUIDE,
                                                                 guide_links=guide_links(course, guide))
    return {GUIDE: guide, ALIGNMENT: alignment}


def render_outputs(course: Course, run: dict, audit: bool = False) -> dict[str, str]:
    """All files of build/, as name -> text (`audit`: with every claim marked, for tests)."""
    from .page import page_view  # the page's charts, inlined assets and CSP
    view = build_view(course, run, audit)
    files = {METRICS: json.dumps(run, indent=1, sort_keys=True) + "\n"}
    if (TEMPLATES / "page/index.html.j2").is_file():
        env = environment("page")
        files[PAGE] = env.get_template("page/index.html.j2").render(**view, **page_view(view, env))
    files.update(render_docs(course, view))
    return files
