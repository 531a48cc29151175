"""Fusion weights fitted on two help centers, not one (issue #18, LEVERS["fitted_fusion"]).

The shipped weights (copilot.tuning.FUSION_WEIGHTS) were chosen on the demo help center alone, whose
English grid was flat: any weights scored about the same there, so nothing told USE's and BM25's
English weights apart. GNOME Help, a real English help center nothing was tuned on, does tell: there
the hybrid fell below e5 alone (MRR@10 0.763 against 0.780) because BM25 (0.645 alone) and USE (0.685)
outvote e5's right page, and the same happened on the private held-out help center's English.

The rule: a language's weights are the point of one coarse grid (USE and BM25 beside e5's 1.0, RRF k
as configured) that does best on the worse of the dev domains asking in that language, each scored
against its own MRR@10 with the shipped weights; a language only one domain asks keeps the shipped
weights (Arabic: the demo and m365 both ask it, and no grid point gains on both, so it is not listed).
Fitted on one English domain and scored on the other, the choice holds (bench/RESULTS.md "Session 20,
fusion20"). No word of any help center is involved: only how much each model's ranking counts.

A help center whose `_search.yml` gives its own weights for a language keeps them: the fitted weights
replace only the shipped defaults.
"""

from __future__ import annotations

from collections.abc import Mapping

from copilot.tuning import FUSION_WEIGHTS

# English: demo and GNOME Help, grid USE {0.3, 0.45, 0.6, 0.8, 1.0} x BM25 {0.2, 0.3, 0.45, 0.6, 1.0}, k 10.
# Shipped (USE 1.0, BM25 0.6): demo 0.922, GNOME 0.763; here: demo 0.929, GNOME 0.799.
FITTED_WEIGHTS: dict[str, dict[str, float]] = {
    "en": {"e5": 1.0, "use": 0.45, "lexical": 0.3},
}


# Per language and kind of query (copilot.query_kind), with LEVERS["kind_fusion"] (bench/kind_fusion.py,
# bench/RESULTS.md "Session 38, retr38"). The rule: per kind, fitted_fusion's joint point over the two dev domains
# asking the language, kept only where each domain's own fit, scored on the other, costs it nothing (the kind's fit
# transfers both ways); any other kind keeps its language's weights. Arabic questions of 3-5 content words (demo and
# m365): USE 0.3, BM25 1.3; fitted on one, on the other: demo's (0.3, 1.6) on m365 +0.005, m365's (0.3, 1.3) on the
# demo +0.011. English keyword queries: demo and GNOME both fit USE 0.2, BM25 0.1 (e5 more, not BM25). Not kept:
# Arabic mixed-script and English stories and questions (a domain's fit costs the other 0.004-0.011), Arabic keywords
# and stories (m365 has 3 keyword queries; the stories' fits are main's weights).
KIND_WEIGHTS: dict[str, dict[str, dict[str, float]]] = {
    "ar": {"question": {"e5": 1.0, "use": 0.3, "lexical": 1.3}},
    "en": {"keyword": {"e5": 1.0, "use": 0.2, "lexical": 0.1}},
}


def fusion_weights(
    fusion: Mapping[str, Mapping[str, float]], lang: str, fitted: bool, kind: str | None = None
) -> dict[str, float]:
    """The weighted-RRF weights for a query in `lang`: the configured ones (`fusion`, per language with
    "*" for any other), or with `fitted` the two-domain ones where the configuration is the shipped default;
    with `kind` (the query's, copilot.query_kind) that kind's weights where KIND_WEIGHTS has them, again only in
    place of the shipped default."""
    configured = dict(fusion.get(lang, fusion.get("*", {})))
    shipped = FUSION_WEIGHTS.get(lang, FUSION_WEIGHTS["*"])
    if configured != shipped:
        return configured
    if kind is not None and kind in KIND_WEIGHTS.get(lang, {}):
        return dict(KIND_WEIGHTS[lang][kind])
    if fitted and lang in FITTED_WEIGHTS:
        return dict(FITTED_WEIGHTS[lang])
    return configured
