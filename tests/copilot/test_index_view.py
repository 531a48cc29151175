from copilot import index_view
from copilot.index_view import FromIndex


def test_rebuilds_only_when_the_index_version_changes(monkeypatch) -> None:
    monkeypatch.setattr(index_view, "CHECK_EVERY_S", 0.0)
    version = ["v1"]
    builds: list[str] = []
    value = FromIndex(lambda: version[0], lambda: builds.append(version[0]) or len(builds))
    assert [value.get(), value.get(), value.get()] == [1, 1, 1]
    version[0] = "v2"
    assert value.get() == 2 and builds == ["v1", "v2"]
