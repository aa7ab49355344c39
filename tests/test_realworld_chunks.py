"""A page in a script the word-piece vocabulary splits into tiny pieces (Cyrillic:
about 6 pieces a word with all-MiniLM-L6-v2) gets about as many chunks as an
English page of as many words, not hundreds (the rule: index/chunk.py).
Fixtures live in tests/fixtures/realworld/."""

import re
from pathlib import Path

import pytest

from index import Article, LoadFailure, chunk_article, estimate_tokens, load_articles
from index.chunk import DEFAULT_CHUNK_TOKENS, FLOOR_PIECES_PER_WORD

FIXTURES = Path(__file__).parent / "fixtures" / "realworld"
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")


def fine_pieces(text: str) -> int:
    """A stand-in tokenizer that splits as MiniLM's does: a Cyrillic word into about one piece per letter."""
    return sum(len(w) if _CYRILLIC.search(w) else 1 for w in re.findall(r"\w+|[^\w\s]", text))


def load_one(name):
    items = list(load_articles([str(FIXTURES / name)]))
    assert not [i for i in items if isinstance(i, LoadFailure)]
    (article,) = items
    return article


def words(article):
    return len(article.text.split())


def test_a_finely_split_script_does_not_explode_into_chunks():
    ru, en = load_one("cyrillic-long.txt"), load_one("english-long.txt")
    assert fine_pieces(ru.text) > 5 * words(ru)  # the tokenizer really splits it finely
    ru_chunks, en_chunks = chunk_article(ru, fine_pieces), chunk_article(en, fine_pieces)
    per_word_ru, per_word_en = len(ru_chunks) / words(ru), len(en_chunks) / words(en)
    assert per_word_ru <= 2 * per_word_en  # by word pieces alone it was over 6 times as many
    assert len(ru_chunks) < fine_pieces(ru.text) / DEFAULT_CHUNK_TOKENS / 2
    budget = int((DEFAULT_CHUNK_TOKENS - fine_pieces(ru.title) - 2) / FLOOR_PIECES_PER_WORD)
    for chunk in ru_chunks:
        assert chunk.text == ru.text[chunk.start:chunk.end]
        assert len(chunk.text.split()) <= budget or fine_pieces(chunk.text) <= DEFAULT_CHUNK_TOKENS


def test_english_chunks_are_measured_in_word_pieces_as_before():
    en = load_one("english-long.txt")
    for chunk in chunk_article(en, fine_pieces):
        assert fine_pieces(en.title) + fine_pieces(chunk.text) + 2 <= DEFAULT_CHUNK_TOKENS
    # A text of short Cyrillic words (under 2 pieces a word on average) keeps the word-piece budget too.
    short = Article(id="s", title="", text=" ".join(["Да, но он и я."] * 200))
    assert all(fine_pieces(c.text) <= 64 for c in chunk_article(short, fine_pieces, max_tokens=64))


@pytest.mark.integration
def test_real_tokenizer_chunk_counts_stay_within_a_factor_of_english():
    from index import SentenceTransformerEmbedder

    embedder = SentenceTransformerEmbedder()
    ru, en = load_one("cyrillic-long.txt"), load_one("english-long.txt")
    counts = {}
    for article in (ru, en):
        counts[article.id] = len(chunk_article(article, embedder.count_tokens,
                                               token_offsets=embedder.token_offsets(article.text)))
    assert embedder.count_tokens(ru.text) > 4 * words(ru)
    assert counts["cyrillic-long"] / words(ru) <= 2 * counts["english-long"] / words(en)
