"""Read and validate a course folder (content/) into a typed `Course`.

Every problem is collected as `file:line: field: what is wrong, what to do`,
so a teacher sees all of them at once.
"""

from __future__ import annotations

import dataclasses
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from . import source
from .format import METRICS
from .training.model import GPTConfig
from .training.pretrain import PretrainConfig
from .training.reward import RewardConfig
from .training.sft import SFTConfig
from .training.tokenizer import SPECIAL_TOKENS

MIN_PREFERENCE_PAIRS = 4
MIN_SFT_PAIRS = 1
STAGES = ("pretrain", "sft", "reward", "rl")


@dataclass(frozen=True)
class Problem:
    file: str
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.field}: {self.message}"


class ContentError(Exception):
    """One or more problems in the course folder."""

    def __init__(self, problems: list[Problem]):
        super().__init__("\n".join(map(str, problems)))
        self.problems = problems


@dataclass(frozen=True)
class Document:
    name: str
    text: str


@dataclass(frozen=True)
class SFTPair:
    id: str
    question: str
    answer: str


@dataclass(frozen=True)
class PreferencePair:
    id: str
    category: str
    prompt: str
    chosen: str
    rejected: str
    rationale: str


@dataclass(frozen=True)
class Case:
    prompt_prefix: str
    question: str
    specific_answer: str
    vague_answer: str
    sample_prompts: tuple[str, ...]


@dataclass(frozen=True)
class Concept:
    concept: str
    doc_ref: str
    symbol: str
    metric: str
    stage: str


@dataclass(frozen=True)
class Settings:
    seed: int
    vocab_size: int
    val_fraction: float
    model: GPTConfig
    pretrain: PretrainConfig
    sft: SFTConfig
    reward: RewardConfig


@dataclass(frozen=True)
class Course:
    root: Path
    meta: dict                      # [course] table: title, subtitle, domain, audience
    settings: Settings
    quick_settings: Settings
    corpus: tuple[Document, ...]
    sft_pairs: tuple[SFTPair, ...]
    heldout_pairs: tuple[SFTPair, ...]
    preferences: tuple[PreferencePair, ...]
    case: Case
    teaching: dict                  # content/teaching.toml as parsed
    production: tuple[dict, ...]    # content/production.toml [[system]] entries
    concepts: tuple[Concept, ...] = field(default=())

    def with_seed(self, seed: int) -> Course:
        """The same course trained from another seed."""
        return dataclasses.replace(
            self, settings=dataclasses.replace(self.settings, seed=seed),
            quick_settings=dataclasses.replace(self.quick_settings, seed=seed))

    def texts(self) -> list[str]:
        """Every text the model will read, so the tokenizer's alphabet can cover it."""
        out = [d.text for d in self.corpus]
        out += [t for p in self.sft_pairs + self.heldout_pairs for t in (p.question, p.answer)]
        out += [t for p in self.preferences for t in (p.prompt, p.chosen, p.rejected)]
        c = self.case
        out += [c.prompt_prefix, c.question, c.specific_answer, c.vague_answer, *c.sample_prompts]
        return out

    def alphabet(self) -> str:
        return "".join(sorted(set("".join(self.texts()))))


