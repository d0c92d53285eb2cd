"""Store an fp32 ONNX graph's weights in float16 while it keeps computing in float32.

For checkpoints slimmed with `--half` (training/checkpoint.py): their weights are already float16 values, so
storing them as float16 loses nothing and halves the shipped file. Each large weight becomes a float16
initializer followed by a Cast to float32; onnxruntime and TensorRT fold the casts when they load the model, so
inference speed and the computed precision are those of the fp32 model.
"""

from __future__ import annotations

MIN_ELEMENTS = 64  # smaller tensors (scalars, shapes, norm parameters of tiny layers) stay as they are


def store_weights_half(model) -> int:
    """Rewrite `model` (an onnx ModelProto) in place; returns how many initializers now store float16."""
    import numpy as np
    from onnx import TensorProto, helper, numpy_helper

    graph = model.graph
    casts, kept = [], []
    for tensor in graph.initializer:
        values = numpy_helper.to_array(tensor)
        if tensor.data_type != TensorProto.FLOAT or values.size < MIN_ELEMENTS:
            kept.append(tensor)
            continue
        half = values.astype(np.float16)
        if not np.array_equal(half.astype(np.float32), values):
            raise ValueError(f"initializer {tensor.name} is not exactly representable in float16")
        kept.append(numpy_helper.from_array(half, tensor.name + "_fp16"))
        casts.append(helper.make_node("Cast", [tensor.name + "_fp16"], [tensor.name], to=TensorProto.FLOAT,
                                      name=tensor.name + "_to_fp32"))
    del graph.initializer[:]
    graph.initializer.extend(kept)
    nodes = casts + list(graph.node)
    del graph.node[:]
    graph.node.extend(nodes)
    return len(casts)
