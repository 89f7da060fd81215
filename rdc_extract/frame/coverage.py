"""How much of its render target a draw covers, from the clip-space positions its vertex shader wrote (pure).

The final-image rule asks this of the few back-buffer draws with a handful of
vertices: a post-processing pass covers the whole target, a HUD quad with as
few vertices does not. The area is that of the positions' bounding box in
window coordinates, cut to the viewport, the scissor and the target: exact for
a full-screen triangle or an axis-aligned quad, an overestimate for anything
else (which only errs towards "full screen", as counting vertices did).
"""

from __future__ import annotations

import numpy as np

Rect = tuple[float, float, float, float]  # x, y, width, height in the API's window coordinates

_MIN_W = 1e-6


def _intersect(a: Rect, b: Rect) -> Rect:
    x0, y0 = max(a[0], b[0]), max(a[1], b[1])
    x1, y1 = min(a[0] + a[2], b[0] + b[2]), min(a[1] + a[3], b[1] + b[3])
    return (x0, y0, max(x1 - x0, 0.0), max(y1 - y0, 0.0))


def _normalised(rect: Rect) -> Rect:
    """A rectangle with a negative width or height (a flipped Vulkan viewport) as the same area, positive."""
    x, y, w, h = rect
    return (min(x, x + w), min(y, y + h), abs(w), abs(h))


def covered_fraction(clip_positions: np.ndarray, viewport: Rect, target: tuple[int, int],
                     scissor: Rect | None = None, *, ndc_y_up_is_window_y_down: bool = False) -> float | None:
    """Fraction (0..1) of `target` (width, height) that the positions' screen bounding box covers; None when some
    vertex has w ≤ 0 (behind the eye: not a screen-space draw, nothing can be said from a box).

    `ndc_y_up_is_window_y_down`: D3D, whose NDC +y is up while its viewport
    and scissor count rows from the top; GL (both up) and Vulkan (both down)
    map NDC y straight onto window y.
    """
    positions = np.asarray(clip_positions, dtype=np.float64).reshape(-1, 4)
    width, height = target
    if not len(positions) or width <= 0 or height <= 0 or np.any(~(positions[:, 3] > _MIN_W)):
        return None
    ndc = positions[:, :2] / positions[:, 3:4]
    vx, vy, vw, vh = viewport
    ndc_y = -ndc[:, 1] if ndc_y_up_is_window_y_down else ndc[:, 1]
    xs = vx + (ndc[:, 0] + 1.0) / 2.0 * vw
    ys = vy + (ndc_y + 1.0) / 2.0 * vh
    box = (float(xs.min()), float(ys.min()), float(np.ptp(xs)), float(np.ptp(ys)))
    area = _intersect(_intersect(box, _normalised(viewport)), (0.0, 0.0, float(width), float(height)))
    if scissor is not None:
        area = _intersect(area, _normalised(scissor))
    return min(area[2] * area[3] / (width * height), 1.0)
