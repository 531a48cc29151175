"""bench/self_probe.py with terser Arabic customer probes (issue #18, bench/RESULTS.md "Session 20, selfprobe20").

    PYTHONPATH=. python bench/self_probe_terse.py --json var/selfprobe/probe_b.json --domains demo,m365
    PYTHONPATH=. python bench/self_probe.py --read var/selfprobe/probe_b.json  # "reference quantiles [ar]" line
    PYTHONPATH=. python bench/self_probe_terse.py --customer --reference 0.589,0.422,0.372

copilot.self_calibration's customer wording (CUSTOMER_PROBES) with every ال left off (ARTICLE_DROP 1.0) and the
titles and headings asked with words left out as well (`partial`), so every Arabic pooled probe is terse; with
--customer, LEVERS["self_floors"] carries the Arabic floors by --reference (e5, USE, BM25 positions among the demo's
probes of this kind, printed by --read). Measured, not shipped.
"""

from __future__ import annotations

import random
import sys
from collections.abc import Mapping, Sequence

from bench import self_probe
from copilot import retrieval, self_calibration


def terse_probes(rows: Sequence[Mapping[str, object]], lang: str, size: int = self_calibration.PROBES) -> dict:
    out = self_calibration.probes(rows, lang, size)
    if lang in self_calibration.CUSTOMER_LANGS:
        rng = random.Random("terse")  # the seed the figures were measured with
        for kind in [k for k in ("title", "heading") if k in out]:
            out[kind] = [self_calibration.partial(t, rng) or t for t in out[kind]]
    return out


def main() -> None:
    self_calibration.CUSTOMER_PROBES = True
    self_calibration.ARTICLE_DROP = 1.0
    self_probe.probes = terse_probes
    retrieval.probes = terse_probes
    if "--reference" in sys.argv:
        at = sys.argv.index("--reference")
        values = [float(v) for v in sys.argv[at + 1].split(",")]
        retrieval.REFERENCE_QUANTILES["ar"] = dict(zip(("e5_top", "use_top", "lexical_share"), values, strict=True))
        del sys.argv[at : at + 2]
    self_probe.main()


if __name__ == "__main__":
    main()
