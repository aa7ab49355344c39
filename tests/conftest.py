"""Shared fixtures: fakes for the seams, a temp data dir, and a network guard.

Tests never touch the network: any socket connection to a non-loopback address
fails the test. Loopback servers that tests start themselves are allowed.
"""

from __future__ import annotations

import ipaddress
import os
import socket
from pathlib import Path

import pytest

from assistant import offline_environment
from tests.fakes import FakeEmbedder

offline_environment()  # as every entry point does

SAMPLE = Path(__file__).resolve().parent.parent / "index" / "sample" / "kyodo-2022-02-21-biden-putin-summit.txt"

_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex


def _is_local(address) -> bool:
    if not isinstance(address, tuple):
        return True  # AF_UNIX paths
    host = str(address[0])
    if host in ("localhost", ""):
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False


def _guarded_connect(self, address):
    if not _is_local(address):
        raise RuntimeError(f"test tried to reach the network: {address!r}")
    return _real_connect(self, address)


def _guarded_connect_ex(self, address):
    if not _is_local(address):
        raise RuntimeError(f"test tried to reach the network: {address!r}")
    return _real_connect_ex(self, address)


socket.socket.connect = _guarded_connect
socket.socket.connect_ex = _guarded_connect_ex


@pytest.fixture
def sample_path() -> Path:
    return SAMPLE


@pytest.fixture
def sample_text() -> str:
    return SAMPLE.read_text(encoding="utf-8")


@pytest.fixture
def fake_embedder() -> FakeEmbedder:
    return FakeEmbedder()


@pytest.fixture
def make_assistant(tmp_path, fake_embedder):
    """Build an Assistant over a temp index with the fake embedder and a given generator."""
    from assistant import build_assistant

    def _make(generator="extractive", data_dir=None, **overrides):
        return build_assistant(data_dir=data_dir or tmp_path / "data", generator=generator, embedder=fake_embedder,
                               **overrides)

    return _make
