import json

from index import Article, LoadFailure, load_articles


def load(*paths):
    items = list(load_articles([str(p) for p in paths]))
    return [i for i in items if isinstance(i, Article)], [i for i in items if isinstance(i, LoadFailure)]


def test_sample_text_article_metadata(sample_path):
    (article,), failures = load(sample_path)
    assert not failures
    assert article.id == "kyodo-2022-02-21-biden-putin-summit"
    assert article.source == "Kyodo" and article.published_at == "2022-02-21"
    assert article.title.startswith("U.S. President Joe Biden")
    assert "==Kyodo" not in article.text and "Related coverage" not in article.text
    assert "proposed by French President Emmanuel Macron" in article.text


def test_text_file_with_headline(tmp_path):
    p = tmp_path / "story.md"
    p.write_text("# Storm hits coast\n\nThe storm hit the coast on Friday. Winds reached 100 mph.\n")
    (article,), _ = load(p)
    assert article.title == "Storm hits coast"
    assert article.text.startswith("The storm hit")


def test_jsonl_keeps_id_and_extra_fields_and_reports_bad_lines(tmp_path):
    p = tmp_path / "corpus.jsonl"
    good = {"id": "a1", "title": "T", "text": "Body text here.", "url": "http://x/1", "source": "CNN",
            "published_at": "2022-08-08T10:00:00Z", "origin": "gold"}
    p.write_text(json.dumps(good) + "\n{not json\n" + json.dumps({"id": "a2"}) + "\n\n")
    articles, failures = load(p)
    assert [a.id for a in articles] == ["a1"]
    assert articles[0].published_at == "2022-08-08" and articles[0].extra == {"origin": "gold"}
    assert [f.path for f in failures] == [f"{p}:2", f"{p}:3"]
    assert "malformed JSON" in failures[0].reason and "no 'text'" in failures[1].reason


def test_record_without_id_uses_url_then_content_hash(tmp_path):
    p = tmp_path / "c.json"
    p.write_text(json.dumps([{"text": "One.", "url": "http://x/a"}, {"text": "Two."}]))
    articles, _ = load(p)
    assert articles[0].id == "http://x/a"
    assert articles[1].id == articles[1].content_hash


def test_bad_inputs_are_reported_with_file_and_reason(tmp_path):
    (tmp_path / "empty.txt").write_text("")
    (tmp_path / "binary.txt").write_bytes(b"\x00\x01\x02abc")
    (tmp_path / "latin.txt").write_bytes("Caf\xe9 owners said prices rose.".encode("cp1252"))
    (tmp_path / "notes.pdf").write_bytes(b"%PDF")
    articles, failures = load(tmp_path, tmp_path / "missing.txt")
    reasons = {f.path.rsplit("/", 1)[-1]: f.reason for f in failures}
    assert reasons["empty.txt"] == "empty file"
    assert "binary" in reasons["binary.txt"]
    assert reasons["missing.txt"] == "no such file or directory"
    # Unknown types inside a folder are skipped silently; named directly they fail.
    assert "notes.pdf" not in reasons
    assert [a.text for a in articles] == ["Caf\u00e9 owners said prices rose."]
    _, (failure,) = load(tmp_path / "notes.pdf")
    assert "unsupported file type" in failure.reason
