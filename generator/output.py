"""The build folder: replace only a folder the generator made, one build at a time, in one atomic step.

build/ stays a real folder, so a teacher can open the page in it, copy it or zip it like any
other. A build writes a fresh folder beside it (.build.new-*) and exchanges the two in one
system call (Linux's renameat2 with RENAME_EXCHANGE): at every moment build/ holds the whole
previous build or the whole new one, and `make serve` keeps serving from the same path.
Where the system cannot exchange folders, two renames are used, with Ctrl-C held off between
them. A lock file (.build.lock) makes a second build into the same folder wait for the first.
"""

from __future__ import annotations

import ctypes
import errno
import fcntl
import os
import secrets
import shutil
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .errors import UserError
from .render import ALIGNMENT, GUIDE, METRICS, PAGE

PROJECT = Path(__file__).resolve().parent.parent
MARKER = ".generator-build"      # written into every build: the folder is the generator's to replace
MARKER_TEXT = ("This folder is written by `python -m generator build` and replaced whole by the next build.\n"
               "Keep no files of your own here.\n")
EARLIER_BUILD = {PAGE, GUIDE, ALIGNMENT, METRICS}   # what a build wrote before it left a marker

_AT_FDCWD = -100
_RENAME_EXCHANGE = 2


def refuse_unsafe(out: Path, content: Path) -> None:
    """Raise UserError unless `out` is new, empty or a build folder: a build replaces it whole."""
    target, course = out.resolve(), content.resolve()
    for folder, name in ((course, "the course folder"), (PROJECT, "the project folder")):
        if target == folder or folder.is_relative_to(target):
            raise UserError(f"--out {out} is {name} or holds it, and a build replaces its output folder "
                            "whole; choose a folder of its own, e.g. --out build")
    if out.is_symlink():
        raise UserError(f"--out {out} is a symbolic link; pass the folder it points to, {target}")
    if out.exists() and not out.is_dir():
        raise UserError(f"--out {out} is a file, not a folder; choose a folder for the build, e.g. --out build")
    if out.is_dir() and not replaceable(out):
        raise UserError(f"--out {out} holds files the generator did not write (it has no {MARKER} file), and "
                        "a build replaces its output folder whole; choose a new or empty folder")


def replaceable(folder: Path) -> bool:
    """True for an empty folder or one a build wrote: marked, or holding nothing but build files."""
    return (folder / MARKER).is_file() or all(e.name in EARLIER_BUILD and e.is_file() for e in folder.iterdir())


@contextmanager
def replacing(out: Path) -> Iterator[Path]:
    """Lock `out` and yield a fresh folder beside it (holding only the marker) to write the new build into.

    Leaving the block normally swaps that folder in for `out` in one step; leaving it with
    an error (or Ctrl-C) removes it, and `out` stays exactly as it was.
    """
    out = Path(os.path.abspath(out))
    _make_parent(out)
    with _locked(out):
        _remove_leftovers(out)
        new = _new_folder(out)
        try:
            yield new
        except BaseException:
            shutil.rmtree(new, ignore_errors=True)
            raise
        _swap_in(new, out)


def write_files(folder: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")


def _make_parent(out: Path) -> None:
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise _unwritable(out, err) from None


def _unwritable(out: Path, err: OSError) -> UserError:
    return UserError(f"cannot write the build into {out.parent}: {err.strerror.lower()}; "
                     "choose another --out, or make that folder writable")


@contextmanager
def _locked(out: Path) -> Iterator[None]:
    """Hold .<name>.lock beside `out` for the whole build; a second build waits for the first."""
    try:
        handle = open(out.parent / f".{out.name}.lock", "a")   # noqa: SIM115 (held until the build ends)
    except OSError as err:
        raise _unwritable(out, err) from None
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            print(f"another build into {out} is running; waiting for it to finish (Ctrl-C to stop)",
                  file=sys.stderr, flush=True)
            fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def _remove_leftovers(out: Path) -> None:
    """Folders an interrupted build left beside `out` (only ever ones a build wrote)."""
    for pattern in (f".{out.name}.new-*", f".{out.name}.old-*"):
        for folder in out.parent.glob(pattern):
            if folder.is_dir() and not folder.is_symlink() and replaceable(folder):
                shutil.rmtree(folder, ignore_errors=True)


def _new_folder(out: Path) -> Path:
    """A folder beside `out` holding only the marker, with the usual permissions (0755 under umask 022)."""
    folder = out.parent / f".{out.name}.new-{secrets.token_hex(6)}"
    try:
        folder.mkdir()
        (folder / MARKER).write_text(MARKER_TEXT, encoding="utf-8")
    except OSError as err:
        raise _unwritable(out, err) from None
    return folder


def _swap_in(new: Path, out: Path) -> None:
    """Put `new` where `out` is in one step, then delete the previous build."""
    with _interrupts_held():
        if not out.exists():
            new.rename(out)
            return
        if _exchange(new, out):
            old = new                                   # the exchange left the previous build here
        else:
            old = out.parent / f".{out.name}.old-{secrets.token_hex(6)}"
            out.rename(old)
            new.rename(out)
        shutil.rmtree(old, ignore_errors=True)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically (Linux renameat2, RENAME_EXCHANGE); False where the system cannot."""
    renameat2 = getattr(ctypes.CDLL(None, use_errno=True), "renameat2", None)
    if renameat2 is None:
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    if renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP):    # this file system or kernel cannot
        return False
    raise OSError(code, os.strerror(code), str(b))


@contextmanager
def _interrupts_held() -> Iterator[None]:
    """Ctrl-C is ignored for the millisecond the swap takes, so it never stops half-way."""
    if threading.current_thread() is not threading.main_thread():
        yield                                           # only the main thread receives Ctrl-C
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
