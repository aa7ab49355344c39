"""The comparison point: a plain llama-index RAG pipeline over the same corpus and questions.

A VectorStoreIndex with llama-index's default SentenceSplitter (chunk_size 1024,
overlap 200, counted in tiktoken tokens), the same embedder as Citewire (wrapped
as a llama-index BaseEmbedding), dense retrieval of settings.top_k chunks, and
the same generator (`make_generator`) drafting from those chunks. No
verification: the draft is the answer, and it abstains only when the draft is
empty or says NOT_FOUND. Its citations are what llama-index offers (source
nodes): every answer sentence gets a marker pointing at the top-ranked chunk,
quoted by that chunk's sentence sharing most words with the claim; the eval's
own check then scores them like Citewire's. The index (an in-memory vector
store persisted to disk) is cached under <data_dir>/eval-cache/baseline-<hash>.

This is the one module in eval/ that imports llama_index, inside functions;
it never touches llama-index's global Settings and never downloads anything.
It reads articles with index.load_articles, so both pipelines see the same text.
It does not tune the baseline: MiniLM reads only the first 256 word pieces of
each 1024-token chunk, which is part of what is being compared.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Callable, Sequence

from assistant import NOT_FOUND, Answer, Citation, Passage, Settings, make_generator
from assistant.generate import load_model
from assistant.types import with_marker

from .dataset import Dataset, select_questions
from .metrics import best_matching_sentence, split_answer_sentences
from .run import EvalResult, corpus_fingerprint, score_answer, settings_dict, summarise, summarise_by_type

__all__ = ["BaselinePipeline", "run_baseline", "plain_vector_retriever", "BASELINE_NAME", "CHUNK_SIZE",
           "CHUNK_OVERLAP"]

BASELINE_NAME = "llamaindex"
CHUNK_SIZE, CHUNK_OVERLAP = 1024, 200  # SentenceSplitter's defaults, named so the cache key shows them
_EXCLUDED_META = ["article_id", "url"]  # ids and links are not text: kept out of what is embedded and shown


def _embed_model(embedder):
    # The same adapter Citewire's dense retriever uses: the same embedder, seen the same way by llama-index.
    from assistant.dense import llama_index_embedding

    return llama_index_embedding(embedder)


def _load_corpus(paths) -> list:
    from index import Article, load_articles

    articles, failures = [], []
    for item in load_articles([str(p) for p in paths]):
        (articles if isinstance(item, Article) else failures).append(item)
    if failures:
        raise ValueError("corpus did not load: " + "; ".join(str(f) for f in failures))
    return articles


def _sentences(text: str) -> list[str]:
    return [s for line in text.splitlines() for s, _ in split_answer_sentences(line)]


class BaselinePipeline:
    """retrieve (plain VectorStoreIndex) -> generate (the same generator) -> answer, timed."""

    def __init__(self, dataset: Dataset, settings: Settings, generator: str, cache_dir: Path, embedder=None):
        from index import SentenceTransformerEmbedder

        self.settings = settings
        self.embed_model = _embed_model(embedder or SentenceTransformerEmbedder())
        self.generator = make_generator(generator, settings)
        self.index, self.ingest = self._index(dataset, cache_dir)

    def _index(self, dataset: Dataset, cache_dir: Path):
        from llama_index.core import Document, StorageContext, VectorStoreIndex, load_index_from_storage
        from llama_index.core.node_parser import SentenceSplitter

        started = time.perf_counter()
        if (cache_dir / "docstore.json").exists():
            storage = StorageContext.from_defaults(persist_dir=str(cache_dir))
            index = load_index_from_storage(storage, embed_model=self.embed_model)
            return index, {"cached": True, "seconds": round(time.perf_counter() - started, 3)}
        docs = [Document(text=a.text, id_=a.id,
                         metadata={"article_id": a.id, "title": a.title, "source": a.source,
                                   "published_at": a.published_at, "url": a.url},
                         excluded_embed_metadata_keys=_EXCLUDED_META, excluded_llm_metadata_keys=_EXCLUDED_META)
                for a in _load_corpus(dataset.corpus)]
        splitter = SentenceSplitter(chunk_size=CHUNK_SIZE, chunk_overlap=CHUNK_OVERLAP)
        index = VectorStoreIndex.from_documents(docs, embed_model=self.embed_model, transformations=[splitter])
        cache_dir.mkdir(parents=True, exist_ok=True)
        index.storage_context.persist(persist_dir=str(cache_dir))
        return index, {"cached": False, "articles": len(docs), "chunks": len(index.docstore.docs),
                       "seconds": round(time.perf_counter() - started, 3)}

    def warm_up(self) -> None:
        self.retrieve("warm-up")
        load_model(self.generator)

    def retrieve(self, query: str) -> list[Passage]:
        from llama_index.core.schema import MetadataMode

        nodes = self.index.as_retriever(similarity_top_k=self.settings.top_k).retrieve(query)
        out = []
        for n in nodes:
            meta = n.node.metadata or {}
            out.append(Passage(chunk_id=n.node.node_id, article_id=str(meta.get("article_id", "")),
                               text=n.node.get_content(metadata_mode=MetadataMode.NONE), score=float(n.score or 0.0),
                               start=int(n.node.start_char_idx or 0), end=int(n.node.end_char_idx or 0),
                               title=str(meta.get("title", "")), url=str(meta.get("url", "")),
                               source=str(meta.get("source", "")), published_at=str(meta.get("published_at", ""))))
        return out

    def ask(self, question: str, history: Sequence = ()) -> Answer:
        t0 = time.perf_counter()
        passages = self.retrieve(question)
        t1 = time.perf_counter()
        turns = [(h["role"], h["content"]) if isinstance(h, dict) else tuple(h) for h in history]
        draft = "".join(self.generator.stream(question, passages, turns)).strip() if passages else ""
        t2 = time.perf_counter()
        abstained = not draft or NOT_FOUND.lower() in draft.lower()
        text, citations = (draft or NOT_FOUND), []
        if not abstained:
            top = passages[0]
            quotes = _sentences(top.text)
            parts = []
            for i, (sentence, _) in enumerate(split_answer_sentences(draft), start=1):
                quote = best_matching_sentence(sentence, quotes)
                citations.append(Citation(i, top.article_id, top.title, top.url, top.published_at, quote,
                                          0, 0, top.score, top.source))
                parts.append(with_marker(sentence, i))
            text = " ".join(parts)
        return Answer(question=question, text=text, abstained=abstained, citations=tuple(citations),
                      passages=tuple(passages), draft=draft, generator=f"{BASELINE_NAME}+{self.generator.name}",
                      timings={"retrieve": t1 - t0, "generate": t2 - t1, "total": t2 - t0}, query=question)


def plain_vector_retriever(store, embedder, top_k: int = 5) -> Callable[[str], list[str]]:
    """A plain llama-index `VectorStoreIndex` over `store`'s own Chroma collection (llama-index's
    `ChromaVectorStore`, the same embedder, top `top_k`, no filters, fusion or dates): the speed and
    recall baseline of `python -m eval.bench scale`. Returns question -> ranked article ids."""
    from llama_index.core import VectorStoreIndex
    from llama_index.vector_stores.chroma import ChromaVectorStore

    index = VectorStoreIndex.from_vector_store(ChromaVectorStore(chroma_collection=store.collection),
                                               embed_model=_embed_model(embedder))
    retriever = index.as_retriever(similarity_top_k=top_k)

    def retrieve(question: str) -> list[str]:
        return [str((n.node.metadata or {}).get("article_id", "")) for n in retriever.retrieve(question)]

    return retrieve


def baseline_cache_dir(dataset: Dataset, settings: Settings) -> Path:
    key = corpus_fingerprint(dataset.corpus, f"baseline|chunk_size={CHUNK_SIZE}|overlap={CHUNK_OVERLAP}")
    return settings.data_dir / "eval-cache" / f"baseline-{key}"


def run_baseline(
    dataset: Dataset,
    generator: str | None = None,
    settings: Settings | None = None,
    limit: int | None = None,
    embedder=None,
    cache_dir: str | Path | None = None,
    on_record: Callable[[dict], None] | None = None,
) -> EvalResult:
    """Ask the baseline the same questions (first `limit` per file) and score it with eval.run's rules.

    With a custom `embedder` and no `cache_dir` the index goes to a temporary
    folder, so test vectors never reach the cache.
    """
    settings = settings or Settings()
    generator = generator or settings.generator
    if settings.model_cache_dir is None:
        settings = settings.replace(model_cache_dir=settings.models_dir)
    with tempfile.TemporaryDirectory(prefix="citewire-baseline-") as tmp:
        if cache_dir is None:
            cache_dir = Path(tmp) if embedder else baseline_cache_dir(dataset, settings)
        pipeline = BaselinePipeline(dataset, settings, generator, Path(cache_dir), embedder)
        started = time.perf_counter()
        pipeline.warm_up()
        ingest = {**pipeline.ingest, "warm_up_seconds": round(time.perf_counter() - started, 3)}
        records = []
        for q in select_questions(dataset.questions, limit):
            records.append(score_answer(q, pipeline.ask(q.question, q.turns)))
            if on_record:
                on_record(records[-1])
    return EvalResult(dataset.name, generator, str(cache_dir), records, summarise(records), ingest,
                      name=BASELINE_NAME, label="llama-index VectorStoreIndex, SentenceSplitter 1024/200, dense",
                      settings=settings_dict(settings), by_type=summarise_by_type(records))
