import threading

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


def test_a_background_value_serves_the_previous_version_until_its_rebuild_is_done(monkeypatch) -> None:
    monkeypatch.setattr(index_view, "CHECK_EVERY_S", 0.0)
    version = ["v1"]
    release = threading.Event()

    def build() -> str:
        if version[0] != "v1":
            assert release.wait(10)
        return version[0]

    value = FromIndex(lambda: version[0], build, background=True)
    assert value.get() == "v1"  # the first build is made before the first search that needs it
    version[0] = "v2"
    assert value.get() == "v1" and value.get() == "v1"  # the rebuild runs once, off the search's path
    release.set()
    value.wait(10)
    assert value.get() == "v2"


def test_a_failed_background_rebuild_keeps_the_previous_value(monkeypatch) -> None:
    monkeypatch.setattr(index_view, "CHECK_EVERY_S", 0.0)
    version = ["v1"]

    def build() -> str:
        if version[0] == "broken":
            raise ValueError("corrupt payload")
        return version[0]

    value = FromIndex(lambda: version[0], build, background=True)
    assert value.get() == "v1"
    version[0] = "broken"
    value.get()
    value.wait(10)
    assert value.get() == "v1"  # and the failed rebuild is tried again
    value.wait(10)
    version[0] = "v3"
    value.get()
    value.wait(10)
    assert value.get() == "v3"
