"""The seeded draw the m365 customer-like dev slice was written about: `python tests/eval/customer/draw.py`.

Seed 3313, fixed before any article was read. The pool is the public m365 articles
(`public(var/bench/m365-content/ar)`, as in tests/eval/heldout/draw.py), minus the 80 articles of held-out
round 1 (`random.Random(1802).sample(pool, 80)`) and the 80 of round 2 (`random.Random(2612).sample(pool, 80)`),
each the first call on its own rng over the same pool, so this dev slice never shares a drawn article with a
held-out round. 110 articles are drawn: the first 70 for Arabic questions, the other 40 for English ones (the
English questions are about Arabic-only articles, as the suite's "English over Arabic-only" case indexes only
Arabic). Kinds are dealt in turn down the drawn order (the file's kind "dialect" is any of the three
dialects). One article is skipped: `zimbabwe`, whose page names Zambia in its title and Namibia in its text, so
no customer's Zimbabwe question has an answer in it; `tajikistan`'s page is Kyrgyzstan's, so its question asks
about Kyrgyzstan and is labelled with both pages. 69 Arabic and 40 English questions. Each line: set, kind,
article id, title, summary, headings.
The questions in tests/eval/m365_customer_queries.jsonl were written by hand after reading each article, as a
customer would ask who does not know the article's words; each is labelled with every article that answers it.
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "heldout"))
from draw import M365_AR, m365_pool

AR_KINDS = ["dialect-gulf", "paraphrase", "dialect-egyptian", "question", "dialect-levantine", "framing", "mixed"]
EN_KINDS = ["paraphrase", "framing", "question"]


SEED = 3313


def customer_sample(root: Path = M365_AR) -> list[dict]:
    """The slice's 110 articles, in drawn order: held-out round 3 on leaves these out (heldout/draw.py)."""
    return random.Random(SEED).sample(m365_pool(root, rounds=(1, 2)), 110)


def main() -> None:
    sample = customer_sample()
    rows = [("m365-ar", AR_KINDS[i % len(AR_KINDS)], m) for i, m in enumerate(sample[:70])]
    rows += [("m365-en", EN_KINDS[i % len(EN_KINDS)], m) for i, m in enumerate(sample[70:])]
    for label, kind, m in rows:
        print(f"{label}\t{kind}\t{m['id']}\t{m['title']}\t{m['summary']}\t{' | '.join(m['heads'][:8])}")


if __name__ == "__main__":
    main()
