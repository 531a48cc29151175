"""Run the hostile-input properties of tests/kb/test_fuzz.py with many more examples than CI does.

    python bench/fuzz_bench.py --examples 5000

CI runs each property with KB_FUZZ_EXAMPLES (default 40) so the suite stays fast; this runs the
same properties with a bigger budget and prints, per property, the examples tried, the time taken
and whether it held. A failure prints hypothesis's minimal failing example and exits 1.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=2000, help="examples per property (default 2000)")
    args = parser.parse_args()
    os.environ["KB_FUZZ_EXAMPLES"] = str(args.examples)  # read when the test module is imported
    from tests.kb import test_fuzz

    properties = [(name, fn) for name, fn in vars(test_fuzz).items() if name.startswith("test_") and callable(fn)]
    failed = 0
    for name, prop in properties:
        started = time.perf_counter()
        try:
            prop()
            verdict = "held"
        except Exception:  # hypothesis re-raises the minimal failing example's error
            failed += 1
            verdict = "FAILED"
            traceback.print_exc()
        print(f"{name}: {args.examples} examples, {time.perf_counter() - started:.1f} s, {verdict}", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
