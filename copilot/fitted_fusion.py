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

With the query adapter (copilot.query_adapter, LEVERS["query_adapter"]) e5's same-language ranking is sharper, and
the weights fitted without it no longer fit: on them the adapter cost m365 Arabic 0.010 and GNOME 0.008. So a query
whose e5 vector the adapter mapped is fused with ADAPTED_WEIGHTS, refitted by the same rule with the adapter on,
Arabic too (now a point gains the demo and costs m365 no more than 0.002); a query it did not map (no map for the
language yet, a ticket) keeps FITTED_WEIGHTS (bench/RESULTS.md "Session 25, jointfit25").
"""

from __future__ import annotations

from collections.abc import Mapping

from copilot.tuning import FUSION_WEIGHTS

# English: demo and GNOME Help, grid USE {0.3, 0.45, 0.6, 0.8, 1.0} x BM25 {0.2, 0.3, 0.45, 0.6, 1.0}, k 10.
# Shipped (USE 1.0, BM25 0.6): demo 0.922, GNOME 0.763; here: demo 0.929, GNOME 0.799.
FITTED_WEIGHTS: dict[str, dict[str, float]] = {
    "en": {"e5": 1.0, "use": 0.45, "lexical": 0.3},
}


# With the adapter on, grid USE {0.2, 0.3, 0.45, 0.6, 0.8, 1.0} x BM25 {0.1, 0.2, 0.3, 0.45, 0.6, 1.0} (English) and
# USE {0.3, 0.45, 0.6, 0.8, 1.0} x BM25 {0.6, 0.8, 1.0, 1.3, 1.6} (Arabic), the point whose smaller gain over main
# (adapter off, the weights above) is largest. English: demo 0.929 -> 0.934, GNOME 0.799 -> 0.801 (at FITTED_WEIGHTS
# 0.928, 0.791); Arabic: demo 0.908 -> 0.912, m365 0.867 -> 0.865 (at the shipped weights 0.908, 0.857).
ADAPTED_WEIGHTS: dict[str, dict[str, float]] = {
    "en": {"e5": 1.0, "use": 0.8, "lexical": 0.2},
    "ar": {"e5": 1.0, "use": 0.6, "lexical": 1.3},
}


def fusion_weights(
    fusion: Mapping[str, Mapping[str, float]], lang: str, fitted: bool, adapted: bool = False
) -> dict[str, float]:
    """The weighted-RRF weights for a query in `lang`: the configured ones (`fusion`, per language with
    "*" for any other), or with `fitted` the two-domain ones where the configuration is the shipped default:
    those fitted with the query adapter when the query's e5 vector was `adapted`, else those fitted without."""
    configured = dict(fusion.get(lang, fusion.get("*", {})))
    shipped = FUSION_WEIGHTS.get(lang, FUSION_WEIGHTS["*"])
    table = ADAPTED_WEIGHTS if adapted else FITTED_WEIGHTS
    if fitted and lang in table and configured == shipped:
        return dict(table[lang])
    return configured
