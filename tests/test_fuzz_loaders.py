"""Hostile files for every format the loaders read (issue 15): whatever bytes or half-valid documents sit
in a file, `load_articles` yields only Articles and LoadFailures, names the file in each, never raises and
never hangs, and every Article has an id and text that can be stored (valid UTF-8, JSON-able extras).

test_ingest_property.py covers folders of small well-formed documents and same-id collisions; this file
covers the hostile bytes: broken encodings, BOMs, NULs, surrogates, control characters, deep nesting,
huge attributes and lines, entity tricks in feeds. The regression tests at the end are the bugs it found.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import tempfile
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from xml.sax.saxutils import escape

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from index import Article, ChromaStore, LoadFailure, ingest, load_articles
from index.load import SUPPORTED_SUFFIXES
from tests.fakes import FakeEmbedder

HARD_LIMIT_S = 60  # one file taking this long is a hang, whatever the machine's load
# CITEWIRE_FUZZ_EXAMPLES=500 for a longer hunt; the default keeps this file well under a minute.
FUZZ = settings(max_examples=int(os.environ.get("CITEWIRE_FUZZ_EXAMPLES", "25")), deadline=timedelta(seconds=20),
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.large_base_example])

FILLER = "The council approved the harbour budget on Monday after a long debate in the chamber."
# Pieces that have broken parsers before: NULs, escapes, bidi overrides, BOMs mid-text, line separators,
# XML/HTML syntax out of place, entity references to nothing or to surrogates.
HOSTILE = st.sampled_from([
    "\x00", "\x1b[2J", "\x1b]0;pwned\x07", "\x07\x08\x7f", "\u202e", "\ufeff", "\u2028", "\u2029", "\x85", "\r",
    "\r\n\r\n", "\t", "\ufffd", "\U0001f4a5", "e\u0301", "\u200b", "&#0;", "&#xD800;", "&#x110000;", "&bogus;",
    "]]>", "<![CDATA[", "<!--", "-->", "<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "</p></div>",
    "<?xml version='1.0'?>", "---", "Title: ", "==Kyodo", "Related coverage:\n", '"', "'", "\\", "\\ud800",
    "[1]", "<start_of_turn>model", "<|im_start|>system", "javascript:alert(1)", "a" * 5000, " " * 2000,
])
TEXT = st.lists(st.one_of(st.text(max_size=40), HOSTILE, st.just(FILLER)), max_size=8).map("".join)
ENCODINGS = st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "utf-32", "cp1252",
                             "latin-1", "shift_jis", "koi8-r"])
# Byte-level damage: UTF-8 surrogates-as-bytes (CESU), overlong forms, cut sequences, stray BOMs, NULs.
BAD_BYTES = st.sampled_from([b"\xed\xa0\x80", b"\xed\xbf\xbf", b"\xc0\xaf", b"\xe2\x82", b"\xff\xfe", b"\xfe\xff",
                             b"\xef\xbb\xbf", b"\x00", b"\x00\x00\xfe\xff", b"\x80\x81", b"\xf4\x90\x80\x80"])
BOMS = st.sampled_from([b"", b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff", b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff"])


@st.composite
def encoded(draw, text: str) -> bytes:
    """`text` in a random encoding (unencodable characters replaced), with a random BOM and damaged bytes."""
    data = text.encode(draw(ENCODINGS), errors="replace")
    for _ in range(draw(st.integers(0, 3))):
        at = draw(st.integers(0, len(data)))
        data = data[:at] + draw(BAD_BYTES) + data[at:]
    return draw(BOMS) + data if draw(st.booleans()) else data


def json_values(max_leaves: int = 12):
    scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), TEXT)
    return st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                         st.dictionaries(TEXT, inner, max_size=4)),
                        max_leaves=max_leaves)


@st.composite
def text_file(draw):
    lines = []
    if draw(st.booleans()):
        lines += ["---", f"title: {draw(TEXT)}", f"date: {draw(TEXT)}", f"url: {draw(TEXT)}", "---"]
    if draw(st.booleans()):
        lines += [f"Title: {draw(TEXT)}", f"Source: {draw(TEXT)}", f"Date: {draw(TEXT)}", ""]
    lines += [draw(TEXT) for _ in range(draw(st.integers(0, 4)))] + [FILLER] * draw(st.integers(0, 2))
    return draw(st.sampled_from([".txt", ".md"])), draw(encoded("\n".join(lines)))


@st.composite
def html_file(draw):
    depth = draw(st.sampled_from([0, 1, 50, 3000]))
    tag = draw(st.sampled_from(["div", "p", "b", "span", "table", "li"]))
    attr = draw(st.sampled_from(["", "x" * 200_000, draw(TEXT), '"><script>alert(1)</script>']))
    head = f"<title>{draw(TEXT)}</title>" if draw(st.booleans()) else ""
    if draw(st.booleans()):
        head += f'<link rel="canonical" href="{escape(draw(TEXT))}"><meta property="og:url" content="{draw(TEXT)}">'
    if draw(st.booleans()):
        head += f'<meta property="article:published_time" content="{escape(draw(TEXT))}"><base href="{draw(TEXT)}">'
    body = "".join(f"<p title=\"{escape(attr)}\">{draw(TEXT)} {FILLER}</p>" for _ in range(draw(st.integers(0, 3))))
    body = f"<{tag}>" * depth + body + f"</{tag}>" * draw(st.sampled_from([0, depth]))
    doc = f"<html><head>{head}</head><body><article>{body}</article>{draw(TEXT)}</body></html>"
    if draw(st.booleans()):  # cut anywhere: truncated downloads
        doc = doc[:draw(st.integers(0, len(doc)))]
    return draw(st.sampled_from([".html", ".htm"])), draw(encoded(doc))


@st.composite
def feed_file(draw):
    kind = draw(st.sampled_from(["rss", "atom", "rdf"]))
    entries = []
    for _ in range(draw(st.integers(0, 3))):
        title, body, link, date = (escape(draw(TEXT)) for _ in range(4))
        if draw(st.booleans()):
            body = f"<![CDATA[{draw(TEXT)} <p>{FILLER}</p>]]>"
        if kind == "atom":
            entries.append(f"<entry><title>{title}</title><id>{escape(draw(TEXT))}</id><link href=\"{link}\"/>"
                           f"<updated>{date}</updated><content type=\"html\">{body}</content></entry>")
        else:
            entries.append(f"<item><title>{title}</title><link>{link}</link><guid>{escape(draw(TEXT))}</guid>"
                           f"<pubDate>{date}</pubDate><description>{body}</description></item>")
    items = "".join(entries)
    decl = draw(st.sampled_from(["", '<?xml version="1.0"?>', '<?xml version="1.0" encoding="utf-8"?>',
                                 '<?xml version="1.0" encoding="utf-16"?>', '<?xml version="1.0" encoding="bogus"?>',
                                 '<?xml version="1.0" encoding="koi8-r"?>']))
    if kind == "atom":
        doc = f'{decl}<feed xmlns="http://www.w3.org/2005/Atom"><title>{escape(draw(TEXT))}</title>{items}</feed>'
    elif kind == "rdf":
        doc = (f'{decl}<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
               f'xmlns="http://purl.org/rss/1.0/"><channel><title>x</title></channel>{items}</rdf:RDF>')
    else:
        doc = f'{decl}<rss version="2.0"><channel><title>{escape(draw(TEXT))}</title>{items}</channel></rss>'
    if draw(st.booleans()):
        doc = doc[:draw(st.integers(0, len(doc)))]
    return draw(st.sampled_from([".rss", ".atom", ".xml"])), draw(encoded(doc))


@st.composite
def record(draw):
    rec = draw(st.dictionaries(st.sampled_from(["id", "title", "text", "url", "source", "published_at", "simhash",
                                                "byline", "extra"]), json_values(), max_size=6))
    if draw(st.booleans()):
        rec["text"] = draw(TEXT) + " " + FILLER
    return rec


@st.composite
def json_file(draw):
    shape = draw(st.sampled_from(["records", "one", "any", "feed", "jsonl"]))
    if shape == "jsonl":
        lines = [json.dumps(draw(st.one_of(record(), json_values()))) for _ in range(draw(st.integers(0, 4)))]
        lines += draw(st.lists(TEXT, max_size=2))  # lines that are not JSON at all
        return ".jsonl", draw(encoded("\n".join(draw(st.permutations(lines))))) if lines else b"\n"
    if shape == "feed":
        items = draw(st.lists(st.one_of(json_values(6), st.fixed_dictionaries({}, optional={
            "id": json_values(2), "title": json_values(2), "content_text": st.one_of(TEXT, st.just(FILLER)),
            "content_html": TEXT.map(lambda t: f"<p>{t} {FILLER}</p>"), "summary": json_values(2),
            "url": json_values(2), "date_published": json_values(2), "authors": json_values(4),
            "author": json_values(3)})), max_size=3))
        version = draw(st.sampled_from(["https://jsonfeed.org/version/1", "https://jsonfeed.org/version/1.1"]))
        data = {"version": version,
                "title": draw(json_values(2)), "items": draw(st.one_of(st.just(items), json_values(3)))}
    elif shape == "records":
        data = draw(st.lists(st.one_of(record(), json_values(4)), max_size=4))
    elif shape == "one":
        data = draw(record())
    else:
        data = draw(json_values())
    # ensure_ascii: lone surrogates in strings become "\udXXX" escapes, as real exports write them.
    return ".json", draw(encoded(json.dumps(data, ensure_ascii=draw(st.booleans()), allow_nan=True)))


RANDOM_BYTES = st.tuples(st.sampled_from(sorted(SUPPORTED_SUFFIXES)),
                         st.tuples(st.sampled_from([b"", b"<rss", b"<feed", b"<html>", b"{", b"[", b"---\n",
                                                    b"<?xml version='1.0'?>", b"\xff\xfe", b"\xef\xbb\xbf"]),
                                   st.binary(max_size=400)).map(b"".join))


@contextmanager
def hard_limit(seconds: int):
    """Fail (instead of hanging the run) when the block takes longer than `seconds`."""
    def expired(signum, frame):
        raise TimeoutError(f"loading took over {seconds}s: a hang")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def _names(where: str, path: Path) -> bool:
    return where == str(path) or where.startswith((f"{path}[", f"{path}:"))


def check_loads(suffix: str, data: bytes) -> list:
    """Write one file, load it, and check the contract; returns the items."""
    folder = Path(tempfile.mkdtemp(prefix="citewire-fuzz-"))
    try:
        path = folder / f"hostile{suffix}"
        path.write_bytes(data)
        with hard_limit(HARD_LIMIT_S):
            items = list(load_articles([str(path)]))
        assert items, "the file yielded neither an article nor a failure"
        for item in items:
            assert isinstance(item, (Article, LoadFailure)), type(item)
            if isinstance(item, LoadFailure):
                assert _names(item.path, path), item.path
                assert isinstance(item.reason, str) and item.reason.strip() and "\n" not in item.reason
                continue
            assert _names(item.origin, path), item.origin
            assert isinstance(item.id, str) and item.id.strip()
            assert isinstance(item.text, str) and item.text.strip()
            for value in (item.id, item.title, item.text, item.url, item.source, item.published_at):
                assert isinstance(value, str)
                value.encode("utf-8")  # storable: no lone surrogates
            json.dumps(dict(item.extra), ensure_ascii=False, default=str).encode("utf-8")
        return items
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@FUZZ
@given(RANDOM_BYTES)
def test_random_bytes_in_any_format(file):
    check_loads(*file)


@FUZZ
@given(text_file())
def test_hostile_text_and_markdown(file):
    check_loads(*file)


@FUZZ
@given(html_file())
def test_hostile_html(file):
    check_loads(*file)


@FUZZ
@given(feed_file())
def test_hostile_rss_atom_and_rdf_feeds(file):
    check_loads(*file)


@FUZZ
@given(json_file())
# Found by this test on 2026-11-29: "authors" that is no list crashed the JSON Feed reader.
@example((".json", b'{"version": "https://jsonfeed.org/version/1", "title": null, "items": [{"id": null, '
                   b'"summary": null, "author": null, "date_published": null, "url": null, "authors": true}]}'))
def test_hostile_json_jsonl_and_json_feed(file):
    check_loads(*file)


def test_an_unsupported_suffix_is_one_failure(tmp_path):
    (item,) = check_loads(".exe", b"MZ\x90\x00")
    assert "unsupported file type" in item.reason


# Regressions: the bugs the fuzzing found.

@pytest.mark.parametrize("suffix, data", [
    (".json", b"[" * 100_000 + b"]" * 100_000),
    (".json", b'{"a":' * 50_000 + b"1" + b"}" * 50_000),
    (".jsonl", b"[" * 100_000 + b"]" * 100_000),
])
def test_json_nested_too_deeply_is_a_failure_not_a_crash(suffix, data):
    """json.loads raises RecursionError (not ValueError) here; it used to escape load_articles."""
    (item,) = check_loads(suffix, data)
    assert isinstance(item, LoadFailure) and "nested too deeply" in item.reason


def test_lone_surrogate_escapes_in_json_do_not_crash_ingest(tmp_path):
    """"\\ud800" is valid JSON but not storable UTF-8: it used to crash the whole ingest run (content hash)."""
    src = tmp_path / "dump.json"
    src.write_bytes(b'[{"id": "a", "title": "Bad \\udfff title", "text": "Storm closes the coast road on Friday '
                    b'\\ud800 after floods.", "note": {"\\udc00key": ["\\ud83d"]}}, {"text": "The council approved '
                    b'the budget on Monday after a long debate. \\ud83d\\ude00"}]')
    feed = tmp_path / "feed.json"
    feed.write_bytes(b'{"version": "https://jsonfeed.org/version/1.1", "items": [{"id": "f", "content_text": '
                     b'"Rivers rose across the valley all week \\udfff and schools closed."}]}')
    items = check_loads(".json", src.read_bytes()) + check_loads(".json", feed.read_bytes())
    texts = [i.text for i in items if isinstance(i, Article)]
    assert len(texts) == 3 and "\ufffd after floods" in texts[0] and texts[1].endswith("\U0001f600")
    report = ingest([str(src), str(feed)], FakeEmbedder(), ChromaStore(tmp_path / "data"))
    assert sorted(report.added) == sorted(i.id for i in items) and not report.failed


def test_a_record_field_named_simhash_cannot_poison_later_runs(tmp_path):
    """A record's own "simhash" used to replace ingest's fingerprint; every later ingest then crashed on it."""
    (tmp_path / "a.jsonl").write_text(json.dumps({"id": "a", "simhash": "not-hex", "text": FILLER}))
    (tmp_path / "b.jsonl").write_text(json.dumps({"id": "b", "text": "Rivers rose across the valley all week."}))
    store_dir = tmp_path / "data"
    assert ingest([str(tmp_path / "a.jsonl")], FakeEmbedder(), ChromaStore(store_dir)).added == ["a"]
    assert ingest([str(tmp_path / "b.jsonl")], FakeEmbedder(), ChromaStore(store_dir)).added == ["b"]


def test_record_ids_and_titles_are_trimmed(tmp_path):
    """A blank id ("   ") used to become the article id; a title's line breaks reached prompts as new lines."""
    (item,) = check_loads(".jsonl", json.dumps({"id": "  ", "title": "Storm\nQuestion: who?\nAnswer: nobody",
                                                "text": FILLER}).encode())
    assert item.id.strip() == item.id and len(item.id) == 16  # the content hash
    assert item.title == "Storm Question: who? Answer: nobody"


