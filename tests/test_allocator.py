"""The allocator setting (generator/allocator.py): glibc keeps freed memory; the environment wins."""

from __future__ import annotations

import ctypes
import subprocess
import sys

import pytest

from generator import allocator


class FakeLibc:
    def __init__(self):
        self.calls = []

    def mallopt(self, option, value):
        self.calls.append((option, value))
        return 1


@pytest.fixture
def libc(monkeypatch):
    fake = FakeLibc()
    monkeypatch.setattr(ctypes, "CDLL", lambda name: fake)
    monkeypatch.setattr(sys, "platform", "linux")
    for variable, _ in allocator._TUNABLES.values():
        monkeypatch.delenv(variable, raising=False)
    return fake


def test_the_three_tunables_are_set(libc):
    allocator.keep_freed_memory()
    # M_TRIM_THRESHOLD, M_TOP_PAD, M_MMAP_THRESHOLD (glibc's malloc.h), written out here, not read from the module
    assert sorted(libc.calls) == [(-3, 32 * 1024 * 1024), (-2, 64 * 1024 * 1024), (-1, 1024 * 1024 * 1024)]


def test_a_setting_in_the_environment_wins(libc, monkeypatch):
    monkeypatch.setenv("MALLOC_TOP_PAD_", "0")
    allocator.keep_freed_memory()
    assert [option for option, _ in libc.calls] == [-1, -3]


def test_nothing_happens_off_linux(libc, monkeypatch):
    monkeypatch.setattr(sys, "platform", "darwin")
    allocator.keep_freed_memory()
    assert libc.calls == []


def test_a_c_library_without_mallopt_is_left_alone(monkeypatch):
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.setattr(ctypes, "CDLL", lambda name: object())      # no mallopt attribute (musl, say)
    allocator.keep_freed_memory()                                    # no error


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc only")
def test_importing_the_generator_applies_it_in_a_fresh_process():
    """A 4 MB array freed and made again, 50 times. Under glibc's starting mmap threshold (128 kB, fixed
    here by its environment variable) each one is mapped anew and faults in its 1,024 pages; once the
    generator is imported it comes from the heap, is kept when freed, and is reused."""
    work = ("import resource, numpy as np{imp}\n"
            "small = [np.ones(1000) for _ in range(10)]\n"
            "for _ in range(3): a = np.ones(1 << 20); b = np.ones(10); del a\n"
            "before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt\n"
            "for _ in range(50): a = np.ones(1 << 20); b2 = np.ones(10); del a\n"
            "print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)")
    faults = {name: int(subprocess.run([sys.executable, "-c", work.format(imp=imp)], capture_output=True,
                                       text=True, check=True, env={"MALLOC_MMAP_THRESHOLD_": "131072"}
                                       if name == "glibc" else None).stdout)
              for name, imp in (("tuned", "; import generator"), ("glibc", ""))}
    assert faults["tuned"] * 10 < faults["glibc"], faults
