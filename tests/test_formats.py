"""Every input format the loader reads, and the id rule for each."""

import json
import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import pytest

from index import Article, LoadFailure, load_articles

ARTICLE_HTML = """<!doctype html><html><head><title>Storm hits coast | Daily Planet</title>
<link rel="canonical" href="https://news.example.com/2022/03/storm">
<meta name="author" content="Jane Doe">
<meta property="article:published_time" content="2022-03-04T10:00:00Z">
<meta property="og:site_name" content="Daily Planet"></head>
<body><nav><a href="/">Home</a> | <a href="/world">World</a> | <a href="/sports">Sports</a></nav>
<article><h1>Storm hits coast</h1><p>By Jane Doe</p>
<p>The storm hit the coast on Friday, officials said. Winds reached 100 mph and thousands lost power across the region.</p>
<p>Emergency crews worked through the night to clear roads. The governor declared a state of emergency on Saturday.</p>
</article><footer>Copyright 2022 Daily Planet. All rights reserved. Subscribe to our newsletter.</footer></body></html>"""

RSS = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Wire Service</title><link>https://wire.example</link>
<item><title>Dam opens</title><link>https://wire.example/dam</link><guid>wire-001</guid>
<pubDate>Mon, 21 Feb 2022 10:00:00 GMT</pubDate><author>desk@wire.example (Bob Ray)</author>
<description>&lt;p&gt;The new dam opened on Monday.&lt;/p&gt;&lt;p&gt;It cost 2 billion dollars.&lt;/p&gt;</description></item>
<item><title>Bridge closes</title><link>https://wire.example/bridge</link>
<pubDate>Tue, 22 Feb 2022 09:00:00 GMT</pubDate><description>The old bridge closed on Tuesday for repairs.</description></item>
<item><title>No body</title><guid>wire-003</guid></item>
</channel></rss>"""

ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Atom Desk</title>
<entry><title>Harbour reopens</title><id>urn:uuid:1225c695</id><link href="https://atom.example/harbour"/>
<updated>2022-03-01T08:00:00Z</updated>
<content type="html">&lt;p&gt;The harbour reopened on Tuesday after the storm.&lt;/p&gt;</content></entry>
</feed>"""


def load(*paths):
    items = list(load_articles([str(p) for p in paths]))
    return [i for i in items if isinstance(i, Article)], [i for i in items if isinstance(i, LoadFailure)]


def test_plain_text_title_source_and_date_from_the_text(tmp_path):
    p = tmp_path / "dam.txt"
    p.write_text("Dam opens in the north\n\nSource: Reuters\nPublished: Feb. 21, 2022\n\n"
                 "The new dam opened on Monday. It cost 2 billion dollars.\n\n==Kyodo\n")
    (article,), failures = load(p)
    assert not failures
    assert article.id == "dam"  # the file stem: editing the file replaces this article
    assert article.title == "Dam opens in the north"
    assert article.source == "Reuters" and article.published_at == "2022-02-21"
    assert article.text == "The new dam opened on Monday. It cost 2 billion dollars."


def test_wire_marker_gives_the_source(sample_path):
    (article,), _ = load(sample_path)
    assert article.source == "Kyodo"


def test_html_page_body_and_metadata(tmp_path):
    p = tmp_path / "storm-page.html"
    p.write_text(ARTICLE_HTML)
    (article,), failures = load(p)
    assert not failures
    assert article.id == "https://news.example.com/2022/03/storm" == article.url
    assert article.title == "Storm hits coast"
    assert article.published_at == "2022-03-04" and article.source == "Daily Planet"
    assert article.extra["byline"] == "Jane Doe"
    assert article.text.startswith("The storm hit the coast on Friday")
    assert "\n\nEmergency crews" in article.text
    assert "Home" not in article.text and "Copyright" not in article.text and "By Jane" not in article.text


def test_html_without_canonical_url_is_identified_by_its_file_name(tmp_path):
    p = tmp_path / "local-page.htm"
    p.write_text(ARTICLE_HTML.replace('<link rel="canonical" href="https://news.example.com/2022/03/storm">', ""))
    (article,), _ = load(p)
    assert article.id == "local-page"


