"""bench/xcal_candidates.py scores the near-topic questions apart from the dev ones (bench/RESULTS.md "Session 16,
nearen6")."""

import numpy as np
import pytest

from bench.xcal_candidates import case_data, near_line, raw_title

SCALES = {
    "cross": {"wrong_title": 0.5, "true_title": 0.7},
    "title_samples": {"true_chunk": [0.5, 0.6], "wrong_chunk": [0.4, 0.45], "true_title": [0.7], "wrong_title": [0.5]},
    "density_samples": [0.3, 0.35],
}


def row(query: str, relevant: list[str], chunk_share: float, near: bool = False) -> dict:
    signals = {"cross_share": chunk_share, "cross_title_share": -3.0, "cross_top": 0.3, "cross_heading_top": 0.3}
    return {"lang": "en", "query": query, "relevant": relevant, "signals": signals} | ({"near": True} if near else {})


ROWS = [
    row("reset a password", ["a"], -1.0),
    row("weather tomorrow", [], -3.0),
    row("pivot table in excel", [], -2.5, near=True),  # under the shipped en>ar chunk floor and the -2.0 one
    row("zoom host key", [], -1.9, near=True),  # under the shipped floor only
    row("slack free plan", [], -1.0, near=True),  # above both
]


def test_dev_rows_and_near_topic_questions_are_read_apart() -> None:
    dev, near = case_data(ROWS, SCALES), case_data(ROWS, SCALES, near=True)
    assert dev["oos"].tolist() == [False, True]
    assert near["oos"].tolist() == [True, True, True]


def test_the_near_topic_line_gives_each_candidates_share_of_the_near_topic_questions_flagged() -> None:
    line = near_line("m365 en>ar", case_data(ROWS, SCALES), case_data(ROWS, SCALES, near=True))
    assert line.startswith("m365 en>ar near-topic (3), flagged: product 67%;")
    assert "chunk floor -2.0 33%" in line


def test_the_title_cosine_is_read_back_on_the_scale_the_dump_was_taken_with() -> None:
    """From the background (0) to the nearest wrong title (1) when the dump holds a background (Session 17, xscale7);
    from the nearest wrong title (0) to the right one (1) in an older dump."""
    shares = np.array([0.0, 1.0, 0.5])
    background = raw_title({"wrong_title": 0.75, "true_title": 1.0, "background_title": 0.15}, shares)
    assert background.tolist() == pytest.approx([0.15, 0.75, 0.45])
    assert raw_title({"wrong_title": 0.75, "true_title": 1.0}, shares).tolist() == pytest.approx([0.75, 1.0, 0.875])
