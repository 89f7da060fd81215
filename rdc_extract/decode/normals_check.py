"""Check decoded G-buffer normals against the depth buffer, and choose an encoding when nothing names one.

Depth gives the surface's shape, so it gives its normals too (up to detail
such as normal maps). A decode that is right agrees with them on most pixels;
a wrong encoding or space (e.g. spheremap data read as octahedral) does not,
or yields non-unit or back-facing vectors. All of this is evaluated on a
sparse pixel grid: agreement is a statistic, and full-resolution decoding is
left to the one encoding that is kept.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from rdc_extract.decode.channels import dot_pixels, fill_pixels
from rdc_extract.decode.normals import (
    ENCODINGS,
    UNIT_LENGTH_ENCODINGS,
    VIEW_ONLY_ENCODINGS,
    channels_needed,
    decode_vectors,
    normalize,
    to_camera_rotation,
)

SPACES = ("view", "world")
#: A pixel's depth normal is kept only where its smaller neighbour step changes depth by at most this fraction.
MAX_RELATIVE_DEPTH_STEP = 0.1
#: A decode is trusted when at least this fraction of checked pixels is within 30° of the depth normals …
MIN_WITHIN_30DEG = 0.5
#: … at most this fraction faces away from the camera …
MAX_BACK_FACING = 0.5
#: … and (for encodings whose valid codes are unit vectors) at least this fraction has |length - 1| ≤ 0.1.
MIN_UNIT_LENGTH = 0.5
#: The profile's encoding is contradicted by another whose mean angle to the depth normals is this much smaller.
CLEARLY_BETTER_DEG = 1.0
#: Candidates whose mean angles differ by less than this decode alike.
TIE_DEG = 0.1
#: Fewer checked pixels than this cannot verify anything.
MIN_PIXELS = 200
#: The checking grid has about this many pixels, whatever the resolution.
GRID_PIXELS = 6000
_COS_30 = float(np.cos(np.radians(30.0)))


@dataclass(frozen=True)
class Agreement:
    """How one decode compares with the depth-derived normals on the checked pixels."""

    pixels: int
    mean_angle_deg: float
    median_angle_deg: float
    within_30deg: float
    back_facing: float
    unit_length: float | None  # None for encodings whose decode is not unit length by construction

    @property
    def problems(self) -> list[str]:
        """Why this decode is not trusted (empty when it is)."""
        found = []
        if self.pixels < MIN_PIXELS:
            found.append(f"only {self.pixels} pixels with usable depth to check against")
            return found
        if self.within_30deg < MIN_WITHIN_30DEG:
            found.append(f"only {self.within_30deg:.0%} of pixels within 30° of the depth normals "
                         f"(median {self.median_angle_deg:.0f}°)")
        if self.back_facing > MAX_BACK_FACING:
            found.append(f"{self.back_facing:.0%} face away from the camera")
        if self.unit_length is not None and self.unit_length < MIN_UNIT_LENGTH:
            found.append(f"only {self.unit_length:.0%} decode to unit length")
        return found

    @property
    def verified(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        return f"mean {self.mean_angle_deg:.1f}°, median {self.median_angle_deg:.1f}°, {self.within_30deg:.0%} within 30°"

    def to_json(self) -> dict[str, float | int | None]:
        return {
            "pixels": self.pixels,
            "mean_angle_deg": round(self.mean_angle_deg, 2),
            "median_angle_deg": round(self.median_angle_deg, 2),
            "within_30deg": round(self.within_30deg, 4),
            "back_facing": round(self.back_facing, 4),
            "unit_length": None if self.unit_length is None else round(self.unit_length, 4),
        }


@dataclass(frozen=True)
class Candidate:
    encoding: str
    space: str

    def __str__(self) -> str:
        return f"{self.encoding}/{self.space}"


@dataclass(frozen=True)
class Choice:
    """The encoding and space to decode with, where it came from, and whether depth confirmed it."""

    candidate: Candidate
    source: str  # "profile" | "detected"
    agreement: Agreement
    problems: tuple[str, ...] = ()  # why the decode is not trusted; empty when depth confirms it
    better: Candidate | None = None  # another candidate depth prefers to the profile's
    better_agreement: Agreement | None = None

    @property
    def verified(self) -> bool:
        return not self.problems

    def to_json(self) -> dict[str, Any]:
        better = None
        if self.better is not None and self.better_agreement is not None:
            better = {"encoding": self.better.encoding, "space": self.better.space,
                      "agreement": self.better_agreement.to_json()}
        return {"encoding": self.candidate.encoding, "space": self.candidate.space, "source": self.source,
                "verified": self.verified, "agreement": self.agreement.to_json(), "problems": list(self.problems),
                "better": better}

    @property
    def warnings(self) -> list[str]:
        """One line per problem, for meta.json and the extract summary."""
        if not self.problems:
            return []
        what = f"the profile's {self.candidate}" if self.source == "profile" else f"best guess {self.candidate}"
        lines = [f"normals: {what} disagrees with depth: {'; '.join(self.problems)}"]
        if self.better is not None and self.better_agreement is not None:
            lines.append(f"normals: {self.better} agrees with depth ({self.better_agreement.summary()}); "
                         "fix the profile if that is what the game stores")
        return lines


def grid_stride(shape: tuple[int, ...]) -> int:
    """The stride that gives a grid of about ``GRID_PIXELS`` pixels."""
    return max(1, round(float(np.sqrt(shape[0] * shape[1] / GRID_PIXELS))))


def grid(shape: tuple[int, ...], stride: int) -> tuple[np.ndarray, np.ndarray]:
    """Row and column indices of every ``stride``-th pixel, starting at 0."""
    if stride < 1:
        raise ValueError(f"stride must be ≥ 1, got {stride}")
    return np.arange(0, shape[0], stride), np.arange(0, shape[1], stride)


def _ray_xy(k_inv: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """x and y of K⁻¹ [u, v, 1] at pixel centres (z is 1), each ``(len(rows), len(cols))``."""
    u = cols[None, :].astype(np.float64)
    v = rows[:, None].astype(np.float64)
    x = k_inv[0, 0] * u + k_inv[0, 1] * v + k_inv[0, 2]
    y = k_inv[1, 0] * u + k_inv[1, 1] * v + k_inv[1, 2]
    return x, y


def _rays(k_inv: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """K⁻¹ [u, v, 1] at pixel centres, ``(len(rows), len(cols), 3)``, z = 1."""
    x, y = _ray_xy(k_inv, rows, cols)
    return np.stack(np.broadcast_arrays(x, y, np.ones_like(x)), axis=-1)


def normals_from_depth(z_m: np.ndarray, K: np.ndarray, *, stride: int = 1) -> np.ndarray:
    """Surface normals from forward z distance ``(H, W)`` at the pixels of ``grid(shape, stride)``.

    Back-projects each pixel and its four neighbours to the OpenCV camera frame
    (x right, y down, z forward) and crosses the tangents along v and u, so
    visible surfaces get normals facing the camera (negative z for a wall
    ahead). Each tangent uses whichever neighbour (before or after) changes
    depth least; where even that step exceeds ``MAX_RELATIVE_DEPTH_STEP`` of the
    depth (an occlusion edge), or depth is invalid (``inf``, NaN, ≤ 0), the
    result is NaN. Returns float32 ``(len(rows), len(cols), 3)`` unit vectors.
    """
    z = np.asarray(z_m)
    if z.ndim != 2:
        raise ValueError(f"depth must be (H, W), got shape {z.shape}")
    height, width = z.shape
    rows, cols = grid(z.shape, stride)
    k_inv = np.linalg.inv(np.asarray(K, dtype=np.float64))

    def point(dr: int, dc: int) -> tuple[tuple[np.ndarray, ...], np.ndarray]:
        """The back-projected points (as x, y, z planes: decode/channels.py says why) and their depth."""
        r, c = rows + dr, cols + dc
        inside = ((r >= 0) & (r < height))[:, None] & ((c >= 0) & (c < width))[None, :]
        depth = z[np.ix_(np.clip(r, 0, height - 1), np.clip(c, 0, width - 1))].astype(np.float64)
        with np.errstate(invalid="ignore"):
            depth = np.where(inside & np.isfinite(depth) & (depth > 0), depth, np.nan)
        x, y = _ray_xy(k_inv, r, c)
        return (x * depth, y * depth, depth), depth

    centre, z_c = point(0, 0)

    def tangent(dr: int, dc: int) -> tuple[np.ndarray, np.ndarray]:
        after, z_a = point(dr, dc)
        before, z_b = point(-dr, -dc)
        step_after = np.nan_to_num(np.abs(z_a - z_c), nan=np.inf)
        step_before = np.nan_to_num(np.abs(z_c - z_b), nan=np.inf)
        use_after = step_after <= step_before
        t = np.stack([np.where(use_after, ahead - here, here - behind)
                      for ahead, behind, here in zip(after, before, centre)], axis=-1)
        return t, np.minimum(step_after, step_before)

    along_u, step_u = tangent(0, 1)
    along_v, step_v = tangent(1, 0)
    with np.errstate(invalid="ignore"):
        smooth = np.maximum(step_u, step_v) <= MAX_RELATIVE_DEPTH_STEP * z_c
    n = np.cross(along_v, along_u)
    fill_pixels(n, ~smooth, 0.0)
    out = normalize(n)
    fill_pixels(out, ~smooth | ~np.any(out != 0, axis=-1), np.nan)
    return out


def candidates(channels: int, *, world: bool, space: str | None = None) -> list[Candidate]:
    """Every encoding × space that a target with ``channels`` channels can hold; world only when ``world``."""
    spaces = [s for s in SPACES if (s != "world" or world) and (space is None or s == space)]
    return [Candidate(encoding, s) for s in spaces for encoding in ENCODINGS
            if channels_needed(encoding) <= channels and not (s == "world" and encoding in VIEW_ONLY_ENCODINGS)]


def decode_sample(encoded: np.ndarray, encoding: str) -> tuple[np.ndarray, np.ndarray]:
    """``encoded`` ``(N, C)`` decoded as ``encoding``, and the vectors' lengths: what ``measure`` needs of it
    in either space."""
    vectors = decode_vectors(encoded[None], encoding)[0]
    return vectors, np.sqrt(dot_pixels(vectors, vectors))


def measure(encoded: np.ndarray, candidate: Candidate, reference: np.ndarray, rays: np.ndarray,
            world_to_view: np.ndarray | None, decoded: tuple[np.ndarray, np.ndarray] | None = None) -> Agreement:
    """Agreement of ``encoded`` decoded as ``candidate`` with the depth normals ``reference``.

    ``encoded`` ``(N, C)``, ``reference`` ``(N, 3)`` (unit, all usable) and
    ``rays`` ``(N, 3)`` (viewing directions, camera frame) describe the same
    pixels. ``decoded``: ``decode_sample(encoded, candidate.encoding)`` when
    the other space's candidate made it already.
    """
    pixels = len(reference)
    if pixels == 0:
        return Agreement(0, 180.0, 180.0, 0.0, 0.0, None)
    vectors, length = decoded or decode_sample(encoded, candidate.encoding)
    rotation = to_camera_rotation("gl", world_to_view if candidate.space == "world" else None)
    rotated = vectors @ rotation.T.astype(np.float32)
    cosine = np.divide(dot_pixels(rotated, reference), length, out=np.zeros_like(length),
                       where=length > 1e-6)
    back = np.einsum("ij,ij->i", rotated, rays) > 0
    unit = float(np.mean(np.abs(length - 1.0) <= 0.1)) if candidate.encoding in UNIT_LENGTH_ENCODINGS else None
    angles = np.degrees(np.arccos(np.clip(cosine, -1.0, 1.0)))
    return Agreement(pixels, float(np.mean(angles)), _median(angles), float(np.mean(cosine >= _COS_30)),
                     float(np.mean(back)), unit)


def _median(values: np.ndarray) -> float:
    """The median by partitioning: `np.median` imports numpy.ma (~10 ms of every extraction's start-up)."""
    middle = len(values) // 2
    if len(values) % 2:
        return float(np.partition(values, middle)[middle])
    low, high = np.partition(values, (middle - 1, middle))[middle - 1:middle + 1]
    return float(low + high) / 2


def _best(pool: list[Candidate], agreement: Callable[[Candidate], Agreement]) -> Candidate:
    """The trusted candidate with the smallest mean angle (any candidate if none is trusted).

    Candidates within ``TIE_DEG`` of it decode alike (e.g. xy_unorm and
    unorm_xyz on view-space normals that all face the camera): the first in
    ``ENCODINGS`` order wins, so three stored channels beat two.
    """
    trusted = [c for c in pool if agreement(c).verified] or pool
    least = min(agreement(c).mean_angle_deg for c in trusted)
    return next(c for c in trusted if agreement(c).mean_angle_deg <= least + TIE_DEG)


def _clearly_better(other: Agreement, than: Agreement) -> bool:
    return other.verified and than.mean_angle_deg - other.mean_angle_deg >= CLEARLY_BETTER_DEG


def choose_encoding(encoded: np.ndarray, z_m: np.ndarray, K: np.ndarray, *, world_to_view: np.ndarray | None,
                    stated: Candidate | None = None, space: str | None = None,
                    stride: int | None = None) -> Choice:
    """The encoding and space to decode ``encoded`` (``(H, W, C)`` as stored) with, checked against depth.

    ``stated``: what the profile says, kept even when depth disagrees. It is
    unverified when its own agreement is poor (``Agreement.problems``) or when
    another candidate agrees clearly better (``CLEARLY_BETTER_DEG``); ``better``
    then names that candidate. Without it every candidate (restricted to
    ``space`` when given) is measured and the one with the smallest mean angle
    among the trusted ones is kept: the mean, unlike the median, counts the
    minority of pixels where a nearly right decode goes wrong (e.g. unorm_xyz
    read as octahedral_unorm is exact for every axis-aligned normal but -z). ``world_to_view`` (3x3, from the
    view matrix) enables world-space candidates. ``stride``: of the checking
    grid, default ``grid_stride``.
    """
    e = np.asarray(encoded, dtype=np.float32)
    stride = stride or grid_stride(e.shape)
    rows, cols = grid(e.shape, stride)
    reference = normals_from_depth(z_m, K, stride=stride)
    usable = np.all(np.isfinite(reference), axis=-1)
    rays = _rays(np.linalg.inv(np.asarray(K, dtype=np.float64)), rows, cols)
    reference, rays, sample = reference[usable], rays[usable], e[np.ix_(rows, cols)][usable]
    measured: dict[Candidate, Agreement] = {}
    decoded: dict[str, tuple[np.ndarray, np.ndarray]] = {}

    def agreement(candidate: Candidate) -> Agreement:
        if candidate not in measured:
            if candidate.encoding not in decoded:
                decoded[candidate.encoding] = decode_sample(sample, candidate.encoding)
            measured[candidate] = measure(sample, candidate, reference, rays, world_to_view,
                                          decoded[candidate.encoding])
        return measured[candidate]

    world = world_to_view is not None
    if stated is not None:
        if stated.space == "world" and not world:
            raise ValueError("world-space normals need world_to_view")
        found = agreement(stated)
        problems = found.problems
        if problems or found.mean_angle_deg >= CLEARLY_BETTER_DEG:
            others = [c for c in candidates(e.shape[-1], world=world) if c != stated]
            better = _best(others, agreement) if others else None
            if better is not None and (_clearly_better(agreement(better), found)
                                       or (problems and agreement(better).verified)):
                gain = found.mean_angle_deg - agreement(better).mean_angle_deg
                problems = problems or [f"{better} agrees {gain:.1f}° better on average"]
                return Choice(stated, "profile", found, tuple(problems), better, agreement(better))
        return Choice(stated, "profile", found, tuple(problems))
    pool = candidates(e.shape[-1], world=world, space=space)
    if not pool:
        raise ValueError(f"no normal encoding fits a {e.shape[-1]}-channel target in {space or 'any'} space")
    best = _best(pool, agreement)
    return Choice(best, "detected", agreement(best), tuple(agreement(best).problems))
