"""Command line: python -m generator {train,build,check,serve}."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .content import ContentError, load_course
from .training.loop import TrainingDiverged


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m generator", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    for name, help_text in (("train", "run the three training stages and print their log"),
                            ("build", "train (or reuse the cached run) and write build/"),
                            ("check", "validate the course folder without training")):
        p = sub.add_parser(name, help=help_text)
        p.add_argument("--content", default="content", help="course folder (default: content)")
        if name != "check":
            p.add_argument("--quick", action="store_true", help="a much shorter run, for tests")
            p.add_argument("--seed", type=int, help="override the seed in course.toml")
        if name == "build":
            p.add_argument("--out", default="build", help="output folder (default: build)")
    args = parser.parse_args(argv)
    try:
        course = load_course(args.content)
        if args.command == "check":
            print(f"{args.content}: OK")
            return 0
        from .pipeline import run_pipeline
        if args.seed is not None:
            course = course.with_seed(args.seed)
        run = run_pipeline(course, quick=args.quick)
        if args.command == "train":
            print(json.dumps(run["summary"], indent=2))
        else:
            from .render import render_outputs, write_atomically
            write_atomically(Path(args.out), render_outputs(course, run))
            print(f"wrote {args.out}/")
        return 0
    except ContentError as err:
        print(f"error: the course in {args.content} has problems:", file=sys.stderr)
        for problem in err.problems:
            print(f"  {args.content}/{problem}", file=sys.stderr)
        return 2
    except TrainingDiverged as err:
        print(f"error: training stopped: {err}", file=sys.stderr)
        return 3


if __name__ == "__main__":
    sys.exit(main())
