"""Questions asked while an ingest runs (issue 15): an article is found whole or not at all, in the dense
and the keyword index alike, old version or new, and asking never errors.

The retriever filters both of its lists through the keyword index's view, which the Library moves
forward batch by batch as the ingest stores them, and from which an article about to be rewritten is
withdrawn first. The first two tests look exactly between a batch's store write and its publication
(the progress callback runs there, on the writer thread); the third races readers against a real
ingest of a few hundred chunks, adds then rewrites.
"""

from __future__ import annotations

import json
import random
import threading

import pytest

from index import SearchFilters

WORDS = ("harbour", "council", "bridge", "railway", "orchard", "festival", "reservoir", "library", "stadium",
         "ferry", "tunnel", "market", "glacier", "vineyard", "airport", "quarry")


def story(i: int, version: int, sentences: int) -> dict:
    """Article i: every sentence names its unique token and its version, so a passage says which it is."""
    token = f"zq{i:03d}x"
    body = " ".join(f"The {WORDS[(i + s) % len(WORDS)]} report {token} number {s} of version v{version} "
                    f"describes works near the {WORDS[(i * 3 + s) % len(WORDS)]} in detail today."
                    for s in range(sentences))
    return {"id": f"story-{i:03d}", "title": f"Works report {token}", "text": body, "source": "Wire",
            "published_at": "2024-03-01"}


def write(path, rows) -> str:
    path.write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    return str(path)


def seen(a, i: int) -> list:
    """Every passage of article i the assistant's search returns (k large enough for all its chunks)."""
    return a.retrieve(f"works report zq{i:03d}x", k=60, filters=SearchFilters(article_ids=(f"story-{i:03d}",)))


def chunks_of(a, i: int) -> int:
    return len(a.library.store.chunks_of_articles([f"story-{i:03d}"]))


@pytest.fixture
def assistant(make_assistant):
    # Short chunks: every story is several. What is seen during an ingest is the point here, not which
    # sentence answers: without the ranker (spaCy) a question is quick enough to observe many times.
    return make_assistant(chunk_tokens=40, answer_ranker=False)


def test_an_article_is_not_found_between_its_store_write_and_the_keyword_index_update(assistant, tmp_path):
    a = assistant
    between: dict[str, int] = {}

    def on_article(article_id, outcome, chunks):
        if outcome == "added":  # on the writer thread: the chunks are in Chroma, the keyword index has not run
            i = int(article_id.split("-")[1])
            assert chunks_of(a, i) == chunks > 1
            between[article_id] = len(seen(a, i))

    rows = [story(i, 1, 6) for i in range(12)]
    report = a.library.ingest([write(tmp_path / "v1.jsonl", rows)], on_article=on_article)
    assert len(report.added) == 12 and len(between) == 12
    assert set(between.values()) == {0}  # stored, but not shown before every index has it
    for i in range(12):  # afterwards: every chunk, through both indexes
        assert len(seen(a, i)) == chunks_of(a, i) > 1
        keyword = a.library.derived[0].search(f"works report zq{i:03d}x", 60,
                                              SearchFilters(article_ids=(f"story-{i:03d}",)))
        assert len(keyword) == chunks_of(a, i)


def test_a_rewritten_article_shows_its_old_version_whole_then_nothing_then_its_new_version_whole(
        assistant, tmp_path):
    a = assistant
    a.library.ingest([write(tmp_path / "v1.jsonl", [story(i, 1, 8) for i in range(6)])])
    old = {i: len(seen(a, i)) for i in range(6)}
    assert all(n > 2 for n in old.values())
    between: dict[str, list] = {}

    def on_article(article_id, outcome, chunks):
        if outcome == "updated":
            between[article_id] = seen(a, int(article_id.split("-")[1]))

    # Half get shorter (surplus old chunks are deleted after the upsert), half longer.
    rows = [story(i, 2, 3 if i % 2 else 12) for i in range(6)]
    report = a.library.ingest([write(tmp_path / "v2.jsonl", rows)], on_article=on_article)
    assert len(report.updated) == 6
    assert all(found == [] for found in between.values()), between  # neither a mix nor a half
    for i in range(6):
        now = seen(a, i)
        assert len(now) == chunks_of(a, i) != old[i]
        assert all("v2" in p.text and "v1" not in p.text for p in now)


