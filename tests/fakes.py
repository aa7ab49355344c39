"""Deterministic stand-ins for the heavy seams: embedder and generator."""

from __future__ import annotations

import hashlib
import math
import re
from typing import Iterator, Sequence

from assistant.lexical import STOPWORDS, stem
from index import estimate_tokens

__all__ = ["FakeEmbedder", "QueueGenerator"]


class FakeEmbedder:
    """Hashed bag of stemmed content words, unit length: similar words -> similar vectors."""

    def __init__(self, dims: int = 256):
        self.dims = dims
        self.calls = 0

    def embed_batch(self, texts: Sequence[str]) -> list[list[float]]:
        self.calls += 1
        out = []
        for text in texts:
            vec = [0.0] * self.dims
            for word in re.findall(r"[a-z0-9]+", text.lower()):
                if word in STOPWORDS:
                    continue
                h = int(hashlib.md5(stem(word).encode()).hexdigest(), 16)
                vec[h % self.dims] += 1.0
            norm = math.sqrt(sum(v * v for v in vec)) or 1.0
            out.append([v / norm for v in vec] if any(vec) else [1.0 / math.sqrt(self.dims)] * self.dims)
        return out

    def count_tokens(self, text: str) -> int:
        return estimate_tokens(text)


class QueueGenerator:
    """Replies with queued drafts in order (the last one repeats), streamed word by word."""

    name = "fake"

    def __init__(self, *replies: str):
        self.replies = list(replies) or [""]
        self.prompts: list[tuple[str, list, list]] = []

    def stream(self, question, passages, history=()) -> Iterator[str]:
        self.prompts.append((question, list(passages), list(history)))
        reply = self.replies.pop(0) if len(self.replies) > 1 else self.replies[0]
        for i, word in enumerate(reply.split(" ")):
            yield word if i == 0 else " " + word
