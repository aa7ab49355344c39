"""`python -m eval.bench encoders`: embedding backends against fp32 sentence-transformers, on this machine.

Times the bundled all-MiniLM-L6-v2 over the same chunk texts (the first
articles of a corpus, chunked as ingest chunks them) with: the default (torch
fp32, batch 32, torch's threads), other batch sizes and thread counts, torch
dynamic int8 quantisation of the Linear layers, and ONNX Runtime on a model
exported here with `torch.onnx.export` (when that works offline: no `optimum`,
no `onnx` package is assumed). For each it prints chunks/s, the speed-up and
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
    """Export the transformer with torch.onnx (TorchScript exporter) and run it with onnxruntime."""
    import numpy as np
    import onnxruntime as ort
    import torch

    class _Hidden(torch.nn.Module):  # keyword arguments only: BertModel's positional order has changed
        def __init__(self, bert):
            super().__init__()
            self.bert = bert

        def forward(self, input_ids, attention_mask, token_type_ids):
            return self.bert(input_ids=input_ids, attention_mask=attention_mask,
                             token_type_ids=token_type_ids).last_hidden_state

    tokenizer = model.tokenizer
    path = workdir / "minilm.onnx"
    sample = tokenizer(["a sample"], return_tensors="pt")
    names = ["input_ids", "attention_mask", "token_type_ids"]
    axes = {n: {0: "batch", 1: "seq"} for n in names} | {"last_hidden_state": {0: "batch", 1: "seq"}}
    with torch.no_grad():
        torch.onnx.export(_Hidden(model[0].auto_model).eval(), tuple(sample[n] for n in names), str(path),
                          input_names=names, output_names=["last_hidden_state"], dynamic_axes=axes,
                          opset_version=17, dynamo=False)
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    max_len = model.max_seq_length

    def encode(texts):
        out = []
        order = np.argsort([-len(t) for t in texts])  # like sentence-transformers: similar lengths together
        for i in range(0, len(texts), batch):
            part = [texts[j] for j in order[i:i + batch]]
            enc = tokenizer(part, padding=True, truncation=True, max_length=max_len, return_tensors="np")
            hidden = session.run(None, {n: enc[n].astype(np.int64) for n in names})[0]
            mask = enc["attention_mask"][..., None].astype(np.float32)
            pooled = (hidden * mask).sum(1) / np.clip(mask.sum(1), 1e-9, None)
            out.append(pooled / np.linalg.norm(pooled, axis=1, keepdims=True))
        vectors = np.concatenate(out)
        result = np.empty_like(vectors)
        result[order] = vectors
        return result

    return encode


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
            ("torch fp32 batch 32 (default)", lambda: _torch_encoder(model, 32, None)),
            ("torch fp32 batch 16", lambda: _torch_encoder(model, 16, None)),
            ("torch fp32 batch 64", lambda: _torch_encoder(model, 64, None)),
            ("torch fp32 batch 32, 1 thread", lambda: _torch_encoder(model, 32, 1)),
            ("torch int8 dynamic (Linear)", lambda: _int8_encoder(str(bundled_embedder_path()), 32)),
            ("onnxruntime fp32 batch 32", lambda: _onnx_encoder(model, Path(tmp), 32, 2)),
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
