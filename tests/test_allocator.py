"""The allocator setting (generator/allocator.py): glibc keeps freed memory; the environment wins."""

from __future__ import annotations

import ctypes
import os
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
    for variable, _, _ in allocator._TUNABLES.values():
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.delenv("GLIBC_TUNABLES", raising=False)
    return fake


def test_the_three_tunables_are_set(libc):
    allocator.keep_freed_memory()
    # M_TRIM_THRESHOLD, M_TOP_PAD, M_MMAP_THRESHOLD (glibc's malloc.h), written out here, not read from the module
    assert sorted(libc.calls) == [(-3, 32 * 1024 * 1024), (-2, 64 * 1024 * 1024), (-1, 1024 * 1024 * 1024)]


def test_a_setting_in_the_environment_wins(libc, monkeypatch):
    monkeypatch.setenv("MALLOC_TOP_PAD_", "0")
    allocator.keep_freed_memory()
    assert [option for option, _ in libc.calls] == [-1, -3]


def test_a_glibc_tunable_in_the_environment_wins(libc, monkeypatch):
    monkeypatch.setenv("GLIBC_TUNABLES", "glibc.malloc.mmap_threshold=65536:glibc.malloc.trim_threshold=0")
    allocator.keep_freed_memory()
    assert [option for option, _ in libc.calls] == [-2]


def test_nothing_happens_off_linux(libc, monkeypatch):
    monkeypatch.setattr(sys, "platform", "darwin")
    allocator.keep_freed_memory()
    assert libc.calls == []


def test_a_c_library_without_mallopt_is_left_alone(monkeypatch):
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.setattr(ctypes, "CDLL", lambda name: object())      # no mallopt attribute (musl, say)
    allocator.keep_freed_memory()                                    # no error


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc only")
def test_importing_the_generator_keeps_freed_memory_in_a_fresh_process():
    """Ten 2 MB arrays made and freed together, 20 times. glibc's defaults hand the freed memory back to
    the system, so every round faults its pages in again (about 100,000 faults here); once the generator
    is imported, the memory is kept and reused."""
    work = ("import resource, numpy as np{imp}\n"
            "before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt\n"
            "for _ in range(20):\n"
            "    arrays = [np.ones(1 << 19) for _ in range(10)]\n"
            "    del arrays\n"
            "print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)")
    env = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_") and k != "GLIBC_TUNABLES"}
    faults = {name: int(subprocess.run([sys.executable, "-c", work.format(imp=imp)], capture_output=True,
                                       text=True, check=True, env=env).stdout)
              for name, imp in (("generator", "; import generator"), ("glibc", ""))}
    assert faults["glibc"] > 50_000 and faults["generator"] * 10 < faults["glibc"], faults
