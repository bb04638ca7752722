"""Keep freed memory for reuse instead of handing it back to the operating system.

Training allocates and frees arrays of a few megabytes thousands of times a second.
By default glibc's malloc returns such blocks to the system when they are freed, so the
next array of the same size starts on fresh pages and the kernel must zero every page on
first touch. On the 2-core test machine, `python -m generator train` made 3.8 million page
faults without these settings and 1.1 million with them (the autograd freeing each graph as
it goes, since, brings it to 0.9 million; these settings' own share is then about 3 s of
system time).
These are glibc's own tunables (see `man mallopt`); a setting in the environment wins (a
MALLOC_*_ variable, or the same tunable in GLIBC_TUNABLES), and on other C libraries nothing changes.
"""

from __future__ import annotations

import ctypes
import os
import sys

# mallopt option -> (its environment variable, its name in GLIBC_TUNABLES, our value)
_TUNABLES = {
    -1: ("MALLOC_TRIM_THRESHOLD_", "glibc.malloc.trim_threshold", 1 << 30),  # keep up to 1 GB freed at the heap's top
    -2: ("MALLOC_TOP_PAD_", "glibc.malloc.top_pad", 64 << 20),                # grow the heap 64 MB at a time
    -3: ("MALLOC_MMAP_THRESHOLD_", "glibc.malloc.mmap_threshold", 32 << 20),  # blocks < 32 MB (its most) from the heap
}


def keep_freed_memory() -> None:
    """Apply the tunables above to this process (unless the environment sets them)."""
    if not sys.platform.startswith("linux"):
        return
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):          # not glibc (musl, say): nothing to tune
        return
    for option, (variable, tunable, value) in _TUNABLES.items():
        if variable not in os.environ and f"{tunable}=" not in os.environ.get("GLIBC_TUNABLES", ""):
            mallopt(option, value)
