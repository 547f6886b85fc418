"""Random number streams keyed by what they generate, so each chunk is independent of the order chunks are made in."""

from __future__ import annotations

import hashlib

import numpy as np


def chunk_rng(seed: int, *keys: str | int) -> np.random.Generator:
    """A generator seeded from the run's seed and a key such as (provider, setting, quarter).

    Keys are hashed (not Python's salted `hash`) so the stream is the same in every process and on every machine.
    """
    material = [int(seed) & 0xFFFFFFFFFFFFFFFF]
    for key in keys:
        digest = hashlib.sha256(str(key).encode("utf-8")).digest()
        material.append(int.from_bytes(digest[:8], "little"))
    return np.random.default_rng(np.random.SeedSequence(material))
