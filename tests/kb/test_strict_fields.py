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


def test_a_number_longer_than_python_reads_is_refused_naming_where_it_is() -> None:
    """hostile40: a whole number past 4,300 digits raised json's ValueError telling the sender to call
    `sys.set_int_max_str_digits()` and naming no field (the API answered "send a JSON object with ...", an import line
    quoted Python); it is now a StrictJSONError naming where it is. One of 4,300 digits is read."""
    with pytest.raises(StrictJSONError, match=r"^tags\[1\]: a whole number of 4,301 digits is longer than can be "
                                              r"read \(4,300 at most\)$"):
        strict_loads('{"tags": [1, -' + "9" * 4301 + "]}")
    assert strict_loads('{"n": ' + "9" * 4300 + "}")["n"] == int("9" * 4300)
