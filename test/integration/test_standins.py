#!/usr/bin/python3
"""ctest entry: run the stand-ins' self-test (test/standins/selftest.py).

Exits non-zero when any check fails; the stand-ins' logs are printed then.
"""

import os
import sys

SOURCE_DIR = os.environ.get("ET_SOURCE_DIR") or os.path.abspath(
    os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
STANDINS = os.path.join(SOURCE_DIR, "test", "standins")
sys.path.insert(0, STANDINS)

import selftest  # noqa: E402

if __name__ == "__main__":
    sys.exit(selftest.run(sys.argv[1:]))
