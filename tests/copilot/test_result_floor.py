from copilot.head_queries import head_first
from copilot.result_floor import MAX_SHOWN, split_at_floor
from copilot.retrieval import SearchHit


def hit(article_id: str, score: float) -> SearchHit:
    return SearchHit(article_id, "en", article_id, "", "", "", score, False, "x", False, "")


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
    return SearchHit(article_id, "en", title, "", "", "", score, False, "x", False, "")


TAGS = {"start": ["returns", "return an item"], "policy": ["return window"], "tips": ["security", "password"],
        "tips-ar": ["كلمة المرور"], "reset-ar": ["كلمة المرور"]}


def tags(hit: SearchHit) -> list[str]:
    return TAGS.get(hit.id, [])


def test_a_title_that_says_the_whole_short_query_comes_first() -> None:
    hits = [titled("tips", "Tips to keep your account secure", 1.0), titled("reset", "Reset your password", 0.9)]
    assert [h.id for h in head_first(hits, "password", tags)] == ["reset", "tips"]
    arabic = [titled("tips-ar", "نصائح لحماية حسابك", 1.0), titled("reset-ar", "إعادة تعيين كلمة المرور", 0.8)]
    assert [h.id for h in head_first(arabic, "كلمة المرور", tags)] == ["reset-ar", "tips-ar"]  # both tagged


def test_a_question_keeps_the_ranking_unless_a_tag_names_it() -> None:
    hits = [titled("policy", "Return policy", 1.0), titled("items", "Items that can't be returned", 0.9),
            titled("start", "Start a return", 0.8)]
    assert [h.id for h in head_first(hits, "how do I return an item", tags)] == ["start", "policy", "items"]
    assert [h.id for h in head_first(hits, "how do I return a sofa", tags)] == ["policy", "items", "start"]
