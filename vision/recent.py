"""Customers served recently (configurable window): seeing them again brings no new greeting
and no new staff notice (seed 001). In memory: a restart forgets, which only costs a greeting."""
from __future__ import annotations

import threading


class RecentlyServed:
    def __init__(self, window_s: float = 1800.0) -> None:
        self.window_s = window_s
        self._last: dict[str, float] = {}
        self._lock = threading.Lock()

    def mark(self, customer_id: str, ts: float) -> None:
        with self._lock:
            self._last[customer_id] = ts
            # prune so the dict does not grow for ever
            for cid in [c for c, t in self._last.items() if ts - t > self.window_s]:
                del self._last[cid]

    def is_recent(self, customer_id: str, ts: float) -> bool:
        with self._lock:
            last = self._last.get(customer_id)
        return last is not None and 0 <= ts - last <= self.window_s

    def forget(self, customer_id: str) -> bool:
        """Drop the customer (face data deleted): True if they were remembered."""
        with self._lock:
            return self._last.pop(customer_id, None) is not None
