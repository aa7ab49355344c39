"""The embedding model run by ONNX Runtime: the same vectors as sentence-transformers, without torch.

A sentence-transformers model dir (all-MiniLM-L6-v2: a BERT encoder, mean
pooling, unit length) is exported once with `torch.onnx.export` into a cache
dir, keyed by the model's files, and checked against the torch model on probe
texts before it is kept. Later processes embed with `OnnxEncoder`:
onnxruntime plus the model's own `tokenizer.json` (the `tokenizers` library),
which import in about 0.1 s where sentence-transformers and torch take about
3 s, and run a question in 3-5 ms instead of 10 and a batch of chunks about
1.6x as fast, on 2 cores.

It does not choose between the two backends (`embed.py` does) and does not
download: the export reads the files the torch model was loaded from. The
export needs the `onnx` package; without it, or when the check fails, there is
no export and `embed.py` keeps torch.
"""

from __future__ import annotations

import hashlib
import json
import os
import warnings
from pathlib import Path
from typing import Sequence

__all__ = ["OnnxEncoder", "onnx_path", "export_onnx", "PARITY_TOLERANCE"]

PARITY_TOLERANCE = 1e-5  # largest difference of any vector component allowed against the torch model
_FORMAT = 1  # bump when the export or its inputs change
_INPUTS = ("input_ids", "attention_mask", "token_type_ids")
_PROBES = ("", "  who proposed the summit?  ", "Biden and Putin", "Der Gipfel: ¿quién lo propuso? 北京 — 1,200%",
           "The idea of a summit was proposed by French President Emmanuel Macron. " * 40)


def _max_seq_length(model_dir: Path) -> int:
    """Word pieces the model reads (sentence-transformers' max_seq_length; longer texts are cut)."""
    try:
        config = json.loads((model_dir / "sentence_bert_config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        config = {}
    return int(config.get("max_seq_length") or 256)


def onnx_path(model_dir: Path, cache_dir: Path) -> Path:
    """Where the export of the model in `model_dir` lives: named by a hash of the model's files."""
    digest = hashlib.sha256(f"onnx-export-{_FORMAT}".encode())
    for name in ("model.safetensors", "config.json", "tokenizer.json", "sentence_bert_config.json", "modules.json",
                 "1_Pooling/config.json"):
        path = model_dir / name
        if path.exists():
            digest.update(name.encode() + b"\0")
            with open(path, "rb") as handle:
                for block in iter(lambda: handle.read(1 << 20), b""):
                    digest.update(block)
    return Path(cache_dir) / f"embedder-{digest.hexdigest()[:16]}.onnx"


def _pooling_is_mean(model_dir: Path) -> bool:
    try:
        pooling = json.loads((model_dir / "1_Pooling" / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    modes = [k for k, v in pooling.items() if k.startswith("pooling_mode") and v]
    return modes == ["pooling_mode_mean_tokens"]


def export_onnx(model, model_dir: Path, path: Path) -> str | None:
    """Export the loaded SentenceTransformer `model` (read from `model_dir`) to `path`, verified against
    it; returns None when kept, else why not (no `onnx` package, another architecture, a mismatch)."""
    import numpy as np
    import torch

    if not _pooling_is_mean(model_dir) or [type(m).__name__ for m in model] not in (
            ["Transformer", "Pooling", "Normalize"], ["Transformer", "Pooling"]):
        return "not a mean-pooled transformer"
    try:
        import onnx  # noqa: F401 - torch's exporter needs it
    except ImportError:
        return "the onnx package is not installed"

    class _Hidden(torch.nn.Module):  # keyword arguments: BertModel's positional order has changed over versions
        def __init__(self, encoder):
            super().__init__()
            self.encoder = encoder

        def forward(self, input_ids, attention_mask, token_type_ids):
            return self.encoder(input_ids=input_ids, attention_mask=attention_mask,
                                token_type_ids=token_type_ids).last_hidden_state

    encoder = model[0].auto_model
    sample = model.tokenizer(["a sample text"], return_tensors="pt")
    axes = {n: {0: "batch", 1: "tokens"} for n in _INPUTS} | {"hidden": {0: "batch", 1: "tokens"}}
    tmp = path.with_name(f".tmp-{os.getpid()}-{path.name}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with torch.inference_mode(), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the tracer's notes on Python control flow: the check below decides
            torch.onnx.export(_Hidden(encoder).eval(), tuple(sample[n] for n in _INPUTS), str(tmp),
                              input_names=list(_INPUTS), output_names=["hidden"], dynamic_axes=axes,
                              opset_version=17, dynamo=False)
        model.eval()  # the exporter may leave modules in training mode (dropout): the torch path needs eval
        got = OnnxEncoder(model_dir, tmp).encode(list(_PROBES) * 2, batch_size=4)
        want = model.encode(list(_PROBES) * 2, batch_size=4, normalize_embeddings=True, show_progress_bar=False)
        worst = float(np.abs(got - want).max())
        if worst > PARITY_TOLERANCE:
            return f"its vectors differ from torch's by up to {worst:.2g}"
        os.replace(tmp, path)
        return None
    except Exception as exc:  # noqa: BLE001 - any failure means "keep torch", said once by the caller
        return f"{type(exc).__name__}: {exc}"
    finally:
        tmp.unlink(missing_ok=True)


class OnnxEncoder:
    """Texts -> unit vectors with an exported model; also counts word pieces like the model's tokenizer."""

    def __init__(self, model_dir: str | Path, path: str | Path, threads: int | None = None):
        import onnxruntime as ort
        from tokenizers import Tokenizer

        model_dir = Path(model_dir)
        self.max_seq_length = _max_seq_length(model_dir)
        self._embed_tok = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        self._embed_tok.enable_truncation(self.max_seq_length)
        self._embed_tok.enable_padding(pad_id=self._embed_tok.token_to_id("[PAD]") or 0)
        self._count_tok = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        self._count_tok.no_truncation()
        self._count_tok.no_padding()
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads or 0  # 0: one per physical core
        options.inter_op_num_threads = 1
        # Waiting threads sleep instead of spinning: on a busy 2-core machine spinning threads starve each other.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self._session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self.dimensions = int(self._session.get_outputs()[0].shape[-1])  # (batch, tokens, hidden): hidden is fixed

    def encode(self, texts: Sequence[str], batch_size: int = 32):
        """A float32 array of unit vectors, one row per text, in order (batched by length like
        sentence-transformers, so padding stays short)."""
        import numpy as np

        prepared = [str(t) for t in texts]
        order = sorted(range(len(prepared)), key=lambda i: -len(prepared[i]))
        out = np.zeros((len(prepared), self.dimensions), dtype=np.float32)
        for start in range(0, len(order), batch_size):
            rows = order[start:start + batch_size]
            encoded = self._embed_tok.encode_batch([prepared[i] for i in rows])
            ids = np.array([e.ids for e in encoded], dtype=np.int64)
            mask = np.array([e.attention_mask for e in encoded], dtype=np.int64)
            types = np.array([e.type_ids for e in encoded], dtype=np.int64)
            hidden = self._session.run(None, {"input_ids": ids, "attention_mask": mask, "token_type_ids": types})[0]
            weights = mask[..., None].astype(np.float32)
            pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
            pooled /= np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)
            out[rows] = pooled
        return out

    def count_tokens(self, text: str) -> int:
        return len(self._count_tok.encode(text, add_special_tokens=False).ids)

    def token_offsets(self, text: str) -> list[tuple[int, int]]:
        return [(int(s), int(e)) for s, e in self._count_tok.encode(text, add_special_tokens=False).offsets]
