"""The same article twice in one run (two copies of a file under one id) is
reported as a duplicate naming both files, not counted "unchanged"."""

from index import ChromaStore, ingest
from tests.fakes import FakeEmbedder

TEXT = "Harbour wall repairs begin\n\nWork crews began repairing the harbour wall on Monday. It will take six weeks.\n"


def test_same_id_and_text_twice_on_an_empty_index_names_both_files(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first, second = tmp_path / "a" / "harbour.txt", tmp_path / "b" / "harbour.txt"
    first.write_text(TEXT, encoding="utf-8")
    second.write_text(TEXT, encoding="utf-8")
    store = ChromaStore(tmp_path / "data")
    report = ingest([str(tmp_path / "a"), str(tmp_path / "b")], FakeEmbedder(), store)
    assert report.added == ["harbour"] and report.unchanged == [] and not report.failed
    (dup,) = report.duplicates
    assert (dup.article_id, dup.of, dup.origin, dup.of_origin) == ("harbour", "harbour", str(second), str(first))
    assert str(first) in str(dup) and str(second) in str(dup)
    assert report.to_dict()["duplicates"][0]["of_origin"] == str(first)
    assert "duplicates 1" in report.summary()

    # On a re-run both copies match the stored article: the first is unchanged, the second still named.
    again = ingest([str(tmp_path / "a"), str(tmp_path / "b")], FakeEmbedder(), store)
    assert again.unchanged == ["harbour"] and [d.origin for d in again.duplicates] == [str(second)]


def test_the_same_file_given_twice_is_one_article(tmp_path):
    path = tmp_path / "harbour.txt"
    path.write_text(TEXT, encoding="utf-8")
    report = ingest([str(path), str(path)], FakeEmbedder(), ChromaStore(tmp_path / "data"))
    assert report.added == ["harbour"] and len(report.duplicates) == 1 and report.ok
