"""`python -m eval.bench scale`: Citewire at archive scale, measured beside plain baselines.

On the first `--articles N` records of a corpus (realtimeqa-train's is shuffled,
so that is a random sample of the archive; all 13,493 by default) it builds an
index in a data dir of its own (`data/bench-scale-N`, resumable: a stopped run
picks up where it left off, an unchanged one ingests nothing), then measures, in
one process:

- ingest articles/s and chunks/s (the whole path, keyword index included),
  beside bare `SentenceTransformer.encode` (torch) on a sample of the same chunk
  texts, and the same texts through the embedder's default backend (ONNX
  Runtime, exported into the data dir's models folder);
- index size on disk (Chroma, keyword index);
- retrieval p50/p95 per question and recall@5 (share of a question's evidence
  articles that are in the index found among the first 5 distinct articles) for
  Citewire hybrid and dense-only (`Assistant.retrieve`, the path `ask` uses,
  as of the question's date) and for a plain llama-index `VectorStoreIndex` over
  the same Chroma collection (top 5, no date, no fusion);
- adding 10 new articles end to end (embed, store, keyword index) and removing them;
- start-up to first answer and peak RSS serving with the local model, in a fresh
  process (`--no-serve` skips it).

`--stand-in-vectors` ingests with deterministic random unit vectors instead of
the model (questions are still embedded by it), into `data/bench-scale-N-standin`:
on 2 cores the whole corpus cannot be embedded in a session (about 140,000
chunks at 25 chunks/s), but everything else can be measured at that size:
chunking, Chroma writes, the keyword index, retrieval latency, adding 10 real
articles (embedded by the model), start-up and memory. Recall is then
meaningless and is not reported.

It prints a table with ratios (Citewire / baseline) and writes the numbers as
JSON. It asserts nothing about speed and never downloads (HF_HUB_OFFLINE=1).
It measures; it does not tune. Latency here depends on the machine's load: the
load average is recorded with the figures.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

from .metrics import distinct_ranked, percentile, recall_at_k

__all__ = ["bench_scale", "print_scale", "DEFAULT_TRAIN", "QUICK_ARTICLES"]

DEFAULT_TRAIN = Path(__file__).resolve().parents[2] / "shared" / "eval" / "realtimeqa-train"
QUICK_ARTICLES = 1000
_ENCODER_SAMPLE = 512  # chunk texts timed through the bare encoder
_ADDED = 10


def _records(corpus: Path) -> list[str]:
    return [line for line in corpus.read_text(encoding="utf-8").splitlines() if line.strip()]


def _write_lines(path: Path, lines: list[str]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text("\n".join(lines) + "\n", encoding="utf-8")
    os.replace(tmp, path)
    return path


def _dir_mb(path: Path) -> float:
    return round(sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 2**20, 1) if path.exists() else 0.0


def _questions(train: Path, stored: set[str], limit: int | None) -> list[dict]:
    """Train questions with at least one evidence article in the index (gold limited to those)."""
    out = []
    for line in _records(train / "questions.jsonl"):
        q = json.loads(line)
        gold = [e for e in q.get("evidence_ids") or [] if e in stored]
        if gold:
            out.append({"question": q["question"], "as_of": q.get("question_date"), "gold": gold})
    return out[:limit] if limit else out


def _encoder_rate(embedder, article_lines: list[str], workdir: Path, batch_size: int) -> dict:
    """Bare sentence-transformers chunks/s on the first chunk texts of the subset."""
    from index import Article, chunk_article, embedding_text, load_articles
    from index.chunk import DEFAULT_CHUNK_TOKENS

    sample = _write_lines(workdir / "encoder-sample.jsonl", article_lines[:120])
    texts = []
    for a in load_articles([str(sample)]):
        if isinstance(a, Article):
            texts += [embedding_text(c.title, c.text) for c in chunk_article(a, embedder.count_tokens,
                                                                             DEFAULT_CHUNK_TOKENS)]
    texts = texts[:_ENCODER_SAMPLE]
    model = embedder.model
    model.encode(texts[:batch_size], batch_size=batch_size, show_progress_bar=False)  # warm-up
    started = time.perf_counter()
    model.encode(texts, batch_size=batch_size, normalize_embeddings=True, show_progress_bar=False)
    seconds = time.perf_counter() - started
    out = {"chunks": len(texts), "seconds": round(seconds, 2), "chunks_per_s": round(len(texts) / seconds, 2),
           "backend": embedder.backend}
    if embedder.backend != "torch":  # what ingest embeds with: the same texts through the default backend
        embedder.embed_batch(texts[:batch_size])
        started = time.perf_counter()
        embedder.embed_batch(texts)
        out["backend_chunks_per_s"] = round(len(texts) / (time.perf_counter() - started), 2)
    return out


class _Bar:
    """Articles done of the total, articles/s, chunks/s and ETA on stderr."""

    def __init__(self, total: int, enabled: bool):
        self.chunks, self.bar = 0, None
        if enabled:
            from tqdm import tqdm

            self.bar = tqdm(total=total, unit=" art", file=sys.stderr, dynamic_ncols=True, smoothing=0.05)

    def __call__(self, _id: str, _outcome: str, chunks: int) -> None:
        if self.bar is not None:
            self.chunks += chunks
            self.bar.update(1)
            elapsed = self.bar.format_dict.get("elapsed") or 0.0
            self.bar.set_postfix_str(f"{self.chunks} chunks, {self.chunks / max(elapsed, 1e-9):.1f} chunks/s",
                                     refresh=False)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


class _StandInVectors:
    """Random unit vectors (seeded by the text) for ingest batches; the real model for questions."""

    def __init__(self, real, query_batch: int = 4):
        self.real, self.query_batch = real, query_batch
        self.count_tokens, self.token_offsets = real.count_tokens, real.token_offsets
        self.forget_recent = real.forget_recent

    def embed_batch(self, texts):
        import hashlib

        import numpy as np

        if len(texts) <= self.query_batch:
            return self.real.embed_batch(texts)
        out = []
        for text in texts:
            seed = int.from_bytes(hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest(), "big")
            v = np.random.default_rng(seed).standard_normal(384).astype(np.float32)
            out.append((v / np.linalg.norm(v)).tolist())
        return out


def _ingest(library, corpus: Path, total: int, data_dir: Path, progress: bool) -> dict:
    """Ingest (or resume) the subset; the figures of the run that wrote chunks are kept in the data dir."""
    saved = data_dir / "bench-ingest.json"
    bar = _Bar(total, progress)
    started = time.perf_counter()
    try:
        report = library.ingest([str(corpus)], on_article=bar, keep_duplicates=True)
    finally:
        bar.close()
    seconds = time.perf_counter() - started
    if report.failed:
        raise RuntimeError(f"ingest failed: {report.failed[:3]}")
    if not report.chunks_written:
        figures = json.loads(saved.read_text(encoding="utf-8")) if saved.exists() else {}
        return {**figures, "reused": True, "unchanged_rerun_seconds": round(seconds, 2)}
    figures = {"articles": len(report.added) + len(report.updated), "chunks": report.chunks_written,
               "seconds": round(seconds, 2), "store_seconds": round(report.seconds, 2),
               "keyword_seconds": round(seconds - report.seconds, 2),
               "articles_per_s": round((len(report.added) + len(report.updated)) / seconds, 2),
               "chunks_per_s": round(report.chunks_written / seconds, 2), "reused": False}
    saved.write_text(json.dumps(figures), encoding="utf-8")
    return figures


def _timed(retrieve, questions: list[dict], embedder=None) -> dict:
    retrieve(questions[0])  # warm-up: loads the embedder, the keyword index
    # Each path embeds its questions itself: none reuses the vectors the path before it kept.
    forget = getattr(embedder, "forget_recent", None)
    if forget is not None:
        forget()
    times, recalls = [], []
    for q in questions:
        started = time.perf_counter()
        ids = retrieve(q)
        times.append(time.perf_counter() - started)
        recalls.append(recall_at_k(ids, q["gold"], 5))
    return {"p50_ms": round(percentile(times, 50) * 1000, 1), "p95_ms": round(percentile(times, 95) * 1000, 1),
            "recall@5": round(sum(recalls) / len(recalls), 3), "questions": len(questions)}


def _retrieval(data_dir: Path, library, embedder, questions: list[dict]) -> dict:
    from assistant import build_assistant

    from .baseline import plain_vector_retriever

    out = {}
    k = 5  # every retriever returns its top 5 passages: recall@5 and latency compare like with like
    for name, hybrid in (("hybrid", True), ("dense", False)):
        a = build_assistant(data_dir, generator="extractive", embedder=embedder, hybrid=hybrid)
        out[name] = _timed(lambda q, a=a: [p.article_id for p in a.retrieve(q["question"], k, as_of=q["as_of"])],
                           questions, embedder)
    plain = plain_vector_retriever(library.store, embedder, top_k=k)
    out["llamaindex"] = _timed(lambda q: distinct_ranked(plain(q["question"])), questions, embedder)
    return out


def _add_and_remove(library, lines: list[str], workdir: Path) -> dict:
    """Add 10 articles the index lacks (end to end: embed, store, keyword index), then remove them.

    The Library is warm, as in the running page: the model and the keyword index are loaded first
    (the load is timed apart: a CLI process pays it, plus the model's)."""
    path = _write_lines(workdir / "added.jsonl", lines)
    library.embedder.embed_batch(["warm-up"] * 8)
    started = time.perf_counter()
    for index in library.derived:
        len(index)
    load_s = time.perf_counter() - started
    started = time.perf_counter()
    report = library.ingest([str(path)], keep_duplicates=True)
    added_s = time.perf_counter() - started
    ids = report.added + report.updated
    started = time.perf_counter()
    library.remove(ids)
    removed_s = time.perf_counter() - started
    return {"articles": len(ids), "chunks": report.chunks_written, "add_seconds": round(added_s, 2),
            "keyword_load_seconds": round(load_s, 2),
            "store_seconds": round(report.seconds, 2), "remove_seconds": round(removed_s, 2)}


def _serve(data_dir: Path, questions: list[dict], models_dir: Path) -> dict:
    """Start-up to first answer and peak RSS with the local model, in a fresh process."""
    probe = {"data_dir": str(data_dir), "models_dir": str(models_dir),
             "questions": [[q["question"], q["as_of"]] for q in questions[:5]]}
    started = time.perf_counter()
    run = subprocess.run([sys.executable, "-m", "eval.scale", "--probe", json.dumps(probe)], capture_output=True,
                         text=True, cwd=Path(__file__).resolve().parents[1], timeout=900)
    wall = time.perf_counter() - started
    if run.returncode != 0:
        return {"error": run.stderr.strip().splitlines()[-1:] or ["failed"]}
    return {**json.loads(run.stdout.strip().splitlines()[-1]), "process_seconds": round(wall, 2)}


def _probe(spec: dict) -> dict:
    """Run in the child: import, build, answer the first question, then four more; time and peak RSS."""
    t0 = time.perf_counter()
    from assistant import Settings, build_assistant, offline_environment

    offline_environment()
    a = build_assistant(settings=Settings(data_dir=Path(spec["data_dir"]), model_cache_dir=Path(spec["models_dir"])),
                        generator="local")
    t1 = time.perf_counter()
    rss = {"built": _rss_mb()}
    first, as_of = spec["questions"][0]
    a.retrieve(first, as_of=as_of)  # loads the keyword index, the embedder and Chroma's vectors
    rss["retrieved"] = _rss_mb()
    a.ask(first, as_of=as_of)  # then the local model and the answer checks' models
    rss["first_answer"] = _rss_mb()
    t2 = time.perf_counter()
    asks = []
    for question, as_of in spec["questions"][1:]:
        started = time.perf_counter()
        a.ask(question, as_of=as_of)
        asks.append(time.perf_counter() - started)
    return {"build_seconds": round(t1 - t0, 2), "first_answer_seconds": round(t2 - t0, 2),
            "ask_p50_seconds": round(percentile(asks, 50), 2) if asks else None,
            "peak_rss_mb": _rss_mb("VmHWM:") or round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            "rss_mb_after": {**rss, "last_answer": _rss_mb()}}


def _rss_mb(field: str = "VmRSS:") -> float | None:
    """This process's resident memory now (VmRSS) or at its peak (VmHWM), from Linux's /proc.

    The peak is not `getrusage().ru_maxrss`: in a child started by subprocess (vfork, then exec) that
    reports the parent's peak when it is higher, so a bench parent holding 3 GB made a 1.6 GB probe
    read 3.2 GB. VmHWM belongs to the child's own address space."""
    try:
        with open(f"/proc/{os.getpid()}/status", encoding="ascii") as status:
            kb = next(int(line.split()[1]) for line in status if line.startswith(field))
    except (OSError, StopIteration, ValueError):
        return None
    return round(kb / 1024, 1)


def bench_scale(train: Path = DEFAULT_TRAIN, articles: int | None = None, data_dir: Path | None = None,
                questions: int | None = 300, serve: bool = True, progress: bool = True,
                batch_size: int = 32, stand_in_vectors: bool = False) -> dict:
    """Build (or reuse) the index over the first `articles` records and measure it; returns the numbers.

    With an existing `data_dir` whose corpus is not the first `articles` records (e.g. a copy of
    eval.fit's index), pass `articles=0`: nothing is ingested and the stored articles are measured."""
    from assistant import Settings, build_library
    from index import SentenceTransformerEmbedder

    lines = _records(train / "corpus.jsonl")
    n = len(lines) if articles is None else articles
    data_dir = data_dir or Path("data") / (f"bench-scale-{n}" + ("-standin" if stand_in_vectors else ""))
    workdir = data_dir / "bench-work"
    workdir.mkdir(parents=True, exist_ok=True)
    real = SentenceTransformerEmbedder(batch_size=batch_size, onnx_dir=Settings(data_dir=data_dir).models_dir)
    embedder = _StandInVectors(real) if stand_in_vectors else real
    library = build_library(Settings(data_dir=data_dir), embedder)
    result: dict = {"corpus": str(train / "corpus.jsonl"), "data_dir": str(data_dir), "cores": os.cpu_count(),
                    "load_average_start": [round(x, 2) for x in os.getloadavg()], "batch_size": batch_size,
                    "stand_in_vectors": stand_in_vectors}
    result["encoder"] = _encoder_rate(real, lines[:n] if n else lines, workdir, batch_size)
    started = time.perf_counter()
    library.refresh_derived()  # builds the keyword index if this data dir has none yet (a copied store)
    result["keyword_first_refresh_seconds"] = round(time.perf_counter() - started, 2)
    if n:
        subset = workdir / f"first-{n}"  # a folder of 1,000-article files: ingest refuses files over 50 MB
        for i in range(0, n, 1000):
            _write_lines(subset / f"part-{i // 1000:03d}.jsonl", lines[i:min(i + 1000, n)])
        result["ingest"] = _ingest(library, subset, n, data_dir, progress)
    started = time.perf_counter()
    build_library(Settings(data_dir=data_dir), embedder).refresh_derived()  # what every start-up does
    result["keyword_check_seconds"] = round(time.perf_counter() - started, 4)
    stored = {row["id"] for row in library.list_articles()}
    result["index"] = {"articles": len(stored), "chunks": library.count(), "chroma_mb": _dir_mb(data_dir / "chroma"),
                       "keyword_mb": _dir_mb(data_dir / "bm25")}
    picked = _questions(train, stored, questions)
    result["retrieval"] = _retrieval(data_dir, library, embedder, picked)
    fresh = [line for line in lines if json.loads(line)["id"] not in stored][:_ADDED]
    if len(fresh) < _ADDED:  # the whole corpus is stored: take 10 out first, then time putting them back
        fresh = [line for line in reversed(lines) if json.loads(line)["id"] in stored][:_ADDED]
        build_library(Settings(data_dir=data_dir), real).remove([json.loads(line)["id"] for line in fresh])
    result["add_10"] = _add_and_remove(build_library(Settings(data_dir=data_dir), real), fresh, workdir)
    if serve:
        result["serve"] = _serve(data_dir, picked, Path("data") / "models")
    result["load_average_end"] = [round(x, 2) for x in os.getloadavg()]
    return result


def _ratio(a, b) -> str:
    return f"{a / b:.2f}" if a and b else "-"


def print_scale(r: dict) -> None:
    idx, enc, ing = r["index"], r["encoder"], r.get("ingest") or {}
    print(f"index {r['data_dir']}: {idx['articles']} articles, {idx['chunks']} chunks; "
          f"Chroma {idx['chroma_mb']} MB, keyword index {idx['keyword_mb']} MB; {r['cores']} cores, "
          f"load {r['load_average_start']} -> {r['load_average_end']}")
    print(f"{'':34} {'value':>10} {'baseline':>10} {'ratio':>6}")
    standin = r.get("stand_in_vectors")
    if ing.get("chunks_per_s") and standin:
        print(f"{'ingest chunks/s, NO embedding':34} {ing['chunks_per_s']:>10} {enc['chunks_per_s']:>10}   "
              f"(baseline: bare encoder)")
        print(f"{'ingest articles/s, NO embedding':34} {ing['articles_per_s']:>10}")
        print(f"{'  of which keyword index, s':34} {ing['keyword_seconds']:>10}")
    elif ing.get("chunks_per_s"):
        note = " (earlier run)" if ing.get("reused") else ""
        print(f"{'ingest chunks/s vs bare torch' + note:34} {ing['chunks_per_s']:>10} {enc['chunks_per_s']:>10} "
              f"{_ratio(ing['chunks_per_s'], enc['chunks_per_s']):>6}")
        print(f"{'ingest articles/s':34} {ing['articles_per_s']:>10}")
        print(f"{'  of which keyword index, s':34} {ing['keyword_seconds']:>10}")
    else:
        print(f"{'bare encoder chunks/s':34} {enc['chunks_per_s']:>10}")
    if enc.get("backend_chunks_per_s"):
        print(f"{'bare ' + enc['backend'] + ' chunks/s vs torch':34} {enc['backend_chunks_per_s']:>10} "
              f"{enc['chunks_per_s']:>10} {_ratio(enc['backend_chunks_per_s'], enc['chunks_per_s']):>6}")
    base = r["retrieval"]["llamaindex"]
    for name in ("hybrid", "dense"):
        row = r["retrieval"][name]
        for key in ("p50_ms", "p95_ms") if standin else ("p50_ms", "p95_ms", "recall@5"):
            print(f"{name + ' ' + key + ' vs llama-index':34} {row[key]:>10} {base[key]:>10} "
                  f"{_ratio(row[key], base[key]):>6}")
    print(f"{'questions':34} {base['questions']:>10}")
    add = r["add_10"]
    print(f"{'add 10 articles, s (end to end)':34} {add['add_seconds']:>10}   ({add['chunks']} chunks, "
          f"store {add['store_seconds']} s)")
    print(f"{'remove them, s':34} {add['remove_seconds']:>10}")
    print(f"{'keyword index load (cold), s':34} {add['keyword_load_seconds']:>10}")
    print(f"{'keyword index check at start-up, s':34} {r['keyword_check_seconds']:>10}   "
          f"(first refresh of this run {r['keyword_first_refresh_seconds']} s)")
    serve = r.get("serve") or {}
    if "first_answer_seconds" in serve:
        print(f"{'start-up to first answer, s':34} {serve['first_answer_seconds']:>10}   "
              f"(build {serve['build_seconds']} s, process {serve['process_seconds']} s)")
        after = serve.get("rss_mb_after") or {}
        print(f"{'peak RSS serving (local), MB':34} {serve['peak_rss_mb']:>10}   (RSS after: "
              + ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in after.items()) + ")")
    elif serve:
        print(f"serve probe failed: {serve.get('error')}")


if __name__ == "__main__":  # the child process of the serve probe
    if len(sys.argv) == 3 and sys.argv[1] == "--probe":
        print(json.dumps(_probe(json.loads(sys.argv[2]))))
