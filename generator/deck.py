"""The classroom deck: its slides in order, and the minutes each gets in each lesson plan.

Each entry names a partial in templates/page/deck/ that defines one macro per slide (the
macro's name is the slide's `name`). The 60, 90 and 180-minute lesson plans are subsets of
this list, in its order: a slide is in a plan when it has minutes in it. The page, the speaker
notes (content/teaching.toml [notes.<slide id>]) and the study guide's lesson plan all read
this one list, so a new stage is a new partial and one more entry here.
"""

from __future__ import annotations

from dataclasses import dataclass

PLANS = (60, 90, 180)   # lesson plans, in minutes; the full deck is the longest


@dataclass(frozen=True)
class Slide:
    name: str                   # the macro in the partial
    title: str                  # a fixed label: overview grid, notes window, the guide's lesson plan
    minutes: tuple[int, int, int]   # minutes in the 60, 90 and 180-minute plans; 0: not in that plan
    code: bool = False          # a code slide (skipped when code is hidden)
    kicker: bool = True         # show the part's kicker (stage or section) above the headline


@dataclass(frozen=True)
class Part:
    section: str                # the page section these slides summarise (its id), or "" for none
    partial: str                # templates/page/deck/<partial>.html.j2
    slides: tuple[Slide, ...]
    stage: str = ""             # the training stage (its colour and "Stage n" kicker), if the part is one


DECK: tuple[Part, ...] = (
    Part("overview", "overview", (
        Slide("title", "The run behind every number", (2, 2, 4), kicker=False),
        Slide("pipeline", "Four stages, four kinds of data", (3, 4, 7)),
    )),
    Part("pretraining", "pretraining", stage="pretrain", slides=(
        Slide("tokens", "Pretraining: text becomes tokens", (3, 3, 7)),
        Slide("objective", "Pretraining: the loss", (3, 4, 8)),
        Slide("code", "Pretraining: the code", (0, 3, 7), code=True),
        Slide("loss", "Pretraining: the loss curve", (3, 4, 8)),
        Slide("samples", "Pretraining: what it writes", (2, 3, 6)),
    )),
    Part("sft", "sft", stage="sft", slides=(
        Slide("demo", "Fine-tuning: one demonstration", (4, 4, 6)),
        Slide("code", "Fine-tuning: the code", (0, 2, 6), code=True),
        Slide("stop", "Fine-tuning: when to stop", (4, 4, 7)),
        Slide("heldout", "Fine-tuning: a question it never saw", (3, 3, 6)),
    )),
    Part("", "pause", (
        Slide("break", "Break", (0, 0, 10)),
    )),
    Part("reward", "reward", stage="reward", slides=(
        Slide("pair", "Reward model: one preference pair", (3, 4, 7)),
        Slide("objective", "Reward model: the Bradley-Terry loss", (4, 4, 7)),
        Slide("code", "Reward model: the code", (0, 2, 5), code=True),
        Slide("margin", "Reward model: the margin", (0, 3, 6)),
        Slide("heldout", "Reward model: pairs it never saw", (4, 4, 7)),
    )),
    Part("exercises", "exercises", (
        Slide("by_hand", "Exercise: a loss by hand", (0, 3, 6)),
        Slide("predict", "Exercise: predict the misses", (0, 3, 7)),
        Slide("leak", "Exercise: look for a shortcut", (0, 0, 6)),
    )),
    Part("playground", "playground", (
        Slide("try", "Try it: this run's models, live", (2, 3, 5)),
    )),
    Part("rl", "rl", stage="rl", slides=(
        Slide("loop", "RL: the loop and its objective", (3, 4, 6)),
        Slide("proxy", "RL: the score and the rubric", (3, 4, 6)),
        Slide("answers", "RL: an answer before and after", (0, 2, 4)),
        Slide("baseline", "RL: against best-of-n", (0, 2, 3)),
    )),
    Part("case", "case", (
        Slide("trace", "One case: two models answer", (3, 3, 6)),
        Slide("scores", "One case: the reward model scores", (3, 4, 5)),
    )),
    Part("production", "production", (
        Slide("scale", "This run vs production", (3, 3, 4)),
    )),
    Part("takeaways", "takeaways", (
        Slide("insight", "The key insight", (3, 3, 4)),
        Slide("close", "Questions, and the handout", (2, 3, 4)),
    )),
)


def slide_id(part: Part, slide: Slide) -> str:
    """The slide's id: its anchor (#slide-<id>) and its [notes.<id>] table in teaching.toml."""
    return f"{part.partial}-{slide.name}".replace("_", "-")


def slides() -> list[tuple[Part, Slide]]:
    return [(part, slide) for part in DECK for slide in part.slides]


def slide_ids() -> list[str]:
    return [slide_id(part, slide) for part, slide in slides()]


def plan(minutes: int) -> list[tuple[str, Part, Slide, int]]:
    """One lesson plan: (slide id, its part, the slide, its minutes), in deck order."""
    column = PLANS.index(minutes)
    return [(slide_id(part, slide), part, slide, slide.minutes[column])
            for part, slide in slides() if slide.minutes[column]]
