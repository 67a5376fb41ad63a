"""The split stage: training rows split into train/test by whole clients (stratified on the target); the scoring snapshot."""

from medcost.split.parts import PartPaths, PartSizes, split_published
from medcost.split.split import (
    MIN_PER_BIN,
    SMALL_DATA_SHARE,
    required_rows,
    split_train_test,
    target_strata,
    training_and_scoring,
)

__all__ = [
    "MIN_PER_BIN",
    "SMALL_DATA_SHARE",
    "PartPaths",
    "PartSizes",
    "required_rows",
    "split_published",
    "split_train_test",
    "target_strata",
    "training_and_scoring",
]
