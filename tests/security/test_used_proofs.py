"""A sensor proof is single use across action-server processes: a second worker (or the same
server after a restart) must refuse a proof the first acted on, even when the tracker it is sent
shows no earlier use (the conversation restarted in between). Real stores: SQLite in a temp var
dir, and a real redis-server when the machine has one; the workers are real processes."""
from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from identity.used_proofs import MemoryUsedProofs, SqliteUsedProofs, open_used_proofs

ROOT = Path(__file__).resolve().parents[2]

# One action-server worker: checks a face-recognised event as actions/trust.py does for the face
# action, on a tracker that holds only this use (as after a conversation restart).
WORKER = r"""
import json, sys
from rasa_sdk import Tracker
from actions.trust import proven_sensor_entities, sensor_key
from identity.proof import signed_entities
sender, intent = "kiosk-1-replayed", "EXTERNAL_face_recognized"
entities = json.loads(sys.argv[1]) if len(sys.argv) > 1 else signed_entities(sensor_key(), sender, intent, {"customer_id": "C000001"})
message = {"intent": {"name": intent}, "entities": [{"entity": k, "value": v} for k, v in entities.items()]}
tracker = Tracker(sender, {}, message, [{"event": "user", "parse_data": message}], False, None, None, "action_listen")
print(json.dumps({"entities": entities, "accepted": proven_sensor_entities(tracker, intent) is not None}))
"""


def worker(var_dir: Path, store: str, entities: dict | None = None) -> dict:
    env = {**os.environ, "HALLBOT_VAR_DIR": str(var_dir), "HALLBOT_PROOF_STORE": store}
    args = [sys.executable, "-c", WORKER] + ([json.dumps(entities)] if entities else [])
    run = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-2000:]
    return json.loads(run.stdout.strip().splitlines()[-1])


def test_a_second_worker_refuses_a_proof_the_first_used(tmp_path):
    first = worker(tmp_path, "")                        # default: SQLite in the var dir
    assert first["accepted"]
    assert not worker(tmp_path, "", first["entities"])["accepted"], "replayed on the second worker"
    assert (tmp_path / "used_proofs.sqlite").exists()


def test_with_a_per_process_store_the_replay_passes(tmp_path):
    """Why the store is shared: in one process's memory the second worker knew nothing."""
    first = worker(tmp_path, "memory")
    assert first["accepted"] and worker(tmp_path, "memory", first["entities"])["accepted"]


def test_sqlite_store_is_shared_by_connections_and_forgets_after_the_ttl(tmp_path):
    a, b = SqliteUsedProofs(tmp_path / "p.sqlite"), SqliteUsedProofs(tmp_path / "p.sqlite")
    try:
        assert a.first_use("proof-1", 60, now=1000.0)
        assert not b.first_use("proof-1", 60, now=1010.0) and not a.first_use("proof-1", 60, now=1059.0)
        assert b.first_use("proof-2", 60, now=1010.0)
        assert a.first_use("proof-1", 60, now=1061.0), "expired: the proof's age check refuses it anyway"
    finally:
        a.close()
        b.close()


def test_memory_store_and_the_setting():
    m = MemoryUsedProofs()
    assert m.first_use("p", 10, now=0.0) and not m.first_use("p", 10, now=5.0) and m.first_use("p", 10, now=11.0)
    assert isinstance(open_used_proofs("memory", Path("/nonexistent")), MemoryUsedProofs)
    with pytest.raises(ValueError, match="HALLBOT_PROOF_STORE"):
        open_used_proofs("postgres://x", Path("/nonexistent"))


@pytest.fixture
def redis_url(tmp_path):
    server = shutil.which("redis-server")
    if not server:
        pytest.skip("no redis-server on this machine")
    pytest.importorskip("redis")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    proc = subprocess.Popen([server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                             "--dir", str(tmp_path)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.terminate()
        proc.wait(10)


def test_workers_sharing_redis_refuse_the_replay(tmp_path, redis_url):
    first = worker(tmp_path / "robot-1", redis_url)     # two machines: separate var dirs, one Redis
    (tmp_path / "robot-2").mkdir()
    shutil.copy(tmp_path / "robot-1" / "sensor.key", tmp_path / "robot-2" / "sensor.key")
    assert first["accepted"]
    assert not worker(tmp_path / "robot-2", redis_url, first["entities"])["accepted"]
    store = open_used_proofs(redis_url, tmp_path)
    assert store.first_use("short", 0.2) and not store.first_use("short", 0.2)
    time.sleep(0.4)
    assert store.first_use("short", 0.2), "the key expires in Redis"