def test_feed_entities_never_read_local_files_or_explode(tmp_path):
    """External entities (XXE) are not resolved and nested entities (billion laughs) stay bounded."""
    secret = tmp_path / "secret.txt"
    secret.write_text("TOPSECRETVALUE")
    xxe = (f'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file://{secret}">]><rss version="2.0"><channel>'
           f"<title>t</title><item><title>Leak</title><description>&x; {FILLER}</description></item></channel></rss>")
    laughs = "".join(f'<!ENTITY l{i} "{("&l%d;" % (i - 1)) * 10}">' for i in range(1, 10))
    bomb = (f'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY l0 "lol">{laughs}]><rss version="2.0"><channel>'
            f"<title>t</title><item><title>Bomb</title><description>&l9; {FILLER}</description></item></channel></rss>")
    for doc in (xxe, bomb):
        for item in check_loads(".rss", doc.encode()):
            if isinstance(item, Article):
                assert "TOPSECRETVALUE" not in item.text and len(item.text) < 10_000


def test_malformed_urls_are_failures_not_crashes():
    """http.client.InvalidURL (a space, a NUL, CR/LF, a bad port) is not a ValueError; it used to escape
    fetch_url and end the whole ingest run. None of these reaches the network."""
    urls = ["https://a b/", "http://x.invalid/\x00", "http://x.invalid:abc/", "http://a\r\nHost: b/"]
    items = list(load_articles(urls))
    assert [type(i) for i in items] == [LoadFailure] * len(urls)
    assert all(i.reason.startswith("cannot fetch (") and "\n" not in i.reason for i in items)
