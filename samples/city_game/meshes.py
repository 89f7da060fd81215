"""Low-poly mesh builders producing flat-shaded triangle soups.

Every vertex is 13 float32: position (3, metres, world Z up), normal (3),
linear albedo (3), material (4: roughness, metallic, wettable 0..1, emissive
strength). Builders return (N, 13) arrays that world.py concatenates into
per-class batches; no index buffers, which keeps batching a plain concatenate.
"""

from __future__ import annotations

import math

import numpy as np

VERTEX_FLOATS = 13
Material = tuple[float, float, float, float]
MATTE: Material = (0.9, 0.0, 0.0, 0.0)


def _faces(quads: list[tuple[np.ndarray, ...]], color, material: Material) -> np.ndarray:
    """Triangulate quads (4 corners, counter-clockwise seen from outside) with flat normals."""
    q = np.asarray(quads, dtype=np.float64).reshape(-1, 4, 3)
    u, v = q[:, 1] - q[:, 0], q[:, 2] - q[:, 0]
    normal = np.empty_like(u)
    normal[:, 0] = u[:, 1] * v[:, 2] - u[:, 2] * v[:, 1]
    normal[:, 1] = u[:, 2] * v[:, 0] - u[:, 0] * v[:, 2]
    normal[:, 2] = u[:, 0] * v[:, 1] - u[:, 1] * v[:, 0]
    length = np.sqrt((normal * normal).sum(axis=1, keepdims=True))
    normal = normal / np.maximum(length, 1e-12)
    out = np.empty((len(q) * 6, VERTEX_FLOATS), dtype=np.float32)
    out[:, 0:3] = q[:, [0, 1, 2, 0, 2, 3]].reshape(-1, 3)
    out[:, 3:6] = np.repeat(normal, 6, axis=0)
    out[:, 6:9] = color
    out[:, 9:13] = material
    return out


def box(center, size, color, material: Material = MATTE, heading: float = 0.0, bottom: bool = False) -> np.ndarray:
    """An axis-aligned (then rotated about Z by `heading`) box; `center` is the centre of its base."""
    cx, cy, cz = center
    hx, hy, h = size[0] / 2, size[1] / 2, size[2]
    c, s = math.cos(heading), math.sin(heading)

    def p(x, y, z):
        return np.array([cx + x * c - y * s, cy + x * s + y * c, cz + z])

    corners = [p(-hx, -hy, 0), p(hx, -hy, 0), p(hx, hy, 0), p(-hx, hy, 0)]
    tops = [p(-hx, -hy, h), p(hx, -hy, h), p(hx, hy, h), p(-hx, hy, h)]
    quads = [(tops[0], tops[1], tops[2], tops[3])]
    for i in range(4):
        j = (i + 1) % 4
        quads.append((corners[i], corners[j], tops[j], tops[i]))
    if bottom:
        quads.append((corners[3], corners[2], corners[1], corners[0]))
    return _faces(quads, color, material)


def quad(corners, color, material: Material = MATTE) -> np.ndarray:
    """One flat quad from four (x, y, z) corners, counter-clockwise seen from its front."""
    return _faces([tuple(np.asarray(c, dtype=np.float64) for c in corners)], color, material)


def flat_rect(x0, y0, x1, y1, z, color, material: Material = MATTE) -> np.ndarray:
    """An upward-facing rectangle at height z (roads, sidewalks, markings)."""
    return quad([(x0, y0, z), (x1, y0, z), (x1, y1, z), (x0, y1, z)], color, material)


def cylinder(base, radius, height, color, material: Material = MATTE, sides: int = 6) -> np.ndarray:
    """A vertical prism approximating a cylinder (poles, trunks); top cap only."""
    bx, by, bz = base
    ring = [(bx + radius * math.cos(2 * math.pi * k / sides), by + radius * math.sin(2 * math.pi * k / sides))
            for k in range(sides)]
    quads = []
    for k in range(sides):
        (x0, y0), (x1, y1) = ring[k], ring[(k + 1) % sides]
        quads.append((np.array([x0, y0, bz]), np.array([x1, y1, bz]),
                      np.array([x1, y1, bz + height]), np.array([x0, y0, bz + height])))
    return _faces(quads, color, material)


