"""Training: `Trainer` (compile/fit/evaluate/predict), data batching and the progress bar."""

from __future__ import annotations
