"""Configuration, with every default named in one place.

`Settings` is frozen; build one with keyword overrides (unknown keys are
rejected) or, at an entry point only, `Settings.from_env()`. Library code takes
a Settings argument and never reads the environment itself.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

__all__ = ["Settings", "DEFAULT_SETTINGS", "ENV_PREFIX", "OFFLINE_ENVIRONMENT", "offline_environment", "setting_value"]

ENV_PREFIX = "CITEWIRE_"
# Set by every entry point (CLI, UI, eval) before anything loads: weights come from installed packages,
# so a model hub lookup or a telemetry call would be a bug or a network call.
OFFLINE_ENVIRONMENT = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "HF_HUB_DISABLE_PROGRESS_BARS": "1",
    "ANONYMIZED_TELEMETRY": "False",
    "GRADIO_ANALYTICS_ENABLED": "False",
    "TOKENIZERS_PARALLELISM": "false",
}


def offline_environment() -> None:
    """Never reach a model hub or telemetry endpoint, whatever the caller set up (entry points only)."""
    for key, value in OFFLINE_ENVIRONMENT.items():
        os.environ.setdefault(key, value)


@dataclass(frozen=True)
class Settings:
    data_dir: Path = Path("data")
    generator: str = "local"  # "local" (Gemma 3 270M via llama.cpp) or "extractive"
    chroma_url: str | None = None  # e.g. http://127.0.0.1:8000 for a Chroma server
    model_cache_dir: Path | None = None  # where the GGUF is assembled; default data_dir/models
    top_k: int = 6  # passages retrieved per question (with per_article, chosen on realtimeqa-train: README)
    context_passages: int = 3  # passages shown to an LLM generator
    chunk_tokens: int = 200  # word pieces per chunk, title included (model window: 256)
    max_new_tokens: int = 80
    llm_threads: int | None = None  # default: all cores
    min_support: float = 0.6  # share of a claim's content words its cited sentence must contain
    # How much a cited sentence must be about the question (relevance.py's score), without the ranker.
    min_relevance: float = 0.48
    semantic_relevance: bool = True  # blend embedding similarity into relevance and support (else words only)
    # Pick and gate answer sentences with the learned ranker (assistant/models/ranker.json, fitted on
    # realtimeqa-train by `python -m eval.fit`), lead with a phrase of the asked kind, and have the local
    # model answer with such a phrase (README, "The learned ranker"). False: relevance.py's score alone.
    answer_ranker: bool = True
    # With the ranker, answer only when relevance.py's best sentence reaches a bar too: the two must agree
    # that the articles answer (the gold set's near-miss questions). The bar is fitted with the ranker on
    # realtimeqa-train (ranker.json's relevance_bar, `python -m eval.fit`); relevance_bar overrides it.
    relevance_gate: bool = True
    relevance_bar: float | None = None
    tag_top: int = 12  # sentences per question the ranker tags with spaCy (the best by a cheap score)
    second_sentence_within: float = 0.1  # extractive: add the runner-up sentence when it scores this close
    extractive_fallback: bool = True  # quote the best sentence when an LLM draft fails verification
    # Retrieval (chosen on the realtimeqa dev set with `python -m eval`, except time_boost and per_article):
    hybrid: bool = True  # fuse BM25 with dense retrieval (reciprocal rank fusion)
    keyword_weight: float = 1.0  # BM25's weight in the fusion (dense is 1.0)
    candidates: int = 30  # passages each retriever contributes before fusion
    rrf_k: int = 60  # reciprocal rank fusion: a passage at rank r scores weight / (rrf_k + r)
    per_article: int = 3  # at most this many of the top_k passages from one article
    # In-window passages score (1 + this) times more ("this week", recency). Fitted on realtimeqa-train's whole
    # corpus (13,493 articles, all 830 questions) by `python -m eval.fit --retrieval --archive DIR`: 1.0 has the
    # best article hit@1, 0.608 (0.592 at 0.5, 0.602 at 1.5; eval/README.md).
    time_boost: float = 1.0
    recency_days: int = 10  # with no time phrase, prefer articles this recent (as of the question date); 0: off
    rewrite_followups: bool = True  # rewrite a follow-up into a standalone question before retrieval
    # Chat backends ("ollama:<model>", "openai:<base_url>#<model>"):
    ollama_url: str = "http://127.0.0.1:11434"  # the Ollama server for "ollama:<model>"
    # from_env also reads $OPENAI_API_KEY; None sends "not-needed" (local servers). Kept out of repr().
    openai_api_key: str | None = dataclasses.field(default=None, repr=False)
    request_timeout_s: float = 60.0  # per request to a chat backend; a slow CPU server needs a generous one
    llm_max_retries: int = 1  # client retries on a dropped connection (0: fail at once)
    llm_context_window: int = 4096  # tokens: llama.cpp's n_ctx, Ollama's num_ctx, llama-index metadata for the others
    chat_history_turns: int = 4  # earlier messages (user + assistant) a chat model sees
    max_prompt_chars: int = 12000  # cap on a chat prompt (about 3000 tokens); excerpts are dropped to fit
    # Serving (ui/server.py, ui/gate.py): questions wait in one line for the model, shared by the page and the API.
    parallel_answers: int = 4  # questions answered at once by a thread-safe generator (local: always 1)
    queue_limit: int = 24  # questions that may wait for the model; one more is refused (HTTP 503, Retry-After)

    def __post_init__(self):
        object.__setattr__(self, "data_dir", Path(self.data_dir))
        if self.model_cache_dir is not None:
            object.__setattr__(self, "model_cache_dir", Path(self.model_cache_dir))
        if not 16 <= self.chunk_tokens <= 254:
            raise ValueError("chunk_tokens must be between 16 and 254 (the embedder reads 256 word pieces)")
        if self.top_k < 1 or self.context_passages < 1 or self.per_article < 1:
            raise ValueError("top_k, context_passages and per_article must be at least 1")

    @property
    def models_dir(self) -> Path:
        return self.model_cache_dir or self.data_dir / "models"

    @property
    def archive_key(self) -> str:
        """Which archive these settings open (data dir and Chroma server), as a short opaque key: a running
        server reports it so a CLI knows whether that server answers from the same archive."""
        import hashlib

        where = f"{self.data_dir.resolve()}|{self.chroma_url or ''}"
        return hashlib.sha256(where.encode()).hexdigest()[:16]

    def replace(self, **changes) -> "Settings":
        """A copy with `changes`; an unknown key raises ValueError naming it."""
        known = {f.name for f in dataclasses.fields(self)}
        unknown = sorted(set(changes) - known)
        if unknown:
            raise ValueError(f"unknown setting(s): {', '.join(unknown)}; known: {', '.join(sorted(known))}")
        return dataclasses.replace(self, **changes)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides) -> "Settings":
        """Defaults, then CITEWIRE_* variables (e.g. CITEWIRE_DATA_DIR), then `overrides`.

        The OpenAI-compatible key also falls back to $OPENAI_API_KEY, as OpenAI's own clients do."""
        env = os.environ if env is None else env
        changes: dict = {}
        if env.get("OPENAI_API_KEY"):
            changes["openai_api_key"] = env["OPENAI_API_KEY"]
        for f in dataclasses.fields(cls):
            raw = env.get(ENV_PREFIX + f.name.upper())
            if raw is None or raw == "":
                continue
            try:
                changes[f.name] = setting_value(f.name, raw)
            except ValueError as e:
                raise ValueError(f"{ENV_PREFIX}{f.name.upper()}: {e}") from None
        changes.update({k: v for k, v in overrides.items() if v is not None})
        return DEFAULT_SETTINGS.replace(**changes)


