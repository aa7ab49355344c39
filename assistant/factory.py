"""The one place where parts are constructed: `build_library` and `build_assistant`.

The CLI, the UI, the eval harness and embedding apps all call these. Heavy
parts (embedder, BM25, llama.cpp) load lazily, on first use; `build_library`
never builds a generator. `rebuild_index` is `citewire reindex`: it opens no
index, so it works when the old one cannot be read.

Faults surface here as one-line errors (index.IndexDamaged, a ValueError): a
chroma.sqlite3 that is garbage or missing while the article store holds
articles stops `build_library`, and so `build_assistant` and the server's
start, with a message naming the file and `citewire reindex`.
"""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path
from typing import Callable

from index import (SAMPLE_DIR, ArticleStore, ChromaStore, Embedder, IngestReport, Library, ReindexReport,
                   SentenceTransformerEmbedder, WriteLock, reindex)
from index.articles import store_path

from .assistant import Assistant
from .dense import DenseRetriever
from .generate import GENERATORS, Generator
from .keyword_index import KeywordIndex
from .ranker import FEATURES, AnswerRanker, RankerModel
from .relevance import RelevanceScorer
from .retrieve import HybridRetriever, Retriever
from .settings import DEFAULT_SETTINGS, Settings

__all__ = ["build_assistant", "build_library", "check_generator_name", "default_embedder", "gate_bar",
           "make_generator", "make_ranker", "ingest_sample_if_empty", "rebuild_index"]


def make_ranker(scorer: RelevanceScorer, settings: Settings, model: RankerModel | None | str = "bundled"
                ) -> AnswerRanker:
    """The learned answer ranker over `scorer`'s embeddings, with spaCy entities.

    `model`: "bundled" (assistant/models/ranker.json), a RankerModel, or None for an untrained one
    (all weights zero: `python -m eval.fit` uses it to compute features)."""
    if model == "bundled":
        model = RankerModel.load()
    elif model is None:
        model = RankerModel(FEATURES, (0.0,) * len(FEATURES), (1.0,) * len(FEATURES), (0.0,) * len(FEATURES),
                            0.0, 0.5, 0.1, {"untrained": True})
    return AnswerRanker(scorer, _shared_tagger(), model, tag_top=settings.tag_top,
                        relevance_bar=gate_bar(settings, model))


def gate_bar(settings: Settings, model: RankerModel) -> float | None:
    """The relevance gate's bar in front of `model`: settings.relevance_bar, else the one fitted with the
    model, else (a model file from before it was fitted) min_relevance; None when the gate is off."""
    if not settings.relevance_gate:
        return None
    if settings.relevance_bar is not None:
        return settings.relevance_bar
    return model.relevance_bar if model.relevance_bar is not None else settings.min_relevance


@functools.lru_cache(maxsize=1)
def _shared_tagger():
    """One spaCy pipeline per process (it loads in about 2 s and is read-only), however many Assistants."""
    from .entities import SpacyTagger

    return SpacyTagger()


def make_generator(name: str, settings: Settings, scorer: RelevanceScorer | None = None,
                   ranker: AnswerRanker | None = None) -> Generator:
    """The generator backend called `name`, one of GENERATORS:

    - "local": Gemma 3 270M on the CPU via llama.cpp (the default)
    - "extractive": no model, quotes the best-matching sentence
    - "ollama:<model>": an Ollama server at settings.ollama_url, e.g. "ollama:llama3.2:3b"
    - "openai:<base_url>#<model>": any OpenAI-compatible server (vLLM, llama.cpp server, LM Studio,
      OpenAI), e.g. "openai:http://127.0.0.1:8000/v1#Qwen/Qwen2.5-7B-Instruct"; a URL with no path
      gets "/v1"; the key is settings.openai_api_key

    Nothing is contacted here: a chat backend connects on the first question. `scorer` ranks
    sentences for the extractive generator (default: word overlap only, no embeddings).
    """
    name = check_generator_name(name)
    if name == "extractive":
        from .extractive import ExtractiveGenerator

        return ExtractiveGenerator(settings, scorer, ranker)
    if name == "local":
        from .local_llm import LlamaCppGenerator, bundled_gguf_path

        settings.models_dir.mkdir(parents=True, exist_ok=True)
        return LlamaCppGenerator(bundled_gguf_path(settings.models_dir), settings)
    from . import chat_llm

    kind, _, rest = name.partition(":")
    if kind == "ollama":
        return chat_llm.ollama(rest.strip(), settings)
    base_url, _, model = rest.rpartition("#")
    return chat_llm.openai_compatible(base_url, model.strip(), settings)


def check_generator_name(name: str) -> str:
    """`name`, stripped, when `make_generator` accepts it (nothing is built or contacted); else ValueError
    saying how to write it."""
    name = (name or "").strip()
    if name in ("extractive", "local"):
        return name
    kind, sep, rest = name.partition(":")
    if sep and kind == "ollama":
        if not rest.strip():
            raise ValueError(f"generator {name!r} names no model; write ollama:<model>, e.g. ollama:llama3.2:3b")
        return name
    if sep and kind == "openai":
        base_url, _, model = rest.rpartition("#")
        if not base_url.strip() or not model.strip():
            raise ValueError(f"generator {name!r} needs openai:<base_url>#<model>, "
                             "e.g. openai:http://127.0.0.1:8000/v1#Qwen/Qwen2.5-7B-Instruct")
        return name
    raise ValueError(f"unknown generator {name!r}; choose one of: {', '.join(GENERATORS)}")