def test_questions_during_a_large_ingest_see_whole_articles_and_never_error(assistant, tmp_path):
    a = assistant
    n = 60
    versions = {1: [story(i, 1, 7) for i in range(n)], 2: [story(i, 2, 4 if i % 3 else 10) for i in range(n)]}
    files = {v: write(tmp_path / f"v{v}.jsonl", rows) for v, rows in versions.items()}
    stored: dict[tuple[int, int], int] = {}  # (story, version) -> its chunk count, read once the ingest is done
    observed: list[tuple[int, int, int]] = []  # (story, version, chunks shown) while the ingest ran
    problems: list[str] = []
    done = threading.Event()
    answers = [0]

    def ingest():
        try:
            for v in (1, 2):
                a.library.ingest([files[v]])
                stored.update(((i, v), chunks_of(a, i)) for i in range(n))
        except Exception as exc:  # noqa: BLE001
            problems.append(f"ingest: {exc!r}")
        finally:
            done.set()

    def reader(seed: int):
        rng = random.Random(seed)
        while not done.is_set():
            i = rng.randrange(n)
            try:
                found = seen(a, i)
                tags = {v for v in (1, 2) for p in found if f"version v{v} " in p.text}
                if len(tags) > 1:
                    problems.append(f"story {i}: versions mixed")
                indexes = sorted(int(p.chunk_id.rpartition("::")[2]) for p in found)
                if indexes != list(range(len(indexes))):
                    problems.append(f"story {i}: chunks {indexes} shown, not a whole article")
                if found:
                    observed.append((i, tags.pop(), len(found)))
                answer = a.ask(f"What does report zq{i:03d}x describe?", as_of="2024-03-02")
                for c in answer.citations:
                    texts = [rows[int(c.article_id.split("-")[1])]["text"] for rows in versions.values()]
                    if not any(c.quote in t for t in texts):
                        problems.append(f"story {i}: a quote from neither version: {c.quote!r}")
                answers[0] += 1
            except Exception as exc:  # noqa: BLE001 - any error while ingesting is the failure
                problems.append(f"story {i}: {exc!r}")

    readers = [threading.Thread(target=reader, args=(seed,)) for seed in range(2)]
    writer = threading.Thread(target=ingest)
    for t in readers + [writer]:
        t.start()
    for t in [writer] + readers:
        t.join(300)
    assert not problems, problems[:5]
    assert answers[0] >= 20 and len(observed) >= 20
    assert {v for _, v, _ in observed} == {1, 2}  # the readers saw both versions while they changed hands
    wrong = [(i, v, shown, stored[(i, v)]) for i, v, shown in observed if shown != stored[(i, v)]]
    assert not wrong, wrong[:5]  # every article seen was seen whole
    for i in range(n):
        assert len(seen(a, i)) == stored[(i, 2)]


def test_an_article_being_removed_is_not_found_half_removed(assistant, tmp_path, monkeypatch):
    a = assistant
    a.library.ingest([write(tmp_path / "v1.jsonl", [story(i, 1, 8) for i in range(3)])])
    assert len(seen(a, 1)) == chunks_of(a, 1) > 2
    store = a.library.store
    real_delete = type(store).delete_article
    during: list[int] = []

    def delete_watched(self, article_id, keep_hash=None, purge=True):
        during.append(len(seen(a, int(article_id.split("-")[1]))))  # just before its chunks go
        return real_delete(self, article_id, keep_hash=keep_hash, purge=purge)

    monkeypatch.setattr(type(store), "delete_article", delete_watched)
    assert a.library.remove(["story-001"]) == ["story-001"]
    assert during == [0] and seen(a, 1) == [] and len(seen(a, 0)) == chunks_of(a, 0)
