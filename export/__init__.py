"""Checkpoint -> ONNX (dynamic shapes, metadata, verified parity) -> TensorRT engine.

Depends on stylecast.training to rebuild models from checkpoints; nothing depends on it.
"""
