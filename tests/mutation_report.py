"""The mutation score per module from mutmut's results (make mutants runs this after `mutmut run`).

    python -m tests.mutation_report [mutant name patterns]

Only the mutants the patterns select count (make mutants passes the ones it ran: for content.py,
its validation functions). A mutant is killed when a test failed or timed out on it; one no test
reached counts as surviving. A surviving mutant listed in tests/equivalent_mutants.toml behaves as
the code does (no test could tell them apart): it is counted apart and left out of the score. The
other surviving mutants are listed, one a line, in mutants/survivors.txt; `.venv/bin/mutmut show
NAME` prints the change each one makes.
"""

from __future__ import annotations

import fnmatch
import json
import sys
import tomllib
from collections import Counter, defaultdict
from pathlib import Path

RESULTS = Path("mutants")
EQUIVALENT = Path(__file__).with_name("equivalent_mutants.toml")
# mutmut's exit codes: a failing test (1, 3), a time-out (24, 36, 152, 255, SIGXCPU) or a crash (SIGKILL, SIGSEGV)
# all mean the tests noticed the mutant
KILLED, TIMEOUT, SURVIVED, NO_TESTS = {1, 3, -9, -11}, {24, -24, 36, 152, 255}, {0}, {5, 33}
TARGETS = {"generator/checks.py": 0.8, "generator/format.py": 0.8, "generator/cache.py": 0.8,
           "generator/training/": 0.7}


def equivalent() -> dict[str, str]:
    """Mutant name -> why it behaves as the code does (tests/equivalent_mutants.toml)."""
    entries = tomllib.loads(EQUIVALENT.read_text(encoding="utf-8"))["mutant"]
    return {name: entry["why"] for entry in entries for name in entry["names"]}


def outcome(code: int | None) -> str:
    if code is None:
        return "not run"
    if code in KILLED or code in TIMEOUT:
        return "killed"
    if code in NO_TESTS:
        return "no test"
    return "survived" if code in SURVIVED else "other"


def results(patterns: list[str], same: dict[str, str]) -> dict[str, dict[str, str]]:
    """module -> mutant name -> outcome, for the mutants the patterns select (a survivor in `same`: equivalent)."""
    by_module: dict[str, dict[str, str]] = defaultdict(dict)
    for meta in sorted(RESULTS.glob("generator/**/*.py.meta")):
        module = meta.relative_to(RESULTS).as_posix().removesuffix(".meta")
        for name, code in json.loads(meta.read_text())["exit_code_by_key"].items():
            if not patterns or any(fnmatch.fnmatch(name, p) for p in patterns):
                result = outcome(code)
                by_module[module][name] = "equivalent" if result == "survived" and name in same else result
    return by_module


def line(label: str, outcomes: list[str], target: float | None = None) -> str:
    counts = Counter(outcomes)
    tested = counts["killed"] + counts["survived"] + counts["no test"] + counts["other"]
    score = counts["killed"] / tested if tested else 0.0
    verdict = "" if target is None else ("  (target {:.0%}: {})".format(target, "met" if score >= target else "MISSED"))
    return (f"{label:<36} {len(outcomes):>6} {counts['killed']:>7} {counts['survived']:>9} {counts['equivalent']:>6} "
            f"{counts['no test']:>8} {counts['not run']:>8} {score:>7.1%}{verdict}")


def main(patterns: list[str]) -> int:
    same = equivalent()
    found = results(patterns, same)
    if not found:
        print("no mutmut results: run `make mutants`", file=sys.stderr)
        return 1
    print(f"{'module':<36} {'mutants':>6} {'killed':>7} {'survived':>9} {'equiv.':>6} {'no test':>8} {'not run':>8} "
          f"{'score':>7}")
    training: list[str] = []
    for module, outcomes in sorted(found.items()):
        if module.startswith("generator/training/"):
            training += outcomes.values()
        print(line(module, list(outcomes.values()), TARGETS.get(module)))
    if training:
        print(line("generator/training/ (all)", training, TARGETS["generator/training/"]))
    print(line("all", [o for outcomes in found.values() for o in outcomes.values()]))
    survivors = sorted(name for outcomes in found.values() for name, o in outcomes.items()
                       if o in ("survived", "no test"))
    (RESULTS / "survivors.txt").write_text("".join(f"{name}\n" for name in survivors), encoding="utf-8")
    print(f"\n{len(survivors)} surviving mutants listed in {RESULTS / 'survivors.txt'}; "
          "`.venv/bin/mutmut show NAME` shows one")
    ran = {name: o for outcomes in found.values() for name, o in outcomes.items()}
    modules = {module.removesuffix(".py").replace("/", ".") for module in found}
    stale = sorted(name for name in same if ran.get(name) in ("killed", "no test")
                   or name not in ran and name.split(".x")[0] in modules)
    if stale:
        print(f"{EQUIVALENT.name} lists {len(stale)} mutants that no longer survive or exist (their code changed: "
              "judge them again): " + ", ".join(stale))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
