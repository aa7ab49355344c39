"""`python -m eval.bench ingest`: ingest throughput against the bare encoder (`scale`: see eval/scale.py).

Loads and chunks the corpus once to get exactly the chunk texts ingest embeds,
times bare `SentenceTransformer.encode` over them, then times the full ingest
path (load, clean, chunk, near-duplicate check, embed, store) into a temporary
index in the same process with the same model, and prints articles/s, chunks/s
and the ratio (ingest / bare; the target is >= 0.9). It then times a re-run
over the unchanged corpus. Model loading is excluded from both timings; near
duplicates are kept so both sides embed the same chunks. It does not download
anything (the bundled all-MiniLM-L6-v2 is used, HF_HUB_OFFLINE=1) and does not
write into the repository.

    python -m eval.bench ingest --corpus /path/corpus.jsonl [--limit N] [--json]
    python -m eval.bench scale [--articles N | --quick] [--data-dir DIR] [--json PATH]
    python -m eval.bench encoders [--articles N] [--chunks N]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

from assistant import offline_environment

__all__ = ["bench_ingest", "main"]

DEFAULT_CORPUS = Path(__file__).resolve().parent / "gold" / "sample" / "corpus.jsonl"


def _limited_corpus(corpus: Path, limit: int | None, workdir: Path) -> Path:
    if not limit:
        return corpus
    lines = [line for line in corpus.read_text(encoding="utf-8").splitlines() if line.strip()][:limit]
    path = workdir / f"first-{limit}.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def bench_ingest(corpus: Path, limit: int | None = None, batch_size: int = 32, data_dir: Path | None = None) -> dict:
    """Time bare encoding and the full ingest path over the same chunks; returns the numbers."""
    from index import (
        Article, ChromaStore, SentenceTransformerEmbedder, bundled_embedder_path, chunk_article, embedding_text,
        ingest, load_articles,
    )
    from index.chunk import DEFAULT_CHUNK_TOKENS

    with tempfile.TemporaryDirectory(prefix="citewire-bench-") as tmp:
        workdir = Path(tmp)
        corpus = _limited_corpus(corpus, limit, workdir)
        embedder = SentenceTransformerEmbedder(batch_size=batch_size)
        model = embedder.model  # loaded once, outside both timings
        articles = [a for a in load_articles([str(corpus)]) if isinstance(a, Article)]
        chunks = [c for a in articles for c in chunk_article(a, embedder.count_tokens, DEFAULT_CHUNK_TOKENS)]
        texts = [embedding_text(c.title, c.text) for c in chunks]
        model.encode(texts[:batch_size], batch_size=batch_size, show_progress_bar=False)  # warm-up

        started = time.perf_counter()
        model.encode(texts, batch_size=batch_size, normalize_embeddings=True, show_progress_bar=False)
        bare_s = time.perf_counter() - started

        store = ChromaStore(data_dir or workdir / "data")
        report = ingest([str(corpus)], embedder, store, keep_duplicates=True)
        full_s = report.seconds
        if report.chunks_written != len(chunks):
            raise RuntimeError(f"ingest wrote {report.chunks_written} chunks, expected {len(chunks)}")

        rerun = ingest([str(corpus)], embedder, store, keep_duplicates=True)
        return {
            "corpus": str(corpus), "model": str(bundled_embedder_path()), "batch_size": batch_size,
            "torch_threads": _torch_threads(), "articles": len(articles), "chunks": len(chunks),
            "bare_seconds": round(bare_s, 2), "ingest_seconds": round(full_s, 2),
            "bare_articles_per_s": round(len(articles) / bare_s, 2),
            "bare_chunks_per_s": round(len(chunks) / bare_s, 2),
            "ingest_articles_per_s": round(len(report.added) / full_s, 2),
            "ingest_chunks_per_s": round(report.chunks_written / full_s, 2),
            "ratio": round(bare_s / full_s, 3),
            "rerun_seconds": round(rerun.seconds, 2), "rerun_unchanged": len(rerun.unchanged),
            "rerun_summary": rerun.summary(),
        }


def _torch_threads() -> int:
    import torch

    return torch.get_num_threads()


def main(argv: list[str] | None = None) -> int:
    offline_environment()
    parser = argparse.ArgumentParser(prog="python -m eval.bench", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("ingest", help="ingest throughput vs bare sentence-transformers")
    p.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, help="a .jsonl corpus (default: the gold sample)")
    p.add_argument("--limit", type=int, help="only the first N records")
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--json", action="store_true", help="print the numbers as JSON")
    p.add_argument("--data-dir", type=Path, help="keep the ingested index here (default: a temporary dir); "
                   "it must not hold an index yet")
    s = sub.add_parser("scale", help="ingest, retrieval latency and recall, memory at archive scale vs baselines")
    s.add_argument("--train", type=Path, default=None, help="the realtimeqa-train folder (corpus.jsonl, "
                   "questions.jsonl; default ../shared/eval/realtimeqa-train)")
    s.add_argument("--articles", type=int, help="the first N articles of the corpus (default: all 13,493); "
                   "0 measures what --data-dir already holds")
    s.add_argument("--quick", action="store_true", help="1,000 articles")
    s.add_argument("--data-dir", type=Path, help="default data/bench-scale-N (resumable, reused)")
    s.add_argument("--questions", type=int, default=300, help="at most this many train questions (default 300)")
    s.add_argument("--no-serve", action="store_true", help="skip the start-up / peak RSS probe (local model)")
    s.add_argument("--batch-size", type=int, default=32)
    s.add_argument("--stand-in-vectors", action="store_true", help="ingest with random vectors instead of the "
                   "model (questions still use it): measures all but embedding at full size; no recall")
    s.add_argument("--json", dest="json_path", type=Path, help="also write the numbers to this file")
    e = sub.add_parser("encoders", help="embedding backends (batch, threads, int8, ONNX) vs fp32: speed, closeness")
    e.add_argument("--corpus", type=Path, default=None, help="a .jsonl corpus (default: realtimeqa-train's)")
    e.add_argument("--articles", type=int, default=60, help="chunk the first N articles (default 60)")
    e.add_argument("--chunks", type=int, default=384, help="time this many chunk texts (default 384)")
    args = parser.parse_args(argv)
    if args.command == "encoders":
        return _encoders(args)
    if args.command == "scale":
        return _scale(args)
    result = bench_ingest(args.corpus, args.limit, args.batch_size, args.data_dir)
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    print(f"corpus {result['corpus']}: {result['articles']} articles, {result['chunks']} chunks "
          f"(batch {result['batch_size']}, {result['torch_threads']} torch threads)")
    print(f"bare encoder : {result['bare_seconds']:8.2f} s  {result['bare_articles_per_s']:7.2f} articles/s  "
          f"{result['bare_chunks_per_s']:7.2f} chunks/s")
    print(f"full ingest  : {result['ingest_seconds']:8.2f} s  {result['ingest_articles_per_s']:7.2f} articles/s  "
          f"{result['ingest_chunks_per_s']:7.2f} chunks/s")
    print(f"ratio (ingest/bare throughput): {result['ratio']:.3f}  (target >= 0.9)")
    print(f"unchanged re-run: {result['rerun_seconds']:.2f} s, {result['rerun_summary']}")
    return 0


def _encoders(args) -> int:
    from .encoders import bench_encoders
    from .scale import DEFAULT_TRAIN

    rows = bench_encoders(args.corpus or DEFAULT_TRAIN / "corpus.jsonl", args.articles, args.chunks)
    for row in rows:
        if "error" in row:
            print(f"{row['backend']:34} unavailable: {row['error']}")
            continue
        print(f"{row['backend']:34} {row['chunks_per_s']:8.2f} chunks/s  x{row['speedup']:.2f}  "
              f"cosine to fp32 {row.get('mean_cosine_to_fp32', 1.0):.5f}  "
              f"same nearest {row.get('same_nearest_neighbour', 1.0):.3f}")
    print(json.dumps(rows))
    return 0


def _scale(args) -> int:
    from .scale import DEFAULT_TRAIN, QUICK_ARTICLES, bench_scale, print_scale

    articles = QUICK_ARTICLES if args.quick and args.articles is None else args.articles
    result = bench_scale(args.train or DEFAULT_TRAIN, articles, args.data_dir, questions=args.questions,
                         serve=not args.no_serve, progress=sys.stderr.isatty(), batch_size=args.batch_size,
                         stand_in_vectors=args.stand_in_vectors)
    result["args"] = {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()}
    print_scale(result)
    if args.json_path:
        args.json_path.parent.mkdir(parents=True, exist_ok=True)
        args.json_path.write_text(json.dumps(result, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