def test_rss_feed_one_article_per_entry(tmp_path):
    p = tmp_path / "wire.rss"
    p.write_text(RSS)
    articles, failures = load(p)
    assert [a.id for a in articles] == ["wire-001", "https://wire.example/bridge"]  # guid, else link
    dam = articles[0]
    assert dam.title == "Dam opens" and dam.url == "https://wire.example/dam"
    assert dam.published_at == "2022-02-21" and dam.source == "Wire Service"
    assert dam.text == "The new dam opened on Monday.\n\nIt cost 2 billion dollars."
    assert [f.path for f in failures] == [f"{p}[2]"] and "no text" in failures[0].reason


def test_atom_feed(tmp_path):
    p = tmp_path / "desk.atom"
    p.write_text(ATOM)
    (article,), _ = load(p)
    assert article.id == "urn:uuid:1225c695" and article.source == "Atom Desk"
    assert article.published_at == "2022-03-01" and article.text == "The harbour reopened on Tuesday after the storm."


def test_feed_entry_without_id_or_link_uses_content_hash(tmp_path):
    p = tmp_path / "bare.xml"
    p.write_text('<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>'
                 "<item><description>Plain words only here.</description></item></channel></rss>")
    (article,), _ = load(p)
    assert article.id == article.content_hash


def test_json_and_jsonl_records_keep_extra_fields(tmp_path):
    rec = {"id": "r1", "title": "T", "text": "Body one.", "url": "http://x/1", "source": "AP",
           "published_at": "2022-05-06T12:00:00Z", "section": "World", "tags": ["a", "b"]}
    (tmp_path / "one.json").write_text(json.dumps(rec))
    (tmp_path / "many.jsonl").write_text(json.dumps(dict(rec, id="r2")) + "\n")
    articles, failures = load(tmp_path)
    assert not failures
    assert sorted(a.id for a in articles) == ["r1", "r2"]
    assert articles[0].extra == {"section": "World", "tags": ["a", "b"]}
    assert articles[0].published_at == "2022-05-06"


def test_directories_are_walked_recursively(tmp_path):
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "a" / "one.txt").write_text("One story here. It is short.")
    (tmp_path / "a" / "b" / "two.md").write_text("# Two\n\nAnother story. Also short.")
    (tmp_path / "a" / "b" / "feed.rss").write_text(RSS)
    (tmp_path / "a" / "b" / "page.html").write_text(ARTICLE_HTML)
    articles, _ = load(tmp_path)
    assert {a.id for a in articles} == {"one", "two", "wire-001", "https://wire.example/bridge",
                                         "https://news.example.com/2022/03/storm"}


@pytest.fixture
def web_root(tmp_path):
    """A loopback http.server serving tmp_path/www."""
    root = tmp_path / "www"
    root.mkdir()

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(Quiet, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield root, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_http_url_html_and_feed(web_root):
    root, base = web_root
    (root / "storm.html").write_text(ARTICLE_HTML.replace('<link rel="canonical" '
                                                         'href="https://news.example.com/2022/03/storm">', ""))
    (root / "wire.rss").write_text(RSS)
    articles, failures = load(f"{base}/storm.html", f"{base}/wire.rss", f"{base}/missing.html")
    assert articles[0].id == f"{base}/storm.html" == articles[0].url  # no canonical URL: the fetched one
    assert articles[0].title == "Storm hits coast"
    assert [a.id for a in articles[1:]] == ["wire-001", "https://wire.example/bridge"]
    assert [f.path for f in failures] == [f"{base}/wire.rss[2]", f"{base}/missing.html"]
    assert "HTTP 404" in failures[1].reason


def test_url_without_network_says_so(monkeypatch):
    import socket
    import urllib.request

    def no_network(*args, **kwargs):
        raise urllib.error.URLError(socket.gaierror(-3, "Temporary failure in name resolution"))

    monkeypatch.setattr(urllib.request, "urlopen", no_network)
    _, (failure,) = load("https://news.example.com/story")
    assert str(failure).startswith("https://news.example.com/story: cannot fetch (network unreachable")


def test_url_refused_connection_is_a_clear_failure():
    import socket

    with socket.socket() as s:  # a loopback port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    _, (failure,) = load(f"http://127.0.0.1:{port}/x.html")
    assert "cannot fetch (network unreachable" in failure.reason and "refused" in failure.reason.lower()
