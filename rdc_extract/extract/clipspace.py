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


def y_sign_of_shader(clip_from_model: np.ndarray, inputs: dict[str, np.ndarray], clip_positions: np.ndarray) -> int | None:
    """+1 when the vertex shader wrote the matrix's y as it is, -1 when it negated it (`y *= -1`), None when no
    vertex attribute is the position the matrix was applied to (skinning, packed or non-float positions).

    An attribute is the position when the matrix maps it onto the written x and
    w; the written y then equals the matrix's y or its negative.
    """
    positions = np.asarray(clip_positions, dtype=np.float64)
    scale = float(np.sqrt(np.mean(positions[:, 3] ** 2)))

    def close(a: np.ndarray, b: np.ndarray) -> bool:
        return bool(np.sqrt(np.mean((a - b) ** 2)) <= TOLERANCE * scale)

    for values in inputs.values():
        if len(values) != len(positions) or not np.all(np.isfinite(values)):
            continue
        points = np.column_stack([values[:, :3], np.ones(len(values))]) if values.shape[1] == 3 else values
        predicted = points @ np.asarray(clip_from_model, dtype=np.float64).T
        if not (close(predicted[:, 0], positions[:, 0]) and close(predicted[:, 3], positions[:, 3])):
            continue
        signs = [sign for sign in (1, -1) if close(sign * predicted[:, 1], positions[:, 1])]
        if len(signs) == 1:
            return signs[0]
    return None


@dataclass(frozen=True)
class VertexOutput:
    """What the vertex output at the draw the camera was found at shows: the clip-range fit (None: the vertices
    could not tell) and whether the shader negated the matrix's y (None: not checked)."""

    event: int
    fit: ClipFit | None
    y_sign: int | None = None

    @property
    def where(self) -> str:
        return f"vertex shader output at event {self.event}"

    @property
    def gl_matrices_on_zero_to_one(self) -> bool:
        """The shader turned a -1..1 (OpenGL-style) matrix's depth into 0..1."""
        remap = self.fit.remap if self.fit else None
        return remap is not None and remap.api == "zero_to_one" and remap.decoded_as == "minus_one_to_one"

    def matrix_ndc_y_up(self, output_y_up: bool) -> tuple[bool, str] | None:
        """Whether the matrix's NDC +y is the image's top row, and why, given the written y's direction (the
        captured viewport's); None when the output says nothing about it.

        Checked on the draw's own vertex positions when one of its attributes
        is the position; else inferred as OpenGL's (up) from a -1..1 → 0..1
        depth remap, which comes with `y *= -1` in practice.
        """
        if self.y_sign is not None:
            kept = self.y_sign > 0
            return (output_y_up if kept else not output_y_up,
                    f"{self.where}: the shader {'kept' if kept else 'negated'} the matrix's y (checked on the "
                    "draw's vertex positions)")
        if self.gl_matrices_on_zero_to_one:
            return True, (f"inferred: the {self.where} remaps OpenGL-style depth (-1..1) onto 0..1, so its matrices "
                          "are OpenGL's, y up (y itself not checked)")
        return None


def wants_clip_positions(blocks: Blocks, state: DepthState | None, *, aspect: float) -> bool:
    """Whether to read the vertex output at a sampled draw: it holds a camera, and its clip range is the API's
    default (a range the game or its driver layer asked for explicitly, as Zink does, is the one its matrices
    were built for)."""
    return (state is not None and state.clip_range is not None and not state.clip_range_asked
            and has_rigid_view({0: blocks}, aspect=aspect))


def vertex_output_at(event: int | None, clip_from_model: np.ndarray, proj: np.ndarray,
                     clip_positions: dict[int, np.ndarray], inputs: dict[int, dict[str, np.ndarray]],
                     api: ClipRange | None) -> VertexOutput | None:
    """The evidence at the camera's draw (`clip_from_model`: the matrix split there), None when its vertex output
    was not read."""
    if event is None or api is None or event not in clip_positions:
        return None
    positions = clip_positions[event]
    return VertexOutput(event, fit_clip_remap(proj, positions, api),
                        y_sign_of_shader(clip_from_model, inputs.get(event, {}), positions))
