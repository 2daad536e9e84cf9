"""Numbers said as words (幺二零幺九七四四零三, 一三八 一二三四 五六七八) reach the NLU as digits.

Why rewrite the text before tokenizing instead of adding entities afterwards: the digit-run
regex features, the n-gram features and DIET's entity tags were all learnt on digits, so the
intent ("户号是..." -> provide_account_number) and which entity a number is (10 digits: account,
11: phone, 18: ID) come out right only when the model sees digits. The normaliser
(identity/spoken_numbers.py, stdlib only, shared with the form validation) keeps a map from
every rewritten character back to what was said, and `SpokenNumberSpans` at the end of the
pipeline puts the customer's text back and moves each entity's start/end onto it, so spans
stay correct for what was said while entity values are the digits the forms need.

Training examples go through the same rewrite (their entity spans moved with it), so
training and prediction see the same text."""
from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import ENTITIES, ENTITY_ATTRIBUTE_END, ENTITY_ATTRIBUTE_START, ENTITY_ATTRIBUTE_VALUE, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from identity.spoken_numbers import Normalized, normalize  # stdlib only: safe inside Rasa's venv

ORIGINAL_TEXT = "text_as_said"      # kept on the message until SpokenNumberSpans restores it
ORIGINS = "text_as_said_origins"


def _span_in_rewritten(result: Normalized, start: int, end: int) -> tuple[int, int]:
    """The span of the rewritten text made from original[start:end] (training annotations)."""
    inside = [i for i, (a, b) in enumerate(result.origins) if a < end and start < b]
    return (inside[0], inside[-1] + 1) if inside else (start, end)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=False)
class SpokenNumberNormalizer(GraphComponent):
    """First in the pipeline: number words and grouped digits become plain digits."""

    @classmethod
    def create(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> SpokenNumberNormalizer:
        return cls()

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        for message in training_data.training_examples:
            text = message.get(TEXT)
            if not text:
                continue
            result = normalize(text)
            if result.text == text:
                continue
            for entity in message.get(ENTITIES) or []:
                old = text[entity[ENTITY_ATTRIBUTE_START]:entity[ENTITY_ATTRIBUTE_END]]
                start, end = _span_in_rewritten(result, entity[ENTITY_ATTRIBUTE_START], entity[ENTITY_ATTRIBUTE_END])
                entity[ENTITY_ATTRIBUTE_START], entity[ENTITY_ATTRIBUTE_END] = start, end
                if entity.get(ENTITY_ATTRIBUTE_VALUE) == old:   # not a synonym: the value is the text
                    entity[ENTITY_ATTRIBUTE_VALUE] = result.text[start:end]
            message.set(TEXT, result.text)
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            text = message.get(TEXT)
            if not text:
                continue
            result = normalize(text)
            if result.text != text:
                message.set(ORIGINAL_TEXT, text)
                message.set(ORIGINS, result.origins)
                message.set(TEXT, result.text)
        return messages


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False)
class SpokenNumberSpans(GraphComponent):
    """Last in the pipeline: the customer's own text back, entity spans moved onto it."""

    @classmethod
    def create(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> SpokenNumberSpans:
        return cls()

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            original = message.get(ORIGINAL_TEXT)
            if original is None:
                continue
            result = Normalized(original, message.get(TEXT), tuple(message.get(ORIGINS)))
            for entity in message.get(ENTITIES) or []:
                if ENTITY_ATTRIBUTE_START in entity and ENTITY_ATTRIBUTE_END in entity:
                    start, end = result.span_in_original(entity[ENTITY_ATTRIBUTE_START], entity[ENTITY_ATTRIBUTE_END])
                    entity[ENTITY_ATTRIBUTE_START], entity[ENTITY_ATTRIBUTE_END] = start, end
            message.set(TEXT, original)
            message.data.pop(ORIGINAL_TEXT, None)
            message.data.pop(ORIGINS, None)
        return messages
