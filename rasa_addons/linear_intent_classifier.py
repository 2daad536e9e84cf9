"""Rasa's LogisticRegressionClassifier, made safe for blank messages.

The stock classifier raises on a message with no features (empty or whitespace-only text),
which turns /model/parse into a 500 and leaves the customer without an answer. Blank messages
get the `nlu_fallback` intent instead, so the two-stage fallback asks them to rephrase."""
from __future__ import annotations

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.classifiers.logistic_regression_classifier import LogisticRegressionClassifier
from rasa.shared.constants import DEFAULT_NLU_FALLBACK_INTENT_NAME
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY, INTENT_RANKING_KEY, PREDICTED_CONFIDENCE_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class LinearIntentClassifier(LogisticRegressionClassifier):
    def process(self, messages: list[Message]) -> list[Message]:
        blank = [m for m in messages if not (m.get(TEXT) or "").strip()]
        with_text = [m for m in messages if m not in blank]
        if with_text:  # the stock classifier cannot stack an empty batch either
            super().process(with_text)
        for message in blank:
            fallback = {INTENT_NAME_KEY: DEFAULT_NLU_FALLBACK_INTENT_NAME, PREDICTED_CONFIDENCE_KEY: 1.0}
            message.set(INTENT, fallback, add_to_output=True)
            message.set(INTENT_RANKING_KEY, [fallback], add_to_output=True)
        return messages
