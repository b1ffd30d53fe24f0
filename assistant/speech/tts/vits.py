"""A Piper voice model run in stages, so a sentence's sound comes a piece at a time.

A Piper voice is a VITS model in one ONNX graph: phoneme ids -> text encoder and
durations -> a latent of one frame per 256 samples -> the flow -> the HiFi-GAN decoder
-> sound. Run whole, nothing can be played until the whole sentence is made (240 ms for
a 15-word sentence here, 2 cores). But the flow and the decoder, most of that time, are
stacks of convolutions over the frames: the sound of a few frames needs only those
frames and a few neighbours. So the graph is cut where the flow and the decoder begin;
the front runs for the whole sentence -- the intonation and timing are the whole
sentence's, as before -- and the flow and decoder run on pieces that grow (FIRST frames,
then twice as many each time), each with the context either side it needs, which is
made and dropped. The first 0.42 s of sound is ready about 0.1 s after the request
instead of 0.24 s, and the pieces join with no seam. Synthesis as a whole costs more:
0.11 of real time in `scripts/bench speech` (one onnxruntime thread, tts/piper.py), against
0.06 for the whole graph on two threads.

The cuts are made in memory with the onnx package, as Piper itself edits its graphs
(piper/patch_voice_with_alignment.py); nothing is written. A graph without those parts,
as Piper's exporter names them, or a voice of several speakers, is run whole.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

# The parts of the graph that work on frames, in order, as Piper's exporter names their
# nodes, and the frames of context each needs either side of a piece: the flow's four
# coupling layers reach 24 frames (pieces with 24 frames of context match the whole to
# 1e-4), the joe voice's decoder 10 (sample-exact); each has margin.
STAGES = (("/flow/", 32), ("/dec/", 16))
FIRST = 36  # frames in the first piece: 0.42 s of sound at 22050 Hz, which covers what the
# speaker takes at its start (speaker.START_FILL) once the quiet before the voice is cut
MOST = 512  # frames in a piece at most (each run of a stage costs a few ms of its own)


class Model:
    """A voice model's sound for one sentence's inputs (Piper's `input`, `input_lengths`,
    `scales` and, for a voice of several speakers, `sid`), a piece at a time."""

    def __init__(self, path: Path, options: Any) -> None:
        import onnx
        import onnxruntime
        from google.protobuf.message import DecodeError  # onnx reads its files with protobuf

        def session(graph: Any) -> Any:
            return onnxruntime.InferenceSession(graph.SerializeToString(), sess_options=options,
                                                providers=["CPUExecutionProvider"])

        try:
            graph = onnx.load(str(path))
        except DecodeError as err:  # "Wire format was corrupt": say it plainly
            raise ValueError("its file is damaged or incomplete") from err
        try:
            self._front, self._stages = _cut(graph, session)
        except Exception as err:  # a graph exported some other way: made whole, as Piper does
            log.info("the voice %s is made a sentence at a time: %s", path.name, err)
            self._front, self._stages = session(graph), []
        # asked once, not for every piece
        self._made_names = [o.name for o in self._front.get_outputs()]
        self._takes = {i.name for i in self._front.get_inputs()}
        self._latents = [stage.get_inputs()[0].name for stage, _ in self._stages]

    def sound(self, feed: dict[str, np.ndarray]) -> Iterator[np.ndarray]:
        """The sentence's sound (float, -1 to 1) in pieces, each as soon as it is made."""
        names = self._made_names
        taken = {name: value for name, value in feed.items() if name in self._takes}
        made = dict(zip(names, self._front.run(None, taken), strict=True))
        if not self._stages:
            yield made[names[0]].squeeze()
            return
        frames = made[names[0]].shape[-1]
        start, size = 0, FIRST
        while start < frames:
            end = min(frames, start + size)
            yield self._span(len(self._stages), made, start, end, frames).squeeze()
            start, size = end, min(2 * size, MOST)

    def _span(self, count: int, made: dict[str, np.ndarray], start: int, end: int,
              frames: int) -> np.ndarray:
        """What the first `count` stages make of frames `start` to `end`: each is given
        its context either side, and what that context makes is dropped."""
        stage, pad = self._stages[count - 1]
        low, high = max(0, start - pad), min(frames, end + pad)
        if count == 1:
            feed = {name: value[..., low:high] for name, value in made.items()}
        else:
            feed = {self._latents[count - 1]: self._span(count - 1, made, low, high, frames)}
        out = stage.run(None, feed)[0]
        scale = out.shape[-1] // (high - low)  # samples a frame (1 for the flow)
        return out[..., (start - low) * scale:(end - low) * scale]


def _cut(graph: Any, session: Any) -> tuple[Any, list[tuple[Any, int]]]:
    """A session for the sentence-wide front of the graph, and one for each stage with
    the frames of context it needs."""
    import onnx.utils

    inputs = [i.name for i in graph.graph.input]
    if "sid" in inputs:
        raise ValueError("a voice of several speakers")  # its speaker runs through every stage
    cuts = [inputs, *(_taken_by(graph, prefix) for prefix, _ in STAGES),
            [graph.graph.output[0].name]]
    extract = onnx.utils.Extractor(graph)
    made = [session(extract.extract_model(a, b)) for a, b in itertools.pairwise(cuts)]
    return made[0], list(zip(made[1:], (pad for _, pad in STAGES), strict=True))


def _taken_by(graph: Any, prefix: str) -> list[str]:
    """Where the graph is cut before the nodes named `prefix`...: the tensors that depend
    on the graph's inputs (not only on its weights), made before the first such node and
    taken by it or any node after it, in name order."""
    nodes = list(graph.graph.node)  # an ONNX graph lists its nodes in the order they run
    first = next((n for n, node in enumerate(nodes) if node.name.startswith(prefix)), None)
    if first is None:
        raise ValueError(f"it has no part {prefix}")
    live = {i.name for i in graph.graph.input}
    for node in nodes[:first]:
        if live.intersection(node.input):
            live.update(node.output)
    return sorted(live & {name for node in nodes[first:] for name in node.input})
