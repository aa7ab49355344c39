"""One contract for every generator backend: `make_generator(name)` gives a Generator that streams a
draft from passages, and whatever it drafts goes through the same verifier.

The remote backends talk to loopback fake servers (tests/test_backends.py) scripted with a good
answer and a refusal; `local` runs the bundled Gemma model (integration)."""

from __future__ import annotations

import pytest

from assistant import NOT_FOUND, Generator, Settings, make_generator
from assistant.ground import ground_answer
from tests.test_backends import _passages, _words, fake_server  # noqa: F401  (fixture)

ANSWER = "French President Emmanuel Macron proposed the summit [1]."
QUESTION = "Who proposed the summit?"
MACRON = "The idea of a summit was proposed by French President Emmanuel Macron."


@pytest.fixture(params=["extractive", "openai", "ollama", pytest.param("local", marks=pytest.mark.integration)])
def backend(request, fake_server, tmp_path):  # noqa: F811
    """(generator, scripted): a fresh backend; scripted backends answer, then refuse."""
    name = request.param
    if name in ("extractive", "local"):
        settings = Settings(data_dir=tmp_path) if name == "local" else Settings()
        return make_generator(name, settings), False
    server = fake_server(_words(ANSWER), [NOT_FOUND])
    if name == "openai":
        return make_generator(f"openai:{server.url}/v1#fake-model", Settings()), True
    return make_generator("ollama:fake-model", Settings(ollama_url=server.url)), True


def test_generator_contract(backend):
    gen, scripted = backend
    assert isinstance(gen, Generator) and isinstance(gen.name, str) and gen.name
    passages = _passages()

    pieces = list(gen.stream(QUESTION, passages, [("user", "Tell me about the summit.")]))
    assert pieces and all(isinstance(p, str) for p in pieces)
    grounded = ground_answer(QUESTION, "".join(pieces), passages)
    if scripted or gen.name == "extractive":
        assert not grounded.abstained
        assert grounded.citations[0].quote == MACRON and "[1]" in grounded.text
    else:  # a real model: whatever it wrote is either verified against a retrieved sentence or withheld
        assert grounded.abstained or {c.quote for c in grounded.citations} <= {p.text for p in passages}

    refusal = "".join(gen.stream("What is the name of Ukraine's president?", passages))
    assert ground_answer("What is the name of Ukraine's president?", refusal, passages).abstained
