"""Keep freed memory for reuse instead of handing it back to the operating system.

Training allocates and frees arrays of a few megabytes thousands of times a second.
By default glibc's malloc returns such blocks to the system when they are freed, so the
next array of the same size starts on fresh pages and the kernel must zero every page on
first touch: on the 2-core test machine that cost about 8 s of system time in a 35 s
`python -m generator train` (3.8 million page faults; 1.1 million with these settings).
These are glibc's own tunables (see `man mallopt`); a MALLOC_*_ variable set in the
environment wins, and on other C libraries nothing changes.
"""

from __future__ import annotations

import ctypes
import os
import sys

# mallopt option -> (its environment variable, our value)
_TUNABLES = {
    -1: ("MALLOC_TRIM_THRESHOLD_", 1 << 30),   # M_TRIM_THRESHOLD: keep up to 1 GB of freed memory at the heap's top
    -2: ("MALLOC_TOP_PAD_", 64 << 20),          # M_TOP_PAD: grow the heap 64 MB at a time
    -3: ("MALLOC_MMAP_THRESHOLD_", 32 << 20),   # M_MMAP_THRESHOLD: blocks under 32 MB (glibc's most) from the heap
}


def keep_freed_memory() -> None:
    """Apply the tunables above to this process (unless the environment sets them)."""
    if not sys.platform.startswith("linux"):
        return
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):          # not glibc (musl, say): nothing to tune
        return
    for option, (variable, value) in _TUNABLES.items():
        if variable not in os.environ:
            mallopt(option, value)
