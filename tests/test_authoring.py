"""A teacher's edit-and-rebuild loop: another domain, hostile text, failed builds, cache, reproducibility."""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path
from types import SimpleNamespace

import pytest

from generator import cache
from generator.__main__ import main
from generator.build import build
from generator.content import load_course
from generator.render import ALIGNMENT, GUIDE, PAGE

from .browser.pages import open_page
from .conftest import PROJECT, shared, tiny_course_dir
from .processes import Running

OUTPUTS = (PAGE, GUIDE, ALIGNMENT)
PHARMACY_WORDS = ("pharmac", "metformin", "warfarin", "egfr", "renal", "nsaid", "ibuprofen", "kidney",
                  "clinical", "patient", "anticoagul", "prescri")
PAYLOAD = "<script>alert(1)</script><img src=x onerror=alert(2)> {{ 7*7 }} {% if 1 %}x{% endif %} " \
          "[click](javascript:alert(3)) ![pixel](https://example.com/p.png) </textarea>|pipe ```"
FENCED_BLOCK = re.compile(r"^(`{3,})[^\n]*\n.*?^\1[ \t]*$", re.S | re.M)
BASE64_BLOB = re.compile(r"[A-Za-z0-9+/=]{200,}")
FIXED_KEYS = {"stage", "symbol", "lines", "metric", "guide", "sample_prompts"}   # values the build restricts


def generator_cli(*args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "generator", *args], capture_output=True, text=True,
                          cwd=PROJECT, **kwargs)


def folder_digest(folder: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            digest.update(path.relative_to(folder).as_posix().encode() + path.read_bytes())
    return digest.hexdigest()


# ---------------------------------------------------------------- another domain


def test_another_course_builds_with_no_pharmacy_words(food_safety_build):
    out = food_safety_build[1].out
    for name in OUTPUTS:
        text = BASE64_BLOB.sub("", (out / name).read_text(encoding="utf-8")).lower()   # not the embedded Plotly
        found = [word for word in PHARMACY_WORDS if word in text]
        assert not found, f"{name} shows pharmacy words {found}: domain text is hard-coded somewhere"
    assert "food" in (out / PAGE).read_text(encoding="utf-8").lower()


# ---------------------------------------------------------------- hostile content


def _toml_value(value) -> str:
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)          # a valid TOML basic string
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return repr(value)


def _dump_toml(data: dict, prefix: str = "") -> str:
    """A small TOML writer for the shapes course files use."""
    lines, tables = [], []
    for key, value in data.items():
        if isinstance(value, dict) or (isinstance(value, list) and value and isinstance(value[0], dict)):
            tables.append((key, value))
        else:
            lines.append(f"{key} = {_toml_value(value)}")
    out = "\n".join(lines) + "\n"
    for key, value in tables:
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out += f"\n[{name}]\n" + _dump_toml(value, f"{name}.")
        else:
            for item in value:
                out += f"\n[[{name}]]\n" + _dump_toml(item, f"{name}.")
    return out