class _Reader:
    """Loads files of one course folder and records problems with their lines."""

    def __init__(self, root: Path):
        self.root = root
        self.problems: list[Problem] = []
        self.sources: dict[str, str] = {}

    def problem(self, file: str, field_name: str, message: str, line: int | None = None,
                near: str | None = None) -> None:
        if line is None:
            line = self.line_of(file, near or field_name.split(".")[-1].split("[")[0])
        self.problems.append(Problem(file, line, field_name, message))

    def line_of(self, file: str, needle: str, start: int = 1) -> int:
        """First line (from `start`) where `needle` appears as a key or value; 1 if none."""
        lines = self.sources.get(file, "").splitlines()
        pattern = re.compile(rf"^\s*\[*\s*{re.escape(needle)}\b|{re.escape(needle)}")
        for number in range(start, len(lines) + 1):
            if pattern.search(lines[number - 1]):
                return number
        return 1

    def text(self, name: str) -> str | None:
        path = self.root / name
        if not path.is_file():
            self.problem(name, "file", "missing; create it (see README, 'Course content')", line=1)
            return None
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError as err:
            line = path.read_bytes()[:err.start].count(b"\n") + 1
            self.problem(name, "encoding", "not valid UTF-8; save the file as UTF-8", line=line)
            return None
        self.sources[name] = text
        return text

    def toml(self, name: str) -> dict | None:
        text = self.text(name)
        if text is None:
            return None
        try:
            return tomllib.loads(text)
        except tomllib.TOMLDecodeError as err:
            found = re.search(r"line (\d+)", str(err))
            self.problem(name, "syntax", f"invalid TOML ({str(err).split(' (at')[0]}); fix the syntax",
                         line=int(found.group(1)) if found else 1)
            return None

    def entries(self, name: str, data: dict, key: str, cls, required: tuple[str, ...]) -> list:
        """Validate an array of tables ([[key]]) whose entries become `cls`."""
        items = data.get(key, [])
        if not isinstance(items, list):
            self.problem(name, key, f"must be a list of [[{key}]] tables")
            return []
        out, seen = [], {}
        for index, item in enumerate(items):
            label = f"{key}[{index}]"
            item_id = item.get("id") if isinstance(item, dict) else None
            line = self.line_of(name, f'"{item_id}"') if item_id else self.line_of(name, f"[[{key}]]")
            if not isinstance(item, dict):
                self.problem(name, label, "must be a table", line=line)
                continue
            ok = True
            for f in required:
                value = item.get(f)
                if not isinstance(value, str) or not value.strip():
                    self.problem(name, f"{label}.{f}", "missing or empty; add a text value",
                                 line=self.line_of(name, f, line) if f in item else line)
                    ok = False
            for extra in sorted(set(item) - set(required)):
                self.problem(name, f"{label}.{extra}", f"unknown key; expected one of {', '.join(required)}",
                             line=self.line_of(name, extra, line))
                ok = False
            if isinstance(item_id, str) and item_id in seen:
                self.problem(name, f"{label}.id", f"duplicate id {item_id!r} (also {key}[{seen[item_id]}]); "
                             "give each entry its own id", line=line)
                ok = False
            elif isinstance(item_id, str):
                seen[item_id] = index
            if ok:
                out.append(cls(**{f: item[f].strip() for f in required}))
        return out


def _settings(reader: _Reader, name: str, data: dict, quick: dict | None = None) -> Settings | None:
    """[training], [model], [pretrain], [sft], [reward] -> Settings (with [quick.*] applied)."""
    quick = quick or {}
    tables = {"training": ("seed", "vocab_size", "val_fraction"),
              "model": GPTConfig, "pretrain": PretrainConfig, "sft": SFTConfig, "reward": RewardConfig}
    values: dict[str, dict] = {}
    for table, spec in tables.items():
        given = {**data.get(table, {}), **quick.get(table, {})}
        allowed = spec if isinstance(spec, tuple) else tuple(f.name for f in dataclasses.fields(spec))
        defaults = {} if isinstance(spec, tuple) else {f.name: f.default for f in dataclasses.fields(spec)}
        for key, value in given.items():
            where = f"{table}.{key}"
            if key not in allowed:
                reader.problem(name, where, f"unknown key; expected one of {', '.join(allowed)}", near=key)
            elif key in defaults and type(value) is not type(defaults[key]) and not (
                    isinstance(defaults[key], float) and type(value) is int):
                reader.problem(name, where, f"must be {type(defaults[key]).__name__}, "
                               f"got {type(value).__name__} {value!r}", near=key)
            elif isinstance(value, (int, float)) and not isinstance(value, bool) and value <= 0 \
                    and key != "weight_decay":
                reader.problem(name, where, f"must be positive, got {value!r}", near=key)
        values[table] = {k: (float(v) if isinstance(defaults.get(k), float) else v)
                         for k, v in given.items() if k in allowed}
    training = values["training"]
    for key, kind in (("seed", int), ("vocab_size", int), ("val_fraction", float)):
        if not isinstance(training.get(key), (kind, int)) or isinstance(training.get(key), bool):
            reader.problem(name, f"training.{key}", f"missing or not a number; set it under [training]",
                           near="[training]" if key not in training else key)
    if not 0 < float(training.get("val_fraction", 0.1) or 0) < 0.5:
        reader.problem(name, "training.val_fraction", "must be between 0 and 0.5", near="val_fraction")
    model = values["model"]
    if model.get("n_embd", GPTConfig.n_embd) % model.get("n_head", GPTConfig.n_head):
        reader.problem(name, "model.n_embd", "must be a multiple of model.n_head", near="n_embd")
    if any(p.file == name for p in reader.problems):
        return None
    return Settings(
        seed=training["seed"], vocab_size=training["vocab_size"],
        val_fraction=float(training["val_fraction"]),
        model=GPTConfig(vocab_size=training["vocab_size"], **model),
        pretrain=PretrainConfig(**values["pretrain"]), sft=SFTConfig(**values["sft"]),
        reward=RewardConfig(**values["reward"]))


