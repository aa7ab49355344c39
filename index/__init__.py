"""Ingestion: article files -> clean text + metadata -> chunks -> embeddings -> Chroma.

The articles themselves are recorded in articles.sqlite3 (ArticleStore); Chroma
and the keyword index are derived from that record, and `reindex` rebuilds them
from it alone. Importing this package is cheap; chromadb and sentence-transformers load only
when a store or the embedder is first used.
"""

from pathlib import Path as _Path

from .articles import ArticleStore
from .chunk import DEFAULT_CHUNK_TOKENS, chunk_article, embedding_text, estimate_tokens
from .clean import clean_text
from .embed import Embedder, SentenceTransformerEmbedder, bundled_embedder_path
from .errors import DiskFull, IndexDamaged, WriteLocked
from .filters import SearchFilters
from .ingest import ingest
from .library import Library
from .load import article_from_record, load_articles
from .lock import WriteLock
from .reindex import ReindexReport, reindex
from .sentences import split_sentences
from .store import ChromaStore
from .types import Article, Chunk, Duplicate, IngestReport, LoadFailure, content_hash

SAMPLE_DIR = _Path(__file__).resolve().parent / "sample"

__all__ = [
    "Article",
    "ArticleStore",
    "Chunk",
    "ChromaStore",
    "DEFAULT_CHUNK_TOKENS",
    "DiskFull",
    "Duplicate",
    "Embedder",
    "IndexDamaged",
    "IngestReport",
    "Library",
    "LoadFailure",
    "ReindexReport",
    "SAMPLE_DIR",
    "SearchFilters",
    "SentenceTransformerEmbedder",
    "WriteLock",
    "WriteLocked",
    "article_from_record",
    "bundled_embedder_path",
    "chunk_article",
    "clean_text",
    "content_hash",
    "embedding_text",
    "estimate_tokens",
    "ingest",
    "load_articles",
    "reindex",
    "split_sentences",
]
