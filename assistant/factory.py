"""`build_assistant`: the one place where an Assistant's parts are constructed.

The CLI, the UI, the eval harness and embedding apps all call this. Heavy
parts (embedder, Chroma, llama.cpp) load lazily, on first use.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from index import SAMPLE_DIR, ChromaStore, Embedder, IngestReport, Library, SentenceTransformerEmbedder

from .assistant import Assistant
from .generate import GENERATORS, Generator
from .keyword_index import KeywordIndex
from .relevance import RelevanceScorer
from .retrieve import HybridRetriever, Retriever, VectorRetriever
from .settings import DEFAULT_SETTINGS, Settings

__all__ = ["build_assistant", "make_generator", "ingest_sample_if_empty"]


def make_generator(name: str, settings: Settings, scorer: RelevanceScorer | None = None) -> Generator:
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
    name = (name or "").strip()
    if name == "extractive":
        from .extractive import ExtractiveGenerator

        return ExtractiveGenerator(min_relevance=settings.min_relevance, scorer=scorer,
                                   second_within=settings.second_sentence_within)
    if name == "local":
        from .local_llm import LlamaCppGenerator, bundled_gguf_path

        settings.models_dir.mkdir(parents=True, exist_ok=True)
        return LlamaCppGenerator(
            bundled_gguf_path(settings.models_dir), max_tokens=settings.max_new_tokens, n_threads=settings.llm_threads,
            max_passages=settings.context_passages,
        )
    kind, sep, rest = name.partition(":")
    if sep and kind in ("ollama", "openai"):
        from . import chat_llm

        common = dict(max_tokens=settings.max_new_tokens, context_window=settings.llm_context_window,
                      timeout=settings.request_timeout_s, max_passages=settings.context_passages,
                      max_history_turns=settings.chat_history_turns, max_prompt_chars=settings.max_prompt_chars)
        if kind == "ollama":
            if not rest.strip():
                raise ValueError(f"generator {name!r} names no model; write ollama:<model>, e.g. ollama:llama3.2:3b")
            return chat_llm.ollama(rest.strip(), base_url=settings.ollama_url, **common)
        base_url, _, model = rest.rpartition("#")
        if not base_url.strip() or not model.strip():
            raise ValueError(f"generator {name!r} needs openai:<base_url>#<model>, "
                             "e.g. openai:http://127.0.0.1:8000/v1#Qwen/Qwen2.5-7B-Instruct")
        return chat_llm.openai_compatible(base_url, model.strip(), api_key=settings.openai_api_key,
                                          max_retries=settings.llm_max_retries, **common)
    raise ValueError(f"unknown generator {name!r}; choose one of: {', '.join(GENERATORS)}")


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
    embedder = embedder or SentenceTransformerEmbedder()
    store = ChromaStore(settings.data_dir, url=settings.chroma_url)
    library = Library(store, embedder, chunk_tokens=settings.chunk_tokens)
    scorer = RelevanceScorer(embedder.embed_batch if settings.semantic_relevance else None)
    gen = generator if generator is not None and not isinstance(generator, str) else make_generator(
        settings.generator, settings, scorer
    )
    fallback = None
    if settings.extractive_fallback and gen.name != "extractive":
        fallback = make_generator("extractive", settings, scorer)
    return Assistant(library, make_retriever(library, settings), gen, settings, fallback=fallback, scorer=scorer)


def make_retriever(library: Library, settings: Settings) -> Retriever:
    """Dense retrieval, fused with a BM25 index kept in sync with the library when `settings.hybrid`."""
    dense = VectorRetriever(library.store, library.embedder)
    if not settings.hybrid:
        return HybridRetriever(library.store, dense, None, candidates=settings.candidates,
                               per_article=settings.per_article, boost_weight=settings.time_boost)
    keyword = KeywordIndex(library.store, _keyword_dir(settings))
    library.on_change(keyword.refresh)
    keyword.refresh()
    return HybridRetriever(library.store, dense, keyword, candidates=settings.candidates,
                           per_article=settings.per_article, keyword_weight=settings.keyword_weight,
                           boost_weight=settings.time_boost)


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