def load_course(root: Path | str) -> Course:
    """Read the course folder, or raise ContentError listing every problem found."""
    root = Path(root)
    reader = _Reader(root)
    if not root.is_dir():
        raise ContentError([Problem(str(root), 1, "folder", "course folder not found; "
                                    "pass the folder that holds course.toml")])
    course_toml = reader.toml("course.toml") or {}
    meta = course_toml.get("course", {})
    for key in ("title", "subtitle", "domain"):
        if not isinstance(meta.get(key), str) or not meta.get(key, "").strip():
            reader.problem("course.toml", f"course.{key}", "missing; add it under [course]", near="[course]")
    settings = _settings(reader, "course.toml", course_toml) if course_toml else None
    quick = _settings(reader, "course.toml", course_toml, course_toml.get("quick", {})) if settings else None

    corpus = []
    corpus_dir = root / "corpus"
    for path in sorted(corpus_dir.glob("*.txt")) if corpus_dir.is_dir() else []:
        text = reader.text(f"corpus/{path.name}")
        if text is not None and text.strip():
            corpus.append(Document(path.stem, text.strip() + "\n"))
    if not corpus:
        reader.problem("corpus/", "corpus", "no text found; add .txt files of course reading", line=1)

    sft_data = reader.toml("sft.toml") or {}
    sft_pairs = reader.entries("sft.toml", sft_data, "pair", SFTPair, ("id", "question", "answer"))
    heldout = reader.entries("sft.toml", sft_data, "heldout", SFTPair, ("id", "question", "answer"))
    if sft_data and len(sft_pairs) < MIN_SFT_PAIRS:
        reader.problem("sft.toml", "pair", f"needs at least {MIN_SFT_PAIRS} [[pair]] entries", line=1)

    pref_data = reader.toml("preferences.toml") or {}
    prefs = reader.entries("preferences.toml", pref_data, "pair", PreferencePair,
                           ("id", "category", "prompt", "chosen", "rejected", "rationale"))
    if pref_data is not None and "preferences.toml" in reader.sources and len(prefs) < MIN_PREFERENCE_PAIRS:
        reader.problem("preferences.toml", "pair", f"has {len(prefs)} valid pairs; needs at least "
                       f"{MIN_PREFERENCE_PAIRS} (20 recommended)", line=1)
    for pair in prefs:
        if pair.chosen == pair.rejected:
            reader.problem("preferences.toml", f"pair {pair.id}.rejected",
                           "is the same as chosen; the pair must differ", near=f'"{pair.id}"')

    case_data = reader.toml("case.toml") or {}
    case = None
    if case_data:
        missing = [k for k in ("prompt_prefix", "question", "specific_answer", "vague_answer")
                   if not isinstance(case_data.get(k), str) or not case_data[k].strip()]
        for key in missing:
            reader.problem("case.toml", key, "missing or empty; add a text value", line=1)
        prompts = case_data.get("sample_prompts", [])
        if not prompts or not all(isinstance(p, str) and p for p in prompts):
            reader.problem("case.toml", "sample_prompts", "must be a list of short texts", near="sample_prompts")
        elif not missing:
            case = Case(case_data["prompt_prefix"], case_data["question"], case_data["specific_answer"],
                        case_data["vague_answer"], tuple(prompts))

    teaching = reader.toml("teaching.toml") or {}
    production = reader.toml("production.toml") or {}
    concept_data = reader.toml("concept_map.toml") or {}
    concepts = reader.entries("concept_map.toml", concept_data, "concept", Concept,
                              ("concept", "doc_ref", "symbol", "metric", "stage"))
    for entry in concepts:
        if not source.exists(entry.symbol):
            reader.problem("concept_map.toml", f"concept {entry.concept!r}.symbol",
                           f"{entry.symbol!r} names no function or class in generator/training; "
                           "use module.function or module.Class.method", near=entry.symbol)
        if entry.metric not in METRICS:
            reader.problem("concept_map.toml", f"concept {entry.concept!r}.metric",
                           f"{entry.metric!r} is not a run figure; use one of the keys listed in "
                           "docs/metrics.md", near=entry.metric)

    course = None
    if not reader.problems:
        course = Course(root, meta, settings, quick, tuple(corpus), tuple(sft_pairs), tuple(heldout),
                        tuple(prefs), case, teaching, tuple(production.get("system", [])), tuple(concepts))
        _check_fit(reader, course)
    if reader.problems:
        raise ContentError(reader.problems)
    return course


def _check_fit(reader: _Reader, course: Course) -> None:
    """Settings that cannot work with this content (vocabulary, context length)."""
    needed = len(course.alphabet()) + len(SPECIAL_TOKENS)
    for settings in (course.settings, course.quick_settings):
        if settings.vocab_size < needed:
            reader.problem("course.toml", "training.vocab_size",
                           f"{settings.vocab_size} is too small: the course uses {len(course.alphabet())} "
                           f"different characters plus {len(SPECIAL_TOKENS)} special tokens; "
                           f"set it to at least {needed}", near="vocab_size")
            return
    for special in SPECIAL_TOKENS:
        if any(special in text for text in course.texts()):
            reader.problem("content", "text", f"contains the reserved token {special}; remove it", line=1)