def blob(center, radius, height, color, material: Material = MATTE, sides: int = 6) -> np.ndarray:
    """A faceted double cone (tree canopies, bushes): cheap but reads as foliage."""
    cx, cy, cz = center
    top = (cx, cy, cz + height)
    bottom = (cx, cy, cz)
    mid_z = cz + height * 0.4
    ring = [(cx + radius * math.cos(2 * math.pi * k / sides), cy + radius * math.sin(2 * math.pi * k / sides), mid_z)
            for k in range(sides)]
    tris = []
    for k in range(sides):
        p0, p1 = ring[k], ring[(k + 1) % sides]
        tris += [(p0, p1, top), (p1, p0, bottom)]
    return _triangles(tris, color, material)


def _triangles(tris: list, color, material: Material) -> np.ndarray:
    """Flat-shaded triangles (3 corners, counter-clockwise seen from outside)."""
    t = np.asarray(tris, dtype=np.float64).reshape(-1, 3, 3)
    normal = np.cross(t[:, 1] - t[:, 0], t[:, 2] - t[:, 0])
    normal /= np.maximum(np.linalg.norm(normal, axis=1, keepdims=True), 1e-12)
    out = np.empty((len(t) * 3, VERTEX_FLOATS), dtype=np.float32)
    out[:, 0:3] = t.reshape(-1, 3)
    out[:, 3:6] = np.repeat(normal, 3, axis=0)
    out[:, 6:9] = color
    out[:, 9:13] = material
    return out


def concat(parts: list[np.ndarray]) -> np.ndarray:
    parts = [p for p in parts if len(p)]
    if not parts:
        return np.zeros((0, VERTEX_FLOATS), dtype=np.float32)
    return np.concatenate(parts).astype(np.float32, copy=False)


def car_mesh(length: float = 4.4, width: float = 1.8) -> np.ndarray:
    """A car in its own frame (x forward, base at z=0). Body colour is white so a per-object tint colours it."""
    paint: Material = (0.35, 0.6, 0.0, 0.0)
    glass: Material = (0.1, 0.0, 0.0, 0.0)
    parts = [
        box((0, 0, 0.3), (length, width, 0.65), (1.0, 1.0, 1.0), paint),
        box((-0.3, 0, 0.95), (length * 0.5, width * 0.9, 0.5), (0.04, 0.05, 0.06), glass),
        box((length / 2 - 0.02, -width * 0.33, 0.55), (0.06, 0.3, 0.14), (1.0, 0.95, 0.8), (0.3, 0.0, 0.0, 4.0)),
        box((length / 2 - 0.02, width * 0.33, 0.55), (0.06, 0.3, 0.14), (1.0, 0.95, 0.8), (0.3, 0.0, 0.0, 4.0)),
        box((-length / 2 + 0.02, -width * 0.35, 0.6), (0.06, 0.3, 0.12), (0.8, 0.02, 0.02), (0.3, 0.0, 0.0, 2.0)),
        box((-length / 2 + 0.02, width * 0.35, 0.6), (0.06, 0.3, 0.12), (0.8, 0.02, 0.02), (0.3, 0.0, 0.0, 2.0)),
    ]
    for x in (length * 0.32, -length * 0.32):
        for y in (width / 2 - 0.1, -width / 2 + 0.1):
            parts.append(box((x, y, 0.0), (0.65, 0.25, 0.62), (0.02, 0.02, 0.02)))
    return concat(parts)


def pedestrian_mesh() -> np.ndarray:
    """A person in their own frame (x forward), about 1.75 m tall. Clothes are white for tinting."""
    skin = (0.55, 0.38, 0.28)
    return concat([
        box((0, -0.1, 0), (0.22, 0.16, 0.85), (0.12, 0.12, 0.16)),
        box((0, 0.1, 0), (0.22, 0.16, 0.85), (0.12, 0.12, 0.16)),
        box((0, 0, 0.85), (0.28, 0.46, 0.62), (1.0, 1.0, 1.0)),
        box((0, 0, 1.5), (0.22, 0.2, 0.25), skin),
    ])
