"""A multipart form's text fields held to what a JSON object's are (`kb.strict_json.strict_fields`): the API's
ticket with files refuses what its JSON body refuses, by the same words."""

from __future__ import annotations

import pytest

from kb.strict_json import StrictJSONError, strict_fields, strict_loads


def test_fields_come_back_as_a_mapping_in_order() -> None:
    assert list(strict_fields([("email", "omar@example.com"), ("subject", "طلبي"), ("name", "")]).items()) == [
        ("email", "omar@example.com"), ("subject", "طلبي"), ("name", "")]


@pytest.mark.parametrize(("pairs", "raw_json"), [
    ([("subject", "a"), ("subject", "b")], '{"subject": "a", "subject": "b"}'),
    ([("body", "x\x00y")], '{"body": "x\\u0000y"}'),
    ([("name", "\ud800")], '{"name": "\\ud800"}'),
    ([("nam\x00e", "x")], '{"nam\\u0000e": "x"}'),
])
def test_a_form_is_refused_as_the_same_json_object_is(pairs: list[tuple[str, str]], raw_json: str) -> None:
    with pytest.raises(StrictJSONError) as as_json:
        strict_loads(raw_json)
    with pytest.raises(StrictJSONError) as as_form:
        strict_fields(pairs)
    assert str(as_form.value) == str(as_json.value) and str(as_form.value).split(":")[0] in raw_json
