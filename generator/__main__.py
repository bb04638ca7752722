"""Command line: python -m generator {build,train,check,serve}."""

from __future__ import annotations

import argparse
import json
import os
import sys
import traceback
from pathlib import Path

from . import claims, contamination, estimate
from .content import Course, authoring_notes, load_course
from .errors import explain

UNCHANGED = "Nothing was built; the previous build is unchanged."


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m generator",
                                     description="Train a tiny LLM in four stages and build the teaching package.")
    sub = parser.add_subparsers(dest="command", required=True)
    commands = {
        "build": "train (or reuse the cached run) and write the page and documents",
        "train": "run the four training stages and print their log and summary",
        "check": "validate the course folder without training",
        "serve": "preview on 127.0.0.1, rebuilding when content/ or templates/ change",
    }
    for name, help_text in commands.items():
        p = sub.add_parser(name, help=help_text, description=help_text)
        p.add_argument("--content", default="content", help="course folder (default: content)")
        p.add_argument("--debug", action="store_true", help="show the full traceback of an unexpected error")
        if name == "check":
            continue
        p.add_argument("--quick", action="store_true", help="a much shorter run, for tests and rehearsals")
        p.add_argument("--seed", type=int, help="override the seed in course.toml")
        p.add_argument("--allow-long", action="store_true",
                       help=f"train even if it would take more than {estimate.duration(estimate.LIMIT_SECONDS)}")
        if name in ("build", "serve"):
            p.add_argument("--out", default="build", help="output folder (default: build)")
            p.add_argument("--no-cache", action="store_true", help="train again even if a cached run matches")
        if name == "serve":
            p.add_argument("--port", type=int, default=8000, help="port on 127.0.0.1 (default: 8000)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return _run(args)
    except KeyboardInterrupt:
        print("\ninterrupted: nothing was built; the previous build is unchanged.", file=sys.stderr)
        return 130
    except Exception as err:
        if args.debug:
            traceback.print_exc()
        code, lines = explain(err, args.content)
        if args.command != "check":     # one line stays one line; a list of problems gets a closing line
            lines = [*lines, UNCHANGED] if len(lines) > 1 else [f"{lines[0].rstrip('.')}. {UNCHANGED}"]
        print("\n".join(lines), file=sys.stderr)
        return code


def _run(args: argparse.Namespace) -> int:
    course = load_course(args.content)
    for note in authoring_notes(course) + contamination.notes(course) + claims.notes(course):
        print(f"note: {os.path.join(args.content, note)}", file=sys.stderr)
    if args.command == "check":
        print(_summary(args.content, course))
        return 0
    if args.seed is not None:
        course = course.with_seed(args.seed)
    if args.command == "train":
        from .build import train
        print(json.dumps(train(course, args.quick, allow_long=args.allow_long)["summary"], indent=2))
        return 0
    if args.command == "build":
        from .build import build
        build(course, Path(args.out), quick=args.quick, use_cache=not args.no_cache, allow_long=args.allow_long)
        return 0
    from .serve import serve
    return serve(args)


def _summary(content: str, course: Course) -> str:
    """check's verdict: what the course holds and how long it trains."""
    full, quick = (estimate.total_seconds(course, s) for s in (course.settings, course.quick_settings))
    over = (f"; that is more than {estimate.duration(estimate.LIMIT_SECONDS)}, so build and train need "
            "--allow-long") if full > estimate.LIMIT_SECONDS else ""
    return (f"{content}: OK ({len(course.corpus)} corpus files, {len(course.sft_pairs)} SFT pairs, "
            f"{len(course.preferences)} preference pairs); training takes {estimate.describe(course, course.settings)}"
            f"{over}; with --quick about {estimate.duration(quick)}")


if __name__ == "__main__":
    sys.exit(main())
