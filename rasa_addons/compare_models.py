"""`python -m rasa_addons.compare_models MODEL_A MODEL_B TEXT...`: parse and answer the same texts
with two models and print where they differ (intent ranking, entities, FAQ response, next actions).
Used to check that training is reproducible: two trainings of the same data and config.yml must
give the same predictions (exit 1 when they do not)."""
import asyncio
import json
import sys

from rasa_addons.check_fast_load import run


def main() -> int:
    model_a, model_b, texts = sys.argv[1], sys.argv[2], sys.argv[3:]
    a = asyncio.run(run(model_a, texts, fast=False))
    b = asyncio.run(run(model_b, texts, fast=False))
    differences = [{"a": x, "b": y} for x, y in zip(a, b, strict=True) if x != y]
    print(json.dumps({"texts": len(texts), "differences": differences}, ensure_ascii=False, indent=1))
    return 1 if differences else 0


if __name__ == "__main__":
    sys.exit(main())