DEFAULT_SETTINGS = Settings()
_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")
_NONE = ("none", "null")


def setting_value(key: str, raw: str):
    """`raw` (an environment variable, a `--set key=value`) as the type of Settings field `key`: its
    default's type, or for an optional field its annotation ("none" gives None there). ValueError names
    an unknown key or a value of the wrong type."""
    fields = {f.name: f for f in dataclasses.fields(Settings)}
    if key not in fields:
        raise ValueError(f"unknown setting {key!r}; known: {', '.join(sorted(fields))}")
    f = fields[key]
    raw = raw.strip()
    default = f.default if f.default is not dataclasses.MISSING else None
    annotation = f.type if isinstance(f.type, str) else getattr(f.type, "__name__", str(f.type))
    if default is None and raw.lower() in _NONE and "None" in annotation:
        return None
    kind = type(default) if default is not None else None
    if kind is None:  # an optional field whose default is None: read the annotation
        kind = next((t for name, t in (("int", int), ("float", float), ("bool", bool), ("Path", Path))
                     if name in annotation), str)
    try:
        if kind is bool:
            if raw.lower() not in _TRUE + _FALSE:
                raise ValueError
            return raw.lower() in _TRUE
        if issubclass(kind, Path):
            return Path(raw)
        return kind(raw)
    except ValueError:
        raise ValueError(f"setting {key}: {raw!r} is not a valid {kind.__name__}") from None