def default_embedder(settings: Settings = DEFAULT_SETTINGS) -> SentenceTransformerEmbedder:
    """The bundled all-MiniLM-L6-v2, run on ONNX Runtime from an export kept in `settings.models_dir`
    (made there from the torch model on first use; torch when that cannot be done)."""
    return SentenceTransformerEmbedder(onnx_dir=settings.models_dir)


def build_library(settings: Settings = DEFAULT_SETTINGS, embedder: Embedder | None = None) -> Library:
    """The stored articles: Chroma (embedded, or the server at settings.chroma_url), the embedder, and
    the BM25 keyword index kept in sync with them when `settings.hybrid`.

    Nothing heavy loads here (the embedder on first use, BM25 on first search or refresh), so the CLI's
    ingest, list and remove use it directly and never load a generator."""
    articles = ArticleStore(store_path(settings.data_dir, settings.chroma_url))
    # Recorded articles but no chroma.sqlite3: the index was lost, not never made (say so, do not start empty).
    store = ChromaStore(settings.data_dir, url=settings.chroma_url, require_existing=len(articles) > 0)
    derived = (KeywordIndex(store, _keyword_dir(settings)),) if settings.hybrid else ()
    return Library(store, embedder or default_embedder(settings), chunk_tokens=settings.chunk_tokens,
                   derived=derived, articles=articles, data_dir=settings.data_dir)


def rebuild_index(settings: Settings = DEFAULT_SETTINGS, embedder: Embedder | None = None, backfill: bool = False,
                  force: bool = False, on_wait: Callable[[str], None] | None = None) -> ReindexReport:
    """Rebuild Chroma and the keyword index from the article store alone (`citewire reindex`).

    Holds the data dir's write lock (`on_wait(message)` hears when another writer makes it wait);
    `backfill` first records articles the index holds but the article store lacks, `force` drops them."""
    articles = ArticleStore(store_path(settings.data_dir, settings.chroma_url))

    def rebuild_derived(store: ChromaStore) -> None:
        if settings.hybrid:
            KeywordIndex(store, _keyword_dir(settings)).rebuild()

    with WriteLock(settings.data_dir, on_wait=on_wait).held():
        return reindex(settings.data_dir, articles, embedder or default_embedder(settings), rebuild_derived,
                       chunk_tokens=settings.chunk_tokens, chroma_url=settings.chroma_url, backfill=backfill,
                       force=force)


def build_assistant(
    data_dir: str | Path | None = None,
    generator: str | Generator | None = None,
    settings: Settings | None = None,
    embedder: Embedder | None = None,
    **overrides,
) -> Assistant:
    """Build an Assistant over the index in `data_dir` (default "data").

    `generator` is a name ("local", "extractive") or a ready Generator object.
    Other keyword arguments override fields of `settings` (unknown ones raise).
    """
    settings = (settings or DEFAULT_SETTINGS).replace(
        **{k: v for k, v in dict(overrides, data_dir=data_dir).items() if v is not None}
    )
    if isinstance(generator, str):
        settings = settings.replace(generator=generator)
    library = build_library(settings, embedder)
    library.refresh_derived()  # heals a crash between a store write and a keyword-index save
    scorer = RelevanceScorer(library.embedder.embed_batch if settings.semantic_relevance else None)
    ranker = make_ranker(scorer, settings) if settings.answer_ranker else None
    gen = generator if generator is not None and not isinstance(generator, str) else make_generator(
        settings.generator, settings, scorer, ranker
    )
    fallback = None
    if settings.extractive_fallback and gen.name != "extractive":
        fallback = make_generator("extractive", settings, scorer, ranker)
    return Assistant(library, make_retriever(library, settings), gen, settings, fallback=fallback, scorer=scorer,
                     ranker=ranker)


def make_retriever(library: Library, settings: Settings) -> Retriever:
    """Dense retrieval fused with the library's keyword index, when it has one."""
    keyword = next((d for d in library.derived if isinstance(d, KeywordIndex)), None)
    return HybridRetriever(library.store, DenseRetriever(library.store, library.embedder), keyword,
                           candidates=settings.candidates, rrf_k=settings.rrf_k, per_article=settings.per_article,
                           keyword_weight=settings.keyword_weight, boost_weight=settings.time_boost)


def _keyword_dir(settings: Settings) -> Path:
    """Beside the embedded store; per server URL when the chunks live on a Chroma server."""
    if settings.chroma_url:
        tag = hashlib.sha256(settings.chroma_url.encode()).hexdigest()[:12]
        return settings.data_dir / f"bm25-{tag}"
    return settings.data_dir / "bm25"


def ingest_sample_if_empty(assistant: Assistant) -> IngestReport | None:
    """Ingest the bundled sample article when the index holds nothing yet."""
    if assistant.is_empty():
        return assistant.ingest([str(SAMPLE_DIR)])
    return None
