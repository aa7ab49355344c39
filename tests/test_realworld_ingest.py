"""Real-world ingest inputs: CMS pages sharing one URL, undeclared feed encodings,
JSON Feed, BOM-less UTF-16 and feed entries at or under the minimum length.
Fixtures live in tests/fixtures/realworld/."""

import shutil
from pathlib import Path

import pytest

from index import Article, ChromaStore, LoadFailure, ingest, load_articles
from tests.fakes import FakeEmbedder

FIXTURES = Path(__file__).parent / "fixtures" / "realworld"


def load(*names):
    items = list(load_articles([str(FIXTURES / n) for n in names]))
    return [i for i in items if isinstance(i, Article)], [i for i in items if isinstance(i, LoadFailure)]


def stored(store):
    got = store.collection.get(include=["metadatas", "documents"])
    out = {}
    for meta, doc in zip(got["metadatas"], got["documents"]):
        out.setdefault(meta["article_id"], (meta.get("title"), []))[1].append(doc)
    return out


@pytest.fixture
def store(tmp_path):
    return ChromaStore(tmp_path / "data")


# 1. ids: a <base href> site root or a query-less canonical URL must not merge articles.

def test_typo3_pages_with_base_href_keep_their_own_ids(tmp_path, store):
    articles, failures = load("typo3-winterdienst.html", "typo3-hallenbad.html")
    assert not failures
    assert [a.id for a in articles] == ["typo3-winterdienst", "typo3-hallenbad"]  # not "https://www.stadt-beispiel.de/"
    assert [a.title for a in articles] == ["Neue Regeln für den Winterdienst", "Hallenbad bleibt geschlossen"]
    report = ingest([str(FIXTURES / "typo3-winterdienst.html"), str(FIXTURES / "typo3-hallenbad.html")],
                    FakeEmbedder(), store)
    assert not report.failed and sorted(report.added) == ["typo3-hallenbad", "typo3-winterdienst"]
    got = stored(store)
    assert got["typo3-hallenbad"][0] == "Hallenbad bleibt geschlossen"
    assert "Hallenbad bleibt wegen Sanierungsarbeiten" in " ".join(got["typo3-hallenbad"][1])
    assert "Winterdienst" in " ".join(got["typo3-winterdienst"][1])


def test_spip_canonical_and_og_url_keep_the_query_string(tmp_path, store):
    articles, failures = load("spip-article8532.html", "spip-article8533.html")
    assert not failures
    assert [a.id for a in articles] == ["https://quartier.example.fr/spip.php?article8532",   # <link rel=canonical>
                                        "https://quartier.example.fr/spip.php?article8533"]   # og:url
    assert [a.url for a in articles] == [a.id for a in articles]
    assert articles[0].title == "Rénovation de la place du marché"
    report = ingest([str(FIXTURES)], FakeEmbedder(), store)
    assert {"https://quartier.example.fr/spip.php?article8532",
            "https://quartier.example.fr/spip.php?article8533"} <= set(report.added)


def test_site_root_canonical_falls_back_to_the_file_name(tmp_path):
    src = (FIXTURES / "typo3-hallenbad.html").read_text(encoding="utf-8")
    page = tmp_path / "hallenbad.html"
    page.write_text(src.replace("<title>", '<link rel="canonical" href="https://www.stadt-beispiel.de/index.php"><title>'),
                    encoding="utf-8")
    (article,), _ = load(page)
    assert article.id == "hallenbad"


def test_two_texts_claiming_one_id_are_not_overwritten(tmp_path, store):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    shutil.copy(FIXTURES / "spip-article8532.html", tmp_path / "a" / "page.html")
    other = (FIXTURES / "spip-article8533.html").read_text(encoding="utf-8")
    (tmp_path / "b" / "page.html").write_text(other.replace("og:url\" content=\"https://quartier.example.fr/spip.php?article8533",
                                                            "og:url\" content=\"https://quartier.example.fr/spip.php?article8532"),
                                              encoding="utf-8")
    report = ingest([str(tmp_path / "a"), str(tmp_path / "b")], FakeEmbedder(), store)
    assert report.added == ["https://quartier.example.fr/spip.php?article8532"]
    (failure,) = report.failed
    line = str(failure)
    assert "\n" not in line and "b/page.html" in line and "a/page.html" in line and "already used by" in line
    assert stored(store)["https://quartier.example.fr/spip.php?article8532"][0] == "Rénovation de la place du marché"


# 2. feeds in an undeclared legacy encoding

def test_koi8r_feed_without_encoding_declaration(tmp_path, store):
    articles, failures = load("koi8r-undeclared.rss")
    assert not failures
    assert [a.title for a in articles] == ["Как пережить новогоднюю ночь", "Ёлку на главной площади украсили к празднику"]
    assert articles[0].source == "Городские новости"
    assert articles[0].text.startswith("Врачи городской больницы рассказали")
    report = ingest([str(FIXTURES / "koi8r-undeclared.rss")], FakeEmbedder(), store)
    assert not report.failed
    assert stored(store)["https://gorod.example.ru/news/1201"][0] == "Как пережить новогоднюю ночь"


