"""`python -m rasa_addons.check_fast_load MODEL TEXT...`: load MODEL with Rasa's own loader
and with the fast load, parse the same texts with both, and print the two sets of results as
JSON (intent ranking, entities, response selection, the next action after each message)."""
import asyncio
import json
import sys

import numpy as np


async def run(model: str, texts: list[str], fast: bool) -> list[dict]:
    from rasa.core.agent import Agent

    agent = Agent.load(model)
    results = []
    for i, text in enumerate(texts):
        parsed = await agent.parse_message(text)
        sender = f"{'fast' if fast else 'stock'}-{i}"
        await agent.handle_text(text, sender_id=sender)
        tracker = await agent.tracker_store.retrieve(sender)
        actions = [e.action_name for e in tracker.events if getattr(e, "action_name", None)]
        results.append({
            "text": text,
            "ranking": [(r["name"], round(float(r["confidence"]), 4)) for r in parsed["intent_ranking"][:5]],
            "entities": [(e["entity"], e["value"]) for e in parsed["entities"]],
            "response": parsed.get("response_selector", {}).get("faq", {}).get("response", {}).get("utter_action"),
            "actions": actions,
        })
    return results


def main() -> None:
    model, texts = sys.argv[1], sys.argv[2:]
    stock = asyncio.run(run(model, texts, fast=False))
    from rasa_addons import fast_load

    fast_load.install()
    fast = asyncio.run(run(model, texts, fast=True))
    print(json.dumps({"stock": stock, "fast": fast}, ensure_ascii=False))


if __name__ == "__main__":
    np.set_printoptions(precision=4)
    main()
