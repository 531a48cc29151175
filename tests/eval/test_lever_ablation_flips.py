"""bench/lever_ablation.py's `--levers`: single flips and `a+b` pairs, unknown names refused."""

from __future__ import annotations

import pytest

from bench.lever_ablation import parse_flips


def test_a_plus_joins_levers_flipped_together_and_commas_separate_runs() -> None:
    assert parse_flips("title_e5,arabic_names,title_e5+arabic_names") == [
        ["title_e5"],
        ["arabic_names"],
        ["title_e5", "arabic_names"],
    ]


def test_an_unknown_lever_inside_a_pair_is_refused() -> None:
    with pytest.raises(ValueError, match="title_e6"):
        parse_flips("title_e5+title_e6")