@pytest.mark.parametrize("encoding", ["shift_jis", "euc-kr", "windows-1255"])
def test_other_undeclared_feed_encodings(tmp_path, encoding):
    title, body = {
        "shift_jis": ("東京で大雪、交通に乱れ", "東京都心で今朝から大雪となり、電車やバスのダイヤが大きく乱れています。気象庁は夕方まで雪が続くと発表しました。"),
        "euc-kr": ("서울에 폭설, 교통 혼잡", "서울 도심에 오늘 아침부터 많은 눈이 내려 출근길 교통이 크게 혼잡했습니다. 기상청은 저녁까지 눈이 계속될 것이라고 밝혔습니다."),
        "windows-1255": ("שלג כבד בירושלים", "שלג כבד ירד הבוקר בירושלים והכבישים לעיר נסגרו לתנועה. המשטרה ביקשה מהנהגים לא לצאת לדרכים עד הערב."),
    }[encoding]
    feed = (f"<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>Wire</title><item><title>{title}</title>"
            f"<guid>x1</guid><description>{body}</description></item></channel></rss>")
    p = tmp_path / "feed.xml"
    p.write_bytes(feed.encode(encoding))
    (article,), failures = load(p)
    assert not failures and article.title == title and article.text == body


def test_declared_feed_encoding_is_still_honoured(tmp_path):
    feed = ("<?xml version=\"1.0\" encoding=\"koi8-r\"?><rss version=\"2.0\"><channel><title>W</title><item>"
            "<title>Новости дня</title><guid>n1</guid><description>Сегодня в городе открылся новый мост через реку.</description>"
            "</item></channel></rss>")
    p = tmp_path / "declared.rss"
    p.write_bytes(feed.encode("koi8-r"))
    (article,), _ = load(p)
    assert article.title == "Новости дня"


# 3. JSON Feed

def test_json_feed_one_article_per_item(tmp_path, store):
    articles, failures = load("feed.json")
    assert [a.id for a in articles] == ["https://gazette.example.com/2023/ferry", "2"]
    ferry, fish = articles
    assert ferry.title == "Ferry service resumes" and ferry.url == "https://gazette.example.com/2023/ferry"
    assert ferry.text == ("The island ferry resumed service on Tuesday after a two-week strike ended.\n\n"
                          "The operator said timetables would be back to normal by the weekend.")
    assert ferry.published_at == "2023-05-02" and ferry.source == "Harbour Gazette"
    assert ferry.extra["byline"] == "Ann Lee, Tom Berg"
    assert fish.url == "https://other.example.net/fish-market" and fish.extra["byline"] == "Mia Chen"
    assert fish.text == "The old fish market will move to the north quay next year.\n\nTraders welcomed the decision."
    (failure,) = failures
    assert failure.path.endswith("feed.json[2]") and "no text" in failure.reason and "'text'" not in failure.reason
    report = ingest([str(FIXTURES / "feed.json")], FakeEmbedder(), store)
    assert sorted(report.added) == ["2", "https://gazette.example.com/2023/ferry"]
    assert stored(store)["2"][0] == "Fish market moves"


# 4. BOM-less UTF-16

def test_utf16le_text_and_html_without_bom(tmp_path, store):
    articles, failures = load("utf16le-nobom.txt", "utf16le-nobom.html")
    assert not failures
    text, page = articles
    assert text.id == "utf16le-nobom" and text.title == "Flood barrier completed ahead of schedule"
    assert text.text.startswith("The new flood barrier on the river was completed on Thursday")
    assert page.id == "https://town.example.org/news/library-reopens" and page.title == "Library reopens after repairs"
    assert page.text.startswith("The town library reopened on Monday")
    report = ingest([str(FIXTURES / "utf16le-nobom.txt"), str(FIXTURES / "utf16le-nobom.html")], FakeEmbedder(), store)
    assert not report.failed and len(report.added) == 2


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be"])
def test_bomless_wide_feed(tmp_path, encoding):
    feed = ("<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>W</title><item><title>Brücke eröffnet</title>"
            "<guid>b1</guid><description>Die neue Brücke über den Fluss wurde am Montag eröffnet.</description>"
            "</item></channel></rss>")
    p = tmp_path / "wide.rss"
    p.write_bytes(feed.encode(encoding))
    (article,), failures = load(p)
    assert not failures and article.title == "Brücke eröffnet"


def test_binary_is_still_binary(tmp_path):
    p = tmp_path / "blob.rss"
    p.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4)
    _, (failure,) = load(p)
    assert "binary file" in failure.reason


# 5. one minimum for short feed entries

def test_short_feed_entries_follow_one_minimum(tmp_path, store):
    articles, failures = load("short-entries.rss")
    assert [a.id for a in articles] == ["https://short.example/budget", "https://short.example/port"]
    headline_only = articles[0]
    assert headline_only.title == headline_only.text == "Council approves new budget for schools"
    assert articles[1].text == "Dockers returned to work on Monday after a week."
    (failure,) = failures  # "Snow" with body "…": under the minimum, skipped with the reason
    assert failure.path.endswith("short-entries.rss[1]") and "at least 4" in failure.reason
    report = ingest([str(FIXTURES / "short-entries.rss")], FakeEmbedder(), store)
    assert sorted(report.added) == ["https://short.example/budget", "https://short.example/port"]
    assert len(report.failed) == 1
