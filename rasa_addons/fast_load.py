"""Cut Rasa 3.6's cold start.

Why the stock start is slow: `RasaModel.load` (rasa/utils/tensorflow/models.py) rebuilds each
TensorFlow model (DIET, ResponseSelector, TED) by compiling it and running `fit()` on one
example, only to create the variables before `load_weights` overwrites them. In graph mode
that `fit()` traces and optimises the whole training step (forward + gradients + Adam) with
tf.function: tens of seconds per model on 2 CPU cores, for a graph that is never used again.

The patch runs one eager forward pass with the losses instead (it creates the same model
variables, traces nothing and creates no optimizer state), loads the weights, checks that every
model variable was restored from the checkpoint (else it falls back to Rasa's own load), then
switches the model back to graph mode, where only the much smaller predict step is traced
(once, on the example Rasa passes for warm-up).
"""
from __future__ import annotations

import logging
import time

log = logging.getLogger("hallbot.fast_load")


def install() -> None:
    import tensorflow as tf
    from rasa.utils.tensorflow import models
    from rasa.utils.tensorflow.constants import LEARNING_RATE, RUN_EAGERLY
    from rasa.utils.tensorflow.data_generator import RasaBatchDataGenerator

    original = models.RasaModel.load.__func__

    def load(cls, model_file_name, model_data_example, predict_data_example=None,
             finetune_mode=False, *args, **kwargs):
        if finetune_mode:  # incremental training needs the real training graph
            return original(cls, model_file_name, model_data_example, predict_data_example,
                            finetune_mode, *args, **kwargs)
        config = kwargs.get("config", {})
        started = time.perf_counter()
        model = cls(*args, **kwargs)
        model.compile(optimizer=tf.keras.optimizers.Adam(config.get(LEARNING_RATE, 0.001)), run_eagerly=True)
        batch_in = RasaBatchDataGenerator(model_data_example, batch_size=1)[0][0]
        model._training = True
        model.batch_loss(batch_in)  # eager forward pass + losses: creates every model variable
        model._training = None
        status = model.load_weights(model_file_name)
        try:
            # Every variable the model has must come from the checkpoint; the optimizer's slots
            # (saved from training) are deliberately left out: inference never uses them.
            status.assert_existing_objects_matched()
        except AssertionError:
            log.warning("fast load of %s did not restore every variable; using Rasa's own load", cls.__name__)
            return original(cls, model_file_name, model_data_example, predict_data_example,
                            finetune_mode, *args, **kwargs)
        status.expect_partial()
        built = time.perf_counter()
        model.run_eagerly = bool(config.get(RUN_EAGERLY))  # graph mode again for fast predictions
        if predict_data_example:
            model.run_inference(predict_data_example)  # trace the predict step now, not on turn 1
        log.debug("fast-loaded %s: variables + weights %.1f s, predict trace %.1f s", cls.__name__,
                  built - started, time.perf_counter() - built)
        return model

    models.RasaModel.load = classmethod(load)
