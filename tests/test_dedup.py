"""Near-duplicate detection: the same wire story republished with small edits."""

import json

from index import ChromaStore, ingest
from index.dedup import NearDuplicates, hamming, resemblance, simhash
from tests.fakes import FakeEmbedder

STORY = (
    "The central bank raised its main interest rate by half a percentage point on Wednesday, the largest increase "
    "in two decades, as it tries to cool inflation that has reached its highest level since the early 1980s. "
    "Officials said further increases were likely in the coming months. Markets had expected the move, and stocks "
    "rose after the announcement. The bank also said it would begin shrinking its balance sheet in June, reducing "
    "its holdings of government bonds and mortgage securities by up to 95 billion dollars a month. The chair told "
    "reporters that the economy was strong and could handle tighter policy without a recession. Analysts said the "
    "path of energy prices and supply chains would decide how far rates must rise. Consumer prices rose 8.5 percent "
    "in the year to March, driven by fuel, food and housing costs. Wages have risen too, but more slowly than prices. "
    "The next policy meeting is scheduled for mid-June, when officials will publish new economic projections."
)
EDITED = STORY.replace("on Wednesday", "on Wednesday afternoon").replace(
    "Markets had expected the move, and stocks rose after the announcement.",
    "Investors had widely anticipated the decision.")
OTHER = (
    "Heavy rain caused flooding across the northern province on Sunday, forcing thousands of residents to leave "
    "their homes. Rescue teams used boats to reach villages cut off by the water, and the army was sent to help. "
    "The weather service warned that more rain was expected through Tuesday and that rivers could rise further. "
    "Schools were closed and several highways were blocked by landslides. The governor said the damage would take "
    "months to repair and asked the national government for emergency funds."
)


def test_simhash_distance_small_for_edits_large_for_other_stories():
    assert hamming(simhash(STORY), simhash(STORY)) == 0
    assert hamming(simhash(STORY), simhash(EDITED)) <= 14
    assert hamming(simhash(STORY), simhash(OTHER)) > 20
    assert len(simhash(STORY)) == 16  # hex: fits Chroma metadata as a string
    assert resemblance(STORY, EDITED) > 0.8 and resemblance(STORY, OTHER) < 0.05


def test_near_duplicates_ignore_the_same_id_and_confirm_by_text():
    stored = {"a": STORY}
    near = NearDuplicates(stored.get)
    near.add("a", simhash(STORY))
    assert near.find("a", EDITED, simhash(EDITED)) is None
    other_id, score = near.find("b", EDITED, simhash(EDITED))
    assert other_id == "a" and score > 0.8
    assert near.find("c", OTHER, simhash(OTHER)) is None
    # A fingerprint that collides by chance is not confirmed by the text.
    near.add("x", simhash(OTHER), text="completely different words in this one")
    assert near.find("c", OTHER, simhash(OTHER)) is None


def write(path, records):
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return str(path)


def test_republished_story_is_reported_and_skipped_by_default(tmp_path):
    store = ChromaStore(tmp_path / "data")
    corpus = write(tmp_path / "c.jsonl", [{"id": "wire-1", "text": STORY}, {"id": "other", "text": OTHER},
                                          {"id": "paper-7", "text": EDITED}])
    report = ingest([corpus], FakeEmbedder(), store)
    assert report.added == ["wire-1", "other"]
    (dup,) = report.duplicates
    assert (dup.article_id, dup.of) == ("paper-7", "wire-1") and str(dup).endswith("near-duplicate of wire-1")
    assert "duplicates 1" in report.summary()
    assert {r["id"] for r in store.list_articles()} == {"wire-1", "other"}
    # Against the store too, on a later run; and the kept ones stay unchanged.
    later = ingest([corpus], FakeEmbedder(), store)
    assert later.unchanged == ["wire-1", "other"] and [d.article_id for d in later.duplicates] == ["paper-7"]


def test_keep_duplicates_stores_both(tmp_path):
    store = ChromaStore(tmp_path / "data")
    first = write(tmp_path / "a.jsonl", [{"id": "wire-1", "text": STORY}])
    ingest([first], FakeEmbedder(), store)
    second = write(tmp_path / "b.jsonl", [{"id": "paper-7", "text": EDITED}])
    assert [d.of for d in ingest([second], FakeEmbedder(), store).duplicates] == ["wire-1"]
    report = ingest([second], FakeEmbedder(), store, keep_duplicates=True)
    assert report.added == ["paper-7"] and not report.duplicates
    # An edited version under the same id is an update, never a duplicate of itself.
    third = write(tmp_path / "c.jsonl", [{"id": "wire-1", "text": EDITED + " Updated at 5 p.m."}])
    assert ingest([third], FakeEmbedder(), store, keep_duplicates=True).updated == ["wire-1"]
