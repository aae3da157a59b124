"""`tf.train`: object-based checkpoints (`Checkpoint`, `CheckpointManager`, `latest_checkpoint`, ...).

Only imports and aliases; the logic is in checkpoint.py. `tapegrad.train.digits` (the `tapegrad train digits`
trainer) is imported on its own, lazily: it needs the `[train]` extra.
"""

from .checkpoint import (
    Checkpoint,
    CheckpointLoadStatus,
    CheckpointManager,
    CheckpointOptions,
    latest_checkpoint,
    list_variables,
    load_variable,
)

__all__ = ["Checkpoint", "CheckpointLoadStatus", "CheckpointManager", "CheckpointOptions", "latest_checkpoint",
           "list_variables", "load_variable"]
