"""Login attempts per staff id and per client address, counted *before* the password is checked
(a parallel burst gets only `free_attempts` checks), with an exponential back-off that expires:
after `free_attempts` failures a key waits base_s, then 2x, 4x, ... up to max_s per further failure.
A success or a supervisor's unlock clears it; a quiet key is forgotten after forget_s."""
from __future__ import annotations

import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass


@dataclass
class _Entry:
    failures: int = 0
    in_flight: int = 0         # attempts counted but not yet decided (their password is being checked)
    blocked_until: float = 0.0
    last: float = 0.0


class LoginLimiter:
    def __init__(self, free_attempts: int = 5, base_s: float = 30.0, max_s: float = 900.0,
                 forget_s: float = 3600.0, clock: Callable[[], float] = time.monotonic,
                 max_keys: int = 10000) -> None:
        self.free_attempts, self.base_s, self.max_s, self.forget_s = free_attempts, base_s, max_s, forget_s
        self.clock, self.max_keys = clock, max_keys
        self._entries: dict[Hashable, _Entry] = {}

    def _entry(self, key: Hashable, now: float) -> _Entry:
        entry = self._entries.get(key)
        if entry is None or (not entry.in_flight and now - entry.last > self.forget_s
                             and now >= entry.blocked_until):
            entry = self._entries[key] = _Entry(last=now)
        return entry

    def _wait(self, entry: _Entry, now: float) -> float:
        if now < entry.blocked_until:
            return entry.blocked_until - now
        if entry.failures + entry.in_flight < self.free_attempts:
            return 0.0
        if entry.failures >= self.free_attempts and entry.in_flight == 0:
            return 0.0             # the back-off is over: one more try
        return self.base_s         # the free attempts are all being checked right now

    def acquire(self, *keys: Hashable) -> int:
        """0: the attempt is counted for every key, check the password and call failed() or
        succeeded() with the same keys. Else the seconds to wait (nothing counted)."""
        now = self.clock()
        entries = [self._entry(k, now) for k in keys]
        wait = max((self._wait(e, now) for e in entries), default=0.0)
        if wait > 0:
            return max(1, int(wait + 0.999))
        for entry in entries:
            entry.in_flight += 1
            entry.last = now
        self._prune(now)
        return 0

    def failed(self, *keys: Hashable) -> None:
        now = self.clock()
        for key in keys:
            entry = self._entry(key, now)
            entry.in_flight = max(0, entry.in_flight - 1)
            entry.failures += 1
            entry.last = now
            if entry.failures >= self.free_attempts:
                backoff = self.base_s * 2 ** min(entry.failures - self.free_attempts, 30)
                entry.blocked_until = max(entry.blocked_until, now + min(self.max_s, backoff))

    def release(self, *keys: Hashable) -> None:
        """The check could not be made (an error): the attempt counts neither way."""
        for key in keys:
            if entry := self._entries.get(key):
                entry.in_flight = max(0, entry.in_flight - 1)

    def succeeded(self, *keys: Hashable) -> None:
        for key in keys:
            self._entries.pop(key, None)

    def unlock(self, key: Hashable) -> bool:
        """A supervisor lifts the back-off of `key`; True if it was waiting."""
        entry = self._entries.pop(key, None)
        return bool(entry and (entry.blocked_until > self.clock() or entry.failures >= self.free_attempts))

    def _prune(self, now: float) -> None:
        if len(self._entries) <= self.max_keys:   # bounded memory: forget the quiet keys first
            return
        for key in [k for k, e in self._entries.items()
                    if not e.in_flight and now >= e.blocked_until and now - e.last > 60]:
            del self._entries[key]
