"""Split an article into sentence-aligned chunks that fit the embedder's window.

all-MiniLM-L6-v2 silently truncates input past 256 word pieces, so every chunk
is measured with the embedder's own tokenizer (a `count_tokens` callable) and
kept under a budget that leaves room for the title prefix and special tokens.
Given the article's token offsets (one tokenizer pass over the whole text),
spans are measured by bisecting those instead of re-tokenizing each candidate
chunk, which is what makes chunking cheap next to embedding.
Each chunk is an exact slice `article.text[start:end]`. Sentences longer than
the budget are cut at word boundaries. It does not embed or store anything.

The budget, stated: a span fits a chunk when it has at most `max_tokens` word
pieces (less the title's). Only in an article that averages more than
MAX_PIECES_PER_WORD (2) word pieces a word, a span also fits when it has at
most that budget divided by FLOOR_PIECES_PER_WORD (1.5) in words (126 words by
default). English runs at 1.1-1.3 pieces a word, so its chunks are unchanged
and always fit the embedder's window. Scripts the English word-piece
vocabulary splits into tiny pieces (Cyrillic: about 6 pieces a word with
all-MiniLM-L6-v2) would otherwise get chunks of about 30 words and hundreds of
chunks a page; the floor keeps their chunks per word within a factor of 2 of
an English text's. Such a chunk passes the embedder's 256-piece window: its
vector then stands for its first ~256 pieces (about 40 Russian words), while
keyword search and citations use all of its text.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from typing import Callable, Sequence

from .sentences import split_sentences
from .types import Article, Chunk

__all__ = ["chunk_article", "embedding_text", "estimate_tokens", "DEFAULT_CHUNK_TOKENS", "MAX_PIECES_PER_WORD",
           "FLOOR_PIECES_PER_WORD"]

DEFAULT_CHUNK_TOKENS = 200
MAX_PIECES_PER_WORD = 2
FLOOR_PIECES_PER_WORD = 1.5
TokenCounter = Callable[[str], int]


def estimate_tokens(text: str) -> int:
    """Rough word-piece count for when no tokenizer is at hand (about 1.3 per word)."""
    return int(len(re.findall(r"\w+|[^\w\s]", text)) * 1.15) + 1


def embedding_text(title: str, text: str) -> str:
    """What is actually embedded for a chunk: the title gives it article context."""
    return f"{title}\n{text}" if title else text


SpanCounter = Callable[[int, int], int]


def _span_counter(text: str, count_tokens: TokenCounter, token_offsets: Sequence[tuple[int, int]] | None) -> SpanCounter:
    if token_offsets is None:
        return lambda s, e: count_tokens(text[s:e])
    starts = [s for s, _ in token_offsets]
    ends = [e for _, e in token_offsets]
    # Word pieces never cross a word boundary, so the tokens inside [s, e) are the span's own tokens.
    return lambda s, e: max(0, bisect_right(ends, e) - bisect_left(starts, s))


Fits = Callable[[int, int], bool]


def _fits(text: str, budget: int, count: SpanCounter) -> Fits:
    """Whether text[s:e] fits one chunk: the budget rule in the module docstring."""
    word_starts = [m.start() for m in re.finditer(r"\S+", text)]
    if count(0, len(text)) <= MAX_PIECES_PER_WORD * len(word_starts):
        return lambda s, e: count(s, e) <= budget  # English-like: word pieces alone
    word_budget = int(budget / FLOOR_PIECES_PER_WORD)

    def fits(s: int, e: int) -> bool:
        return count(s, e) <= budget or bisect_left(word_starts, e) - bisect_left(word_starts, s) <= word_budget

    return fits


def _cut_long_sentence(text: str, start: int, end: int, fits: Fits) -> list[tuple[int, int]]:
    words = [(m.start(), m.end()) for m in re.finditer(r"\S+", text[start:end])]
    pieces, piece_start, last_end = [], None, None
    for ws, we in words:
        ws, we = ws + start, we + start
        if piece_start is None:
            piece_start = ws
        elif not fits(piece_start, we):
            pieces.append((piece_start, last_end))
            piece_start = ws
        last_end = we
    if piece_start is not None:
        pieces.append((piece_start, last_end))
    return pieces


def chunk_article(
    article: Article,
    count_tokens: TokenCounter = estimate_tokens,
    max_tokens: int = DEFAULT_CHUNK_TOKENS,
    overlap_sentences: int = 1,
    token_offsets: Sequence[tuple[int, int]] | None = None,
) -> list[Chunk]:
    """Return the article's chunks, in order, each at most `max_tokens` word pieces
    including the title prefix, or within the word floor (module docstring).
    Consecutive chunks share `overlap_sentences` sentences.

    `token_offsets`: the (start, end) character offsets of the tokens of
    `article.text`, from the same tokenizer as `count_tokens` (optional, faster)."""
    text = article.text
    count = _span_counter(text, count_tokens, token_offsets)
    budget = max(16, max_tokens - count_tokens(article.title) - 2) if article.title else max_tokens
    fits = _fits(text, budget, count)
    units: list[tuple[int, int]] = []
    for s, e in split_sentences(text):
        if not fits(s, e):
            units.extend(_cut_long_sentence(text, s, e, fits))
        else:
            units.append((s, e))

    groups: list[list[tuple[int, int]]] = []
    current: list[tuple[int, int]] = []
    for unit in units:
        if current and not fits(current[0][0], unit[1]):
            groups.append(current)
            carry = current[-overlap_sentences:] if overlap_sentences else []
            # Overlap only while it still leaves room for the new sentence.
            while carry and not fits(carry[0][0], unit[1]):
                carry = carry[1:]
            current = list(carry)
        current.append(unit)
    if current:
        groups.append(current)

    digest = article.content_hash
    chunks = []
    for i, group in enumerate(groups):
        start, end = group[0][0], group[-1][1]
        chunks.append(
            Chunk(
                id=f"{article.id}::{i}",  # the id it is stored under (store.storage_id)
                article_id=article.id,
                text=text[start:end],
                start=start,
                end=end,
                index=i,
                title=article.title,
                url=article.url,
                source=article.source,
                published_at=article.published_at,
                content_hash=digest,
                n_chunks=len(groups),
            )
        )
    return chunks
