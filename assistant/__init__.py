"""Citewire's public API: ask your news archive a question, get an answer you can check.

    from assistant import build_assistant
    a = build_assistant(data_dir="data", generator="local")   # or "extractive"
    a.ingest(["article.txt", "corpus.jsonl"])
    ans = a.ask("who proposed the summit")
    ans.text, ans.abstained, ans.citations

Importing this package is cheap: models and stores load on first use.
"""

from index import IngestReport, LoadFailure, SearchFilters

from .assistant import Assistant
from .factory import build_assistant, build_library, ingest_sample_if_empty, make_generator
from .generate import GENERATORS, NOT_FOUND, Generator, GeneratorError
from .retrieve import Retriever
from .settings import Settings, offline_environment
from .types import CITATION_MARKER, Answer, Citation, Claim, Passage

__all__ = [
    "CITATION_MARKER",
    "GENERATORS",
    "NOT_FOUND",
    "Answer",
    "Assistant",
    "Citation",
    "Claim",
    "Generator",
    "GeneratorError",
    "IngestReport",
    "LoadFailure",
    "Passage",
    "Retriever",
    "SearchFilters",
    "Settings",
    "build_assistant",
    "build_library",
    "ingest_sample_if_empty",
    "make_generator",
    "offline_environment",
]
