"""Citewire's public API: ask your news archive a question, get an answer you can check.

    from assistant import build_assistant
    a = build_assistant(data_dir="data", generator="local")   # or "extractive"
    a.ingest(["article.txt", "corpus.jsonl"])
    ans = a.ask("who proposed the summit")
    ans.text, ans.abstained, ans.citations

Importing this package is cheap: models and stores load on first use.
"""

from index import IngestReport, LoadFailure

from .assistant import Assistant
from .filters import SearchFilters
from .factory import build_assistant, ingest_sample_if_empty, make_generator
from .generate import GENERATORS, Generator
from .retrieve import Retriever
from .settings import Settings
from .types import Answer, Citation, Claim, Passage

__all__ = [
    "GENERATORS",
    "Answer",
    "Assistant",
    "Citation",
    "Claim",
    "Generator",
    "IngestReport",
    "LoadFailure",
    "Passage",
    "Retriever",
    "SearchFilters",
    "Settings",
    "build_assistant",
    "ingest_sample_if_empty",
    "make_generator",
]
