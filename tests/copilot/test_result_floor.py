from copilot.result_floor import MAX_SHOWN, split_at_floor
from copilot.retrieval import SearchHit
from copilot.title_first import title_first


def hit(article_id: str, score: float) -> SearchHit:
    url = f"/en/articles/{article_id}"
    return SearchHit(article_id, "en", article_id, "", "", "", url, score, False, "x", False, "")


def test_results_near_the_best_score_are_shown_and_the_rest_wait() -> None:
    hits = [hit("a", 1.0), hit("b", 0.8), hit("c", 0.3), hit("d", 0.2)]
    shown, more = split_at_floor(hits, 0.5)
    assert [h.id for h in shown] == ["a", "b"] and [h.id for h in more] == ["c", "d"]


def test_at_least_one_and_at_most_a_page_are_shown() -> None:
    assert [h.id for h in split_at_floor([hit("a", 0.01)], 0.9)[0]] == ["a"]
    flat = [hit(str(i), 1.0) for i in range(15)]
    shown, more = split_at_floor(flat, 0.5)
    assert len(shown) == MAX_SHOWN and len(more) == 15 - MAX_SHOWN
    assert split_at_floor([], 0.5) == ([], [])


def titled(article_id: str, title: str, score: float) -> SearchHit:
    return SearchHit(article_id, "en", title, "", "", "", "", score, False, "x", False, "")


def test_a_title_that_says_the_whole_short_query_comes_first() -> None:
    hits = [titled("tips", "Tips to keep your account secure", 1.0), titled("reset", "Reset your password", 0.9)]
    assert [h.id for h in title_first(hits, "password")] == ["reset", "tips"]
    arabic = [titled("tips", "نصائح لحماية حسابك", 1.0), titled("reset", "إعادة تعيين كلمة المرور", 0.8)]
    assert [h.id for h in title_first(arabic, "كلمة المرور")] == ["reset", "tips"]
    long_query = "why was my card charged twice for one order"
    assert [h.id for h in title_first(hits, long_query)] == ["tips", "reset"]  # questions keep the ranking
