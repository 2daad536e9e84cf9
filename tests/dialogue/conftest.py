"""Dialogue tests use the shared hall fixture (tests/conftest.py, helpers in tests/hall.py)."""
