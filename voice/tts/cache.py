"""Cache of synthesised audio for fixed prompts (greetings, re-prompts, "please wait"): they
are said many times a day and must start instantly. In-memory LRU plus an optional directory
of .npy files that survives restarts."""
from __future__ import annotations

import hashlib
from collections import OrderedDict
from pathlib import Path

import numpy as np

from .base import TTSEngine


class CachedEngine(TTSEngine):
    def __init__(self, inner: TTSEngine, *, max_items: int = 256, directory: str | Path | None = None) -> None:
        self.inner = inner
        self.name = f"cached-{inner.name}"
        self.sample_rate = inner.sample_rate
        self.languages = inner.languages
        self.max_items = max_items
        self.directory = Path(directory) if directory else None
        self._mem: OrderedDict[str, np.ndarray] = OrderedDict()
        self.hits = self.misses = 0

    def engine_for(self, text: str) -> TTSEngine:
        engine = self.inner.engine_for(text)
        return self if engine is self.inner else _CachedView(self, engine)

    def _key(self, engine: TTSEngine, text: str) -> str:
        return hashlib.sha256(f"{engine.name}|{engine.sample_rate}|{text}".encode()).hexdigest()[:32]

    def cached(self, engine: TTSEngine, text: str) -> np.ndarray:
        key = self._key(engine, text)
        if key in self._mem:
            self.hits += 1
            self._mem.move_to_end(key)
            return self._mem[key]
        path = self.directory / f"{key}.npy" if self.directory else None
        if path is not None and path.is_file():
            self.hits += 1
            audio = np.load(path)
        else:
            self.misses += 1
            audio = engine.synthesize(text)
            if path is not None:
                path.parent.mkdir(parents=True, exist_ok=True)
                tmp = path.with_suffix(".tmp.npy")
                np.save(tmp, audio)
                tmp.replace(path)
        self._mem[key] = audio
        while len(self._mem) > self.max_items:
            self._mem.popitem(last=False)
        return audio

    def synthesize(self, text: str) -> np.ndarray:
        return self.cached(self.inner, text)

    def warm(self, prompts: list[str]) -> None:
        for prompt in prompts:
            for _chunk in self.stream(prompt):
                pass


class _CachedView(TTSEngine):
    """The routed sub-engine, seen through the cache."""

    def __init__(self, cache: CachedEngine, engine: TTSEngine) -> None:
        self.cache, self.engine = cache, engine
        self.name, self.sample_rate, self.languages = engine.name, engine.sample_rate, engine.languages

    def synthesize(self, text: str) -> np.ndarray:
        return self.cache.cached(self.engine, text)
