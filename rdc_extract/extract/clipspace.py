"""Which clip range a projection's depth reached the depth buffer in, from the vertex shader's output (pure).

The captured pipeline state says what clip range the API applied, not what
the game's matrices were built for: a game that builds OpenGL-style matrices
(-1..1) for Vulkan or D3D (0..1) fixes clip space up at the end of its vertex
shaders (`gl_Position.z = (gl_Position.z + gl_Position.w) / 2`, usually with
`gl_Position.y *= -1`); a D3D-style matrix on OpenGL's default -1..1 the other
way round (`z = 2z - w`, SPIRV-Cross's `fixup_clipspace`).

For any point in view space, the projection's rows 2 and 3 give
`z_clip = p·w_clip + q` with `p = P[2, 2] / P[3, 2]`, `q = P[2, 3]`. A vertex
shader that writes `z_out = α·z_clip + β·w_clip` puts its vertices on the
line `z_out = (α·p + β)·w_out + α·q`, whatever the model matrix. Fitting the
output `(z, w)` of a few vertices to each known remap's line tells which one the
shader applied, hence the clip range to decode the matrix's depth with.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rdc_extract.decode.depth import ClipRange, DepthState
from rdc_extract.extract.camera import Blocks, has_rigid_view

#: A remap fits when its line is this close to the vertices, relative to their w (float32 outputs: ~1e-7).
TOLERANCE = 1e-4


@dataclass(frozen=True)
class Remap:
    """`z_out = alpha·z + beta·w` applied by a vertex shader for an API whose clip range is `api`."""

    name: str
    alpha: float
    beta: float
    api: ClipRange
    decoded_as: ClipRange | None  # the range to decode the matrix's depth with; None: a reversal, not modelled


REMAPS = (
    Remap("none", 1.0, 0.0, "zero_to_one", "zero_to_one"),
    Remap("(z + w) / 2, -1..1 onto 0..1", 0.5, 0.5, "zero_to_one", "minus_one_to_one"),
    Remap("w - z, 0..1 reversed", -1.0, 1.0, "zero_to_one", None),
    Remap("(w - z) / 2, -1..1 onto 0..1 reversed", -0.5, 0.5, "zero_to_one", None),
    Remap("none", 1.0, 0.0, "minus_one_to_one", "minus_one_to_one"),
    Remap("2z - w, 0..1 onto -1..1", 2.0, -1.0, "minus_one_to_one", "zero_to_one"),
    Remap("-z, -1..1 reversed", -1.0, 0.0, "minus_one_to_one", None),
    Remap("w - 2z, 0..1 onto -1..1 reversed", -2.0, 1.0, "minus_one_to_one", None),
)


@dataclass(frozen=True)
class ClipFit:
    """What the vertex output says: the remaps whose line fits (exactly one when decided) and the fitted line."""

    fitting: tuple[Remap, ...]
    slope: float
    offset: float
    predicted: dict[str, tuple[float, float]]  # remap name → (slope, offset) the projection predicts
    vertices: int

    @property
    def remap(self) -> Remap | None:
        return self.fitting[0] if len(self.fitting) == 1 else None

    def describe(self) -> str:
        fitted = f"z = {self.slope:.6g}·w {self.offset:+.6g} over {self.vertices} vertices"
        predicted = "; ".join(f"{name}: z = {a:.6g}·w {b:+.6g}" for name, (a, b) in self.predicted.items())
        return f"{fitted} (the projection predicts {predicted})"


def depth_line(proj: np.ndarray) -> tuple[float, float]:
    """`(p, q)` with `z_clip = p·w_clip + q` for every view-space point."""
    p = np.asarray(proj, dtype=np.float64)
    return float(p[2, 2] / p[3, 2]), float(p[2, 3])


def fit_clip_remap(proj: np.ndarray, clip_positions: np.ndarray, api: ClipRange) -> ClipFit | None:
    """Which of the API's known remaps the vertex output `clip_positions` (N×4: x, y, z, w) follows.

    None when the vertices cannot tell: fewer than two with distinct finite w.
    A line fits when the RMS distance of the vertices from it is within
    `TOLERANCE` of their RMS w; vertices whose w barely varies can fit several.
    """
    positions = np.asarray(clip_positions, dtype=np.float64).reshape(-1, 4)
    positions = positions[np.all(np.isfinite(positions), axis=1) & (positions[:, 3] != 0)]
    z, w = positions[:, 2], positions[:, 3]
    if len(w) < 2 or np.ptp(w) <= TOLERANCE * np.abs(w).max():
        return None
    (slope, offset), *_ = np.linalg.lstsq(np.stack([w, np.ones_like(w)], axis=1), z, rcond=None)
    p, q = depth_line(proj)
    scale = float(np.sqrt(np.mean(w * w)))
    candidates = [remap for remap in REMAPS if remap.api == api]
    predicted = {remap.name: (remap.alpha * p + remap.beta, remap.alpha * q) for remap in candidates}

    def fits(remap: Remap) -> bool:
        a, b = predicted[remap.name]
        return bool(np.sqrt(np.mean((z - (a * w + b)) ** 2)) <= TOLERANCE * scale)

    return ClipFit(tuple(remap for remap in candidates if fits(remap)), float(slope), float(offset), predicted, len(w))


@dataclass(frozen=True)
class VertexOutput:
    """The fit of the vertex output at the draw the camera was found at (`fit` None: the vertices could not tell)."""

    event: int
    fit: ClipFit | None

    @property
    def where(self) -> str:
        return f"vertex shader output at event {self.event}"

    @property
    def gl_matrices_on_zero_to_one(self) -> bool:
        """The shader turned a -1..1 (OpenGL-style) matrix's depth into 0..1: its y is OpenGL's too (up), as the
        `y *= -1` that comes with this remap makes it on Vulkan."""
        remap = self.fit.remap if self.fit else None
        return remap is not None and remap.api == "zero_to_one" and remap.decoded_as == "minus_one_to_one"


def wants_clip_positions(blocks: Blocks, state: DepthState | None, *, aspect: float) -> bool:
    """Whether to read the vertex output at a sampled draw: it holds a camera, and its clip range is the API's
    default (a range the game or its driver layer asked for explicitly, as Zink does, is the one its matrices
    were built for)."""
    return (state is not None and state.clip_range is not None and not state.clip_range_asked
            and has_rigid_view({0: blocks}, aspect=aspect))


def vertex_output_at(event: int | None, proj: np.ndarray, clip_positions: dict[int, np.ndarray],
                     api: ClipRange | None) -> VertexOutput | None:
    """The evidence at the camera's draw, None when its vertex output was not read."""
    if event is None or api is None or event not in clip_positions:
        return None
    return VertexOutput(event, fit_clip_remap(proj, clip_positions[event], api))
