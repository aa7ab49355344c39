"""`python -m eval.bench encoders`: embedding backends against fp32 sentence-transformers, on this machine.

Times the bundled all-MiniLM-L6-v2 over the same chunk texts (the first
articles of a corpus, chunked as ingest chunks them) with: the default (torch
fp32, batch 32, torch's threads), other batch sizes and thread counts, torch
dynamic int8 quantisation of the Linear layers, and ONNX Runtime on the model
exported here as the embedder exports it (index/onnx_encoder.py; it needs the
`onnx` package). For each it prints chunks/s, the speed-up and
how close its vectors are to fp32's (mean cosine, and how often the nearest
chunk to each of a few queries is the same). It changes nothing: a faster
backend becomes the default only after `python -m eval` on realtimeqa-dev
shows recall@5 and top-1 within a point of fp32's.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

__all__ = ["bench_encoders"]


def _texts(corpus: Path, articles: int, embedder) -> list[str]:
    from index import Article, chunk_article, embedding_text, load_articles
    from index.chunk import DEFAULT_CHUNK_TOKENS

    lines = [line for line in corpus.read_text(encoding="utf-8").splitlines() if line.strip()][:articles]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "sample.jsonl"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return [embedding_text(c.title, c.text) for a in load_articles([str(path)]) if isinstance(a, Article)
                for c in chunk_article(a, embedder.count_tokens, DEFAULT_CHUNK_TOKENS)]


def _torch_encoder(model, batch: int, threads: int | None):
    import torch

    def encode(texts):
        before = torch.get_num_threads()
        if threads:
            torch.set_num_threads(threads)
        try:
            return model.encode(texts, batch_size=batch, normalize_embeddings=True, show_progress_bar=False)
        finally:
            torch.set_num_threads(before)

    return encode


def _onnx_encoder(model, workdir: Path, batch: int, threads: int):
    """The embedder's own ONNX backend (index/onnx_encoder.py): exported here, checked, run by onnxruntime."""
    from index import bundled_embedder_path
    from index.onnx_encoder import OnnxEncoder, export_onnx, onnx_path

    model_dir = bundled_embedder_path()
    path = onnx_path(model_dir, workdir)
    why = export_onnx(model, model_dir, path)
    if why:
        raise RuntimeError(why)
    encoder = OnnxEncoder(model_dir, path, threads=threads)
    return lambda texts: encoder.encode(texts, batch_size=batch)


def _int8_encoder(model_dir: str, batch: int):
    import torch
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(model_dir, device="cpu", local_files_only=True)
    torch.ao.quantization.quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8, inplace=True)
    return _torch_encoder(model, batch, None)


def bench_encoders(corpus: Path, articles: int = 60, limit: int = 384, rounds: int = 2) -> list[dict]:
    """chunks/s and closeness to fp32 of each backend on the same texts; one row per backend."""
    import numpy as np

    from index import SentenceTransformerEmbedder, bundled_embedder_path

    embedder = SentenceTransformerEmbedder()
    model = embedder.model
    texts = _texts(corpus, articles, embedder)[:limit]
    rows, reference = [], None
    with tempfile.TemporaryDirectory(prefix="citewire-encoders-") as tmp:
        candidates = [
            ("torch fp32 batch 32 (reference)", lambda: _torch_encoder(model, 32, None)),
            ("torch fp32 batch 16", lambda: _torch_encoder(model, 16, None)),
            ("torch fp32 batch 64", lambda: _torch_encoder(model, 64, None)),
            ("torch fp32 batch 32, 1 thread", lambda: _torch_encoder(model, 32, 1)),
            ("torch int8 dynamic (Linear)", lambda: _int8_encoder(str(bundled_embedder_path()), 32)),
            ("onnxruntime fp32 b32 (default)", lambda: _onnx_encoder(model, Path(tmp), 32, 2)),
        ]
        encoders, failed = {}, {}
        for name, make in candidates:
            try:
                encoders[name] = make()
                encoders[name](texts[:32])  # warm-up
            except Exception as exc:  # an optional backend that cannot run here: say why
                failed[name] = f"{type(exc).__name__}: {str(exc)[:200]}"
        best: dict[str, float] = {}
        outputs = {}
        for _ in range(rounds):  # interleaved rounds, best of each: the machine's load drifts
            for name, encode in encoders.items():
                started = time.perf_counter()
                outputs[name] = np.asarray(encode(texts), dtype=np.float32)
                best[name] = min(best.get(name, float("inf")), time.perf_counter() - started)
        for name, _ in candidates:
            if name in failed:
                rows.append({"backend": name, "error": failed[name]})
                continue
            seconds, vectors = best[name], outputs[name]
            row = {"backend": name, "chunks": len(texts), "seconds": round(seconds, 2),
                   "chunks_per_s": round(len(texts) / seconds, 2)}
            if reference is None:
                reference = vectors
            else:
                row["mean_cosine_to_fp32"] = round(float((vectors * reference).sum(1).mean()), 5)
                q_ref, q_new = reference[::16], vectors[::16]
                same = (q_ref @ reference.T).argsort(1)[:, -2] == (q_new @ vectors.T).argsort(1)[:, -2]
                row["same_nearest_neighbour"] = round(float(same.mean()), 3)
            row["speedup"] = round(row["chunks_per_s"] / rows[0]["chunks_per_s"], 2) if rows else 1.0
            row["rounds"] = rounds
            rows.append(row)
    return rows
