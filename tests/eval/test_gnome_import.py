"""bench/gnome_import.py on a tiny Mallard help written here, and the suite's third domain wired beside m365."""

from pathlib import Path

import pytest

from bench import eval_retrieval, gnome_import, m365_import
from kb.articles import load_content

HEAD = (
    '<page xmlns="http://projectmallard.org/1.0/" xmlns:if="http://projectmallard.org/if/1.0/" type="{type}" id="{id}">'
)

PAGES = {
    "wifi.page": HEAD.format(type="guide", id="wifi")
    + "<info><desc>Networks.</desc></info><title>Wireless</title><links type='topic'/></page>",
    "wifi-connect.page": HEAD.format(type="topic", id="wifi-connect")
    + """
  <info>
    <link type="guide" xref="wifi#setup"/>
    <link type="guide" xref="hardware"/>
    <credit type="author"><name>A Writer</name></credit>
    <desc>Get on the <gui>internet</gui>.</desc>
  </info>
  <title>Connect to a wireless network</title>
  <p>Open the <gui>system menu</gui> and press <keyseq><key>Ctrl</key><key>W</key></keyseq>. See
  <link xref="wifi-forget"/>.</p>
  <media type="image" src="figures/wifi.png"><p>A picture caption</p></media>
  <comment><p>Editorial remark nobody reads</p></comment>
  <p if:test="platform:gnome-classic">Only in GNOME Classic.</p>
  <steps>
    <item><p>Select <gui>Wi-Fi</gui>.</p></item>
    <item><p>Click the network name.</p>
      <note style="tip"><p>Hidden networks are not listed.</p></note>
    </item>
  </steps>
  <section id="password">
    <title>Enter the password</title>
    <list><item><p>Type the key.</p></item><item><p>Click <gui>Connect</gui>.</p></item></list>
    <terms><item><title>WPA2</title><p>A common kind of encryption.</p></item></terms>
    <table><tr><td><p>WEP</p></td><td><p>Old and weak.</p></td></tr></table>
  </section>
</page>""",
    "wifi-forget.page": HEAD.format(type="topic", id="wifi-forget")
    + """<info><link type="guide" xref="wifi"/></info><title>Forget a network</title>
  <p>Open the settings of the network and click <gui>Forget connection</gui> to remove it for good.</p></page>""",
    "broken.page": HEAD.format(type="topic", id="broken") + "<title>Broken</title><p>never closed</page>",
}


@pytest.fixture
def help_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "gnome-help"
    folder.mkdir()
    for name, text in PAGES.items():
        (folder / name).write_text(text, "utf-8")
    return folder


def test_topic_pages_become_articles_guides_are_left_out_and_a_broken_page_is_named(
    help_folder: Path, tmp_path: Path
) -> None:
    target = tmp_path / "content"
    done = gnome_import.convert(help_folder, target)
    assert (done.written, done.guides) == (2, 1)
    assert len(done.failed) == 1 and "broken.page:1:" in done.failed[0]  # named with its line; the others imported
    assert sorted(p.relative_to(target).as_posix() for p in target.rglob("*.md")) == [
        "en/wifi/wifi-connect.md",  # the first guide link's page (its section dropped) is the category
        "en/wifi/wifi-forget.md",
    ]
    assert done.lint == []
    assert "broken.page" in gnome_import.report(done, target)
    assert not (tmp_path / "content.partial").exists()


def test_the_article_holds_the_pages_text_as_markdown(help_folder: Path, tmp_path: Path) -> None:
    gnome_import.convert(help_folder, tmp_path / "content")
    loaded = load_content(tmp_path / "content", ("en",))
    assert not loaded.errors
    article = next(a for a in loaded.articles if a.id == "wifi-connect")
    assert (article.title, article.summary, article.category) == (
        "Connect to a wireless network",
        "Get on the internet.",
        "wifi",
    )
    text = article.source.split("---\n", 2)[2]
    assert "Open the **system menu** and press Ctrl+W. See Forget a network." in text  # an empty link: its title
    assert "1. Select **Wi-Fi**.\n2. Click the network name.\n\n   > **Tip:** Hidden networks are not listed." in text
    assert "## Enter the password" in text
    assert "- Type the key.\n- Click **Connect**." in text
    assert "- **WPA2**\n\n  A common kind of encryption." in text
    assert "- WEP — Old and weak." in text
    for gone in ("picture caption", "Editorial", "Classic", "A Writer"):
        assert gone not in text
    headings = [b.text for b in article.blocks if b.kind == "heading"]
    assert headings == ["Enter the password"]


def test_a_folder_without_pages_is_refused_by_name(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"no Mallard \.page files"):
        gnome_import.convert(tmp_path, tmp_path / "content")


def test_without_an_installed_copy_the_package_is_fetched_into_var_bench(
    help_folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(gnome_import, "INSTALLED", tmp_path / "not-installed")
    fetched: list[Path] = []

    def fetch(unpacked: Path) -> None:
        fetched.append(unpacked)
        (unpacked / gnome_import.HELP_DIR).parent.mkdir(parents=True)
        (unpacked / gnome_import.HELP_DIR).symlink_to(help_folder)

    found = gnome_import.find_package(tmp_path, fetch)
    unpacked = tmp_path / "var/bench/gnome-deb"
    assert fetched == [unpacked] and found == unpacked / gnome_import.HELP_DIR
    assert gnome_import.find_package(tmp_path, fetch) == found and len(fetched) == 1  # unpacked once

    with pytest.raises(FileNotFoundError, match="gnome-user-docs"):
        gnome_import.find_package(tmp_path / "elsewhere", lambda unpacked: None)


def test_a_fresh_clone_fetches_the_package_with_apt(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """CI's fresh clone has no var/ yet: the real `apt-get download` + `dpkg-deb -x` makes the folders it unpacks
    into (dpkg-deb makes only the last one). The GNOME slice of tests/copilot/test_retrieval_quality.py reads it."""
    monkeypatch.setattr(gnome_import, "INSTALLED", tmp_path / "not-installed")
    found = gnome_import.find_package(tmp_path / "clone")
    assert found == tmp_path / "clone/var/bench/gnome-deb" / gnome_import.HELP_DIR
    assert (found / "index.page").is_file()


def test_each_domain_names_its_importer_and_is_imported_on_first_use(
    help_folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    by_name = {d.name: d for d in eval_retrieval.DOMAINS}
    assert by_name["m365"].importer is m365_import.import_into
    assert by_name["m365"].content == Path("var/bench/m365-content")
    assert by_name["gnome"].importer is gnome_import.import_into
    assert by_name["gnome"].queries == Path("tests/eval/gnome_queries.jsonl")
    assert by_name["demo"].importer is None

    monkeypatch.setattr(gnome_import, "find_package", lambda checkout: help_folder)
    domain = eval_retrieval.replace(by_name["gnome"], content=tmp_path / "gnome-content")
    assert eval_retrieval.domain_content(domain) == tmp_path / "gnome-content"
    assert (tmp_path / "gnome-content/en/wifi/wifi-forget.md").is_file()
    (tmp_path / "gnome-content/en/wifi/wifi-forget.md").unlink()
    eval_retrieval.domain_content(domain)  # there already: not imported again
    assert not (tmp_path / "gnome-content/en/wifi/wifi-forget.md").exists()
