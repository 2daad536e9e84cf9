"""The scale-out path for real: PostgreSQL tracker store, Redis lock store, RabbitMQ event broker."""
from __future__ import annotations

import json
import subprocess
import uuid

import psycopg
import pytest
from cryptography.fernet import Fernet

from identity import keys
from tests.hall import conversation_for, seed_business, start_hall

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
TRACKER_DB = f"hallbot_test_tracker_{uuid.uuid4().hex[:8]}"  # one per run: parallel suites never share it
REDIS_DB = 3

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.rasa]


def redis_command(*args: str) -> str:
    return subprocess.run(["redis-cli", "-n", str(REDIS_DB), *args], capture_output=True, text=True,
                          check=True, timeout=10).stdout


def lock_commands_processed() -> int:
    """How many SET commands Redis has run (Rasa's lock store takes a lock per message)."""
    for line in redis_command("INFO", "commandstats").splitlines():
        if line.startswith("cmdstat_set:"):
            return int(line.split("calls=")[1].split(",")[0])
    return 0


@pytest.fixture(scope="module")
def scaled_hall(trained_model, tmp_path_factory):
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {TRACKER_DB}")
    var_dir = tmp_path_factory.mktemp("scaled-var")
    with pytest.MonkeyPatch.context() as mp:
        seed_business(var_dir, mp)
        supervisor, settings = start_hall(
            var_dir, tracker_db=f"postgresql://postgres@127.0.0.1:5432/{TRACKER_DB}",
            lock_store=f"redis://127.0.0.1:6379/{REDIS_DB}", event_broker="amqp://guest:guest@127.0.0.1:5672")
    try:
        yield supervisor, settings
    finally:
        supervisor.stop()
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {TRACKER_DB}")


def test_conversation_state_lives_in_postgresql_and_locks_in_redis(scaled_hall):
    _, settings = scaled_hall
    sets_before = lock_commands_processed()
    conversation = conversation_for(settings)
    conversation.event("EXTERNAL_face_recognized", customer_id="C000002")
    reply = conversation.say("我想查一下电费")
    assert "3100000002" in reply.text
    assert lock_commands_processed() > sets_before, "Rasa took its conversation locks in Redis"
    with psycopg.connect(f"postgresql://postgres@127.0.0.1:5432/{TRACKER_DB}") as conn:
        rows = conn.execute("SELECT type_name, data FROM events WHERE sender_id = %s ORDER BY id",
                            (conversation.sender,)).fetchall()
    kinds = [kind for kind, _ in rows]
    assert "user" in kinds and "bot" in kinds
    assert not any("C000002" in data or "电费" in data for _, data in rows), "events are encrypted at rest"
    fernet = Fernet(keys.fernet_key(keys.secret(keys.TRACKER_KEY, settings.var_dir)))
    events = [(kind, json.loads(fernet.decrypt(data.encode()))) for kind, data in rows]
    slots = {event["name"]: event["value"] for kind, event in events if kind == "slot"}
    assert slots["customer_id"] == "C000002" and slots["identified"] is True


# Read the queue as a consumer would (aio-pika lives in Rasa's venv, which the app's does not need).
DRAIN = """
import asyncio, json, aio_pika
async def main():
    connection = await aio_pika.connect_robust("amqp://guest:guest@127.0.0.1:5672/")
    channel = await connection.channel()
    queue = await channel.declare_queue("hallbot_events", durable=True)
    bodies = []
    while (message := await queue.get(no_ack=True, fail=False)) is not None:
        bodies.append(message.body.decode())
    await connection.close()
    print(json.dumps(bodies))
asyncio.run(main())
"""


def test_events_are_published_to_rabbitmq_encrypted(scaled_hall):
    """The broker's messages carry event type and sender in clear, the event itself encrypted with the
    tracker key: no customer text, ID number or customer id readable on the queue."""
    _, settings = scaled_hall
    conversation = conversation_for(settings)
    conversation.event("EXTERNAL_face_recognized", customer_id="C000002")
    conversation.say("我想查一下电费")
    queues = subprocess.run(["rabbitmqctl", "-q", "list_queues", "name", "messages"], capture_output=True,
                            text=True, timeout=60).stdout
    counts = dict(line.split() for line in queues.splitlines() if line.strip() and len(line.split()) == 2)
    assert int(counts.get("hallbot_events", 0)) > 0
    drained = subprocess.run([str(settings.rasa_python), "-c", DRAIN], capture_output=True, text=True, timeout=120,
                             check=True).stdout
    mine = [json.loads(b) for b in json.loads(drained) if conversation.sender in b]
    assert mine, "this conversation's events reached the queue"
    assert not any("电费" in json.dumps(m, ensure_ascii=False) or "C000002" in json.dumps(m) for m in mine)
    assert {m["event"] for m in mine} >= {"user", "bot", "slot"}
    fernet = Fernet(keys.fernet_key(keys.secret(keys.TRACKER_KEY, settings.var_dir)))
    events = [json.loads(fernet.decrypt(m["encrypted"].encode())) for m in mine]
    assert any(e["event"] == "user" and e.get("text") == "我想查一下电费" for e in events)
    assert any(e["event"] == "slot" and e.get("name") == "customer_id" and e.get("value") == "C000002" for e in events)


def test_conversation_survives_a_rasa_restart(scaled_hall):
    """Trackers live in PostgreSQL: after Rasa restarts, the customer is still identified."""
    supervisor, settings = scaled_hall
    conversation = conversation_for(settings)
    conversation.event("EXTERNAL_face_recognized", customer_id="C000002")
    supervisor.restart("rasa")
    reply = conversation.say("我想查一下电费")
    assert "3100000002" in reply.text and "身份" not in reply.text
