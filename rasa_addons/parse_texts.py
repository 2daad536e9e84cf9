"""`python -m rasa_addons.parse_texts MODEL TEXTS.json PARSED.json`: parse each text with the
trained model in this process (no server) and print intent, confidence, entities and the time each
parse took. `hallbot eval --heldout-only` uses it: seconds instead of minutes of cross-validation."""
import asyncio
import json
import sys
import time


async def parse_all(model: str, texts: list[str]) -> list[dict]:
    from rasa.core.agent import Agent

    agent = Agent.load(model)
    results = []
    for text in texts:
        started = time.perf_counter()
        parsed = await agent.parse_message(text)
        elapsed_ms = (time.perf_counter() - started) * 1000
        results.append({
            "text": text,
            "intent": (parsed.get("intent") or {}).get("name"),
            "confidence": float((parsed.get("intent") or {}).get("confidence") or 0.0),
            "entities": [{"entity": e["entity"], "value": str(e.get("value")), "start": e.get("start"), "end": e.get("end")}
                         for e in parsed.get("entities") or []],
            "ms": round(elapsed_ms, 3),
        })
    return results


def main() -> None:
    from rasa_addons import fast_load

    fast_load.install()
    model, texts_path, out_path = sys.argv[1:4]   # files, not stdout: Rasa and TensorFlow print there
    with open(texts_path, encoding="utf-8") as f:
        texts = json.load(f)
    results = asyncio.run(parse_all(model, texts))
    with open(out_path, "w", encoding="utf-8") as f:
        json.dump(results, f, ensure_ascii=False)


if __name__ == "__main__":
    main()
