"""The TensorRT runner's bookkeeping, on a fake device and context (no GPU here): buffers are allocated once per
input shape, CUDA graphs are captured on the second run at a shape and replayed after, dropped when the shape
changes, and every output is the network's output for that run's input."""

import numpy as np

from stylecast.runtime.tensorrt_backend import MAX_SHAPES, EngineRunner


class FakeDevice:
    """Host arrays standing in for device memory; a captured graph is the work it recorded, replayed at launch."""

    handle = 7

    def __init__(self):
        self.memory, self.allocs, self.frees, self.captures, self.destroyed = {}, 0, 0, 0, 0
        self.capturing = self.replaying = False

    def alloc(self, nbytes):
        self.allocs += 1
        self.memory[self.allocs] = np.zeros(nbytes, np.uint8)
        return self.allocs

    def free(self, pointer):
        self.frees += 1
        del self.memory[pointer]

    def upload(self, pointer, array):
        self.memory[pointer][:array.nbytes] = np.ascontiguousarray(array).view(np.uint8).ravel()

    def download(self, array, pointer):
        array.view(np.uint8).ravel()[:] = self.memory[pointer][:array.nbytes]

    def synchronize(self):
        pass

    def capture(self, work):
        self.captures += 1
        self.capturing = True
        work()  # recorded, not run: the fake context checks the flag
        self.capturing = False
        return work

    def launch(self, graph):
        self.replaying = True
        graph()
        self.replaying = False

    def destroy(self, graph):
        self.destroyed += 1


class FakeContext:
    """A 'network' that inverts a uint8 image, reading and writing the bound device buffers."""

    def __init__(self, device):
        self.device, self.shape, self.addresses, self.executed = device, None, {}, 0

    def set_input_shape(self, name, shape):
        self.shape = shape

    def get_tensor_shape(self, name):
        return self.shape

    def set_tensor_address(self, name, pointer):
        self.addresses[name] = pointer

    def is_stream_capturable(self, stream):
        return stream == FakeDevice.handle

    def execute_async_v3(self, stream):
        if not self.device.capturing:
            self.executed += not self.device.replaying  # direct runs; replays are counted by the runner
            n = int(np.prod(self.shape))
            self.device.memory[self.addresses["out"]][:n] = 255 - self.device.memory[self.addresses["in"]][:n]
        return True


def runner(capture_graphs=True):
    device = FakeDevice()
    context = FakeContext(device)
    return EngineRunner(context, device, "in", "out", np.uint8, capture_graphs), device, context


def frames(shape, count, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.integers(0, 256, shape, dtype=np.uint8) for _ in range(count)]


def test_repeated_shape_allocates_once_and_replays_a_graph_from_the_third_run():
    run, device, context = runner()
    for frame in frames((1, 6, 8, 3), 5):
        assert np.array_equal(run.run(frame), 255 - frame)
    assert device.allocs == 2  # one input and one output buffer for the whole clip
    assert device.captures == 1 and context.executed == 1 and run.graph_launches == 4


def test_shape_change_drops_graphs_and_a_returning_shape_reuses_its_buffers():
    run, device, _ = runner()
    a, b = frames((1, 6, 8, 3), 3, seed=1), frames((1, 4, 4, 3), 3, seed=2)
    for frame in a[:2] + b[:2] + a[2:]:
        assert np.array_equal(run.run(frame), 255 - frame)
    assert device.allocs == 4 and device.captures == 2 and device.destroyed == 2
    assert run.graph_launches == 2  # the second run of each shape; the returning shape starts over


def test_without_graphs_every_run_executes_and_old_shapes_are_freed():
    run, device, context = runner(capture_graphs=False)
    for size in range(MAX_SHAPES + 2):
        frame = frames((1, 2 + size, 3, 3), 1, seed=size)[0]
        assert np.array_equal(run.run(frame), 255 - frame)
    assert device.captures == 0 and context.executed == MAX_SHAPES + 2
    assert device.frees == 4 and len(run.slots) == MAX_SHAPES  # two oldest shapes' buffers freed
    run.close()
    assert device.frees == 2 * (MAX_SHAPES + 2) and not device.memory


def test_engine_load_errors_are_kept_for_the_message():
    """TensorRT reports why an engine does not load (a GPU TensorRT-RTX does not support, a foreign file) only
    through its logger; the backend's logger keeps those lines so the one-line error can name the cause."""
    import pytest

    trt = pytest.importorskip("tensorrt_rtx")
    from stylecast.runtime.tensorrt_backend import recording_logger

    logger = recording_logger(trt)
    assert trt.Runtime(logger).deserialize_cuda_engine(b"not an engine" * 64) is None
    assert logger.errors and "Serialization" in logger.errors[0]