def _poison(value, key: str = ""):
    if isinstance(value, str) and key not in FIXED_KEYS:
        return value + " " + PAYLOAD
    if isinstance(value, dict):
        return {k: _poison(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_poison(v, key) for v in value]
    return value


def _build_hostile(folder: Path) -> Path:
    course = tiny_course_dir(folder / "course")
    for path in course.glob("*.toml"):
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        if path.name == "course.toml":
            data["course"] = _poison(data["course"])
            data["model"]["block_size"] = 640            # the payload makes every example longer
        else:
            data = _poison(data)
        if path.name in ("sft.toml", "preferences.toml"):  # fewer, longer examples: quicker to train
            data = {key: value[:8] if key == "pair" else value for key, value in data.items()}
        path.write_text(_dump_toml(data), encoding="utf-8")
    corpus, *others = sorted(course.glob("corpus/*.txt"))
    corpus.write_text(corpus.read_text() + "\n" + PAYLOAD + "\n")
    for path in others[1:]:                              # a short corpus: the page, not the training, is tested
        path.unlink()
    out = folder / "build"
    build(load_course(course), out, quick=True, use_cache=False)
    return out


@pytest.fixture(scope="session")
def hostile_build(tmp_path_factory) -> Path:
    """The default course with a payload in every text field, built once for the session."""
    return shared(tmp_path_factory, "hostile", _build_hostile)


def test_hostile_text_is_shown_as_text_in_the_page(hostile_build):
    page = (hostile_build / PAGE).read_text(encoding="utf-8")
    assert "<script>alert(1)" not in page
    assert "<img" not in page                                       # neither the raw tag nor a markdown image
    assert not re.search(r"""href=["']?\s*javascript:""", page, re.IGNORECASE)
    assert "</textarea>|pipe" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page        # visible as text
    assert "{{ 7*7 }}" in page                                      # template syntax is not evaluated


def test_hostile_text_is_shown_as_text_in_the_documents(hostile_build):
    for name in (GUIDE, ALIGNMENT):
        # text inside fenced code blocks is shown verbatim, so only the rest must be escaped;
        # the fences must hold: content with its own ``` cannot close them early
        doc = FENCED_BLOCK.sub("", (hostile_build / name).read_text(encoding="utf-8"))
        assert "<script>" not in doc and "<img " not in doc, name
        assert "&lt;script&gt;alert(1)" in doc, name
        assert "](javascript:" not in doc, name
        assert "![pixel](" not in doc and "!\\[pixel](https://example.com/p.png)" in doc, name   # shown as typed
        assert "{{ 7*7 }}" in doc, name


@pytest.mark.browser
def test_hostile_page_runs_no_injected_script(browser, hostile_build):
    # an injected script would either run (its alert() is a dialog, which the page records) or be
    # refused by the CSP, which Chromium reports as a console error: both are seen
    loaded = open_page(browser, SimpleNamespace(out=hostile_build), 1440, 900)
    try:
        loaded.page.wait_for_timeout(300)
        assert loaded.dialogs == [] and loaded.errors == [] and loaded.requests == []
        assert "<script>alert(1)</script>" in loaded.page.inner_text("body")
    finally:
        loaded.close()


@pytest.mark.browser
def test_the_hostile_page_test_would_see_a_script_that_ran(browser, hostile_build, tmp_path):
    """The check above is not blind: the same page with the payload unescaped once and no CSP shows a dialog."""
    page = (hostile_build / PAGE).read_text(encoding="utf-8")
    page = re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", page, count=1)
    page = page.replace("<body>", "<body><img src=x onerror=alert(2)>", 1)
    (tmp_path / PAGE).write_text(page, encoding="utf-8")
    loaded = open_page(browser, SimpleNamespace(out=tmp_path), 1440, 900)
    try:
        loaded.page.wait_for_timeout(300)
        assert loaded.dialogs == ["alert: 2"]
    finally:
        loaded.close()


# ---------------------------------------------------------------- failed builds leave build/ alone


@pytest.fixture
def previous_build(tmp_path, quick_build) -> Path:
    out = tmp_path / "build"
    out.mkdir()
    for name in (*OUTPUTS, "metrics.json"):
        (out / name).write_bytes((quick_build.out / name).read_bytes())
    return out


def test_bad_content_leaves_the_previous_build_intact(tmp_path, previous_build):
    course = tiny_course_dir(tmp_path / "course")
    (course / "preferences.toml").write_text("[[pair]\n")
    before = folder_digest(previous_build)
    result = generator_cli("build", "--content", str(course), "--out", str(previous_build))
    assert result.returncode == 2
    assert "preferences.toml:1: syntax: invalid TOML" in result.stderr
    assert "previous build is unchanged" in result.stderr and "Traceback" not in result.stderr
    assert folder_digest(previous_build) == before


def test_diverging_training_leaves_the_previous_build_intact(tmp_path, previous_build):
    course = tiny_course_dir(tmp_path / "course")
    toml = course / "course.toml"
    toml.write_text(toml.read_text().replace("[quick.pretrain]\n", "[quick.pretrain]\nlr = 1e30\nwarmup = 1\n"
                                             "grad_clip = 1e30\n"))
    before = folder_digest(previous_build)
    result = generator_cli("build", "--quick", "--no-cache", "--content", str(course), "--out", str(previous_build))
    assert result.returncode == 3
    assert re.search(r"pretraining: loss became (nan|inf) at step \d+", result.stderr)
    assert folder_digest(previous_build) == before


def test_ctrl_c_leaves_the_previous_build_intact(tmp_path, previous_build):
    before = folder_digest(previous_build)
    with Running("build", "--no-cache", "--content", str(PROJECT / "content"), "--out", str(previous_build)) as run:
        run.wait_for_line(lambda line: line.startswith("== Stage 1"))     # training, inside the build
        assert run.interrupt() == 130
    said = run.text()
    assert "interrupted" in said and "Traceback" not in said
    assert folder_digest(previous_build) == before
    assert not list(previous_build.parent.glob(".build.*-*")), "staging folders were left behind"


# ---------------------------------------------------------------- cached
# (byte-identical builds across processes, hash seeds and cores: tests/test_reproducible.py)


def test_the_cache_is_reused_only_while_what_training_reads_is_unchanged(capsys, monkeypatch, tmp_path, quick_build):
    course_dir = tiny_course_dir(tmp_path / "course")
    out = tmp_path / "build"
    cache.save(tmp_path / ".cache", cache.run_key(load_course(course_dir), quick=True), quick_build.run)
    trained = []

    def train(course, quick, *args, **kwargs):         # stands in for training: records it, returns a run
        trained.append(course)
        return quick_build.run

    monkeypatch.setattr("generator.build.train", train)

    def build_says(*flags: str) -> str:
        assert main(["build", "--quick", *flags, "--content", str(course_dir), "--out", str(out)]) == 0
        return capsys.readouterr().out

    assert "reusing the cached run" in build_says() and trained == []
    teaching = course_dir / "teaching.toml"
    teaching.write_text(teaching.read_text().replace("LLM training in 60 seconds", "Training in a minute"))
    assert "reusing the cached run" in build_says() and trained == []            # prose: the same run
    assert "Training in a minute" in (out / PAGE).read_text()
    prefs = course_dir / "preferences.toml"
    prefs.write_text(prefs.read_text().replace("What should happen?", "What now?", 1))
    assert "reusing the cached run" not in build_says() and len(trained) == 1    # what the model reads: train
    assert "What now?" in " ".join(p.prompt for p in trained[0].preferences)    # the edited course
    assert "reusing the cached run" in build_says() and len(trained) == 1        # ... once; then it is cached
    assert "reusing the cached run" not in build_says("--no-cache") and len(trained) == 2
