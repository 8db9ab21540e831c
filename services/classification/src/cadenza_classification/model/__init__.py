"""The statistical half of reply classification: an intent model trained offline, scored in pure Python.

* :mod:`.intent` - :class:`IntentModel`, the run-time scorer of the shipped ``intent.json``;
* :mod:`.features` - text -> terms (shared by training and run time);
* :mod:`.build_dataset`, :mod:`.dataset` - the labelled set in ``data/`` and its fixed split;
* :mod:`.train`, :mod:`.evaluate`, :mod:`.export_relabels` - the offline commands.
"""

from cadenza_classification.model.intent import ARTIFACT_PATH, IntentModel, default_model

__all__ = ["ARTIFACT_PATH", "IntentModel", "default_model"]
