"""Ingestion: article files -> clean text + metadata -> chunks -> embeddings -> Chroma.

Importing this package is cheap; chromadb and sentence-transformers load only
when a store or the embedder is first used.
"""

from pathlib import Path as _Path

from .chunk import DEFAULT_CHUNK_TOKENS, chunk_article, embedding_text, estimate_tokens
from .clean import clean_text
from .embed import Embedder, SentenceTransformerEmbedder, bundled_embedder_path
from .filters import SearchFilters
from .ingest import ingest
from .library import Library
from .load import article_from_record, load_articles
from .sentences import split_sentences
from .store import ChromaStore
from .types import Article, Chunk, Duplicate, IngestReport, LoadFailure, content_hash

SAMPLE_DIR = _Path(__file__).resolve().parent / "sample"

__all__ = [
    "Article",
    "Chunk",
    "ChromaStore",
    "DEFAULT_CHUNK_TOKENS",
    "Duplicate",
    "Embedder",
    "IngestReport",
    "Library",
    "LoadFailure",
    "SAMPLE_DIR",
    "SearchFilters",
    "SentenceTransformerEmbedder",
    "article_from_record",
    "bundled_embedder_path",
    "chunk_article",
    "clean_text",
    "content_hash",
    "embedding_text",
    "estimate_tokens",
    "ingest",
    "load_articles",
    "split_sentences",
]
