"""GPU-side scene: vertex buffers for every mesh, per-object constants and the frame's draw list.

Each `Draw` is one object or one static mesh batch; the shadow, G-buffer and
ground-truth passes all walk the same list, which is what makes the ground
truth an independent render of exactly the scene the G-buffer saw.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import moderngl
import numpy as np

from . import classes as C
from .camera import CameraState
from .meshes import car_mesh, pedestrian_mesh
from .sim import Simulation
from .world import World

VERTEX_FORMAT = "3f 3f 3f 4f"
ATTRIBUTES = ("in_position", "in_normal", "in_color", "in_material")
DRAW_DISTANCE_M = 130.0
PROP_DISTANCE_M = 110.0  # small props (poles, signs, markings, trees) vanish beyond this, like an engine's LOD
PROP_CLASSES = frozenset({C.VEGETATION, C.POLE, C.TRAFFIC_SIGN, C.TRAFFIC_LIGHT, C.LANE_MARKING})


class GpuMesh:
    """One vertex buffer with a vertex array per program that draws it."""

    def __init__(self, ctx: moderngl.Context, vertices: np.ndarray) -> None:
        self.ctx = ctx
        self.vbo = ctx.buffer(np.ascontiguousarray(vertices, dtype=np.float32).tobytes())
        self.vertex_count = len(vertices)
        self._vaos: dict[int, moderngl.VertexArray] = {}

    def vao(self, prog: moderngl.Program) -> moderngl.VertexArray:
        key = prog.glo
        if key not in self._vaos:
            used = [name for name in ATTRIBUTES if name in prog]  # the compiler drops unread inputs
            fmt = " ".join(f if name in used else f"{int(f[0]) * 4}x"
                           for f, name in zip(VERTEX_FORMAT.split(), ATTRIBUTES))
            self._vaos[key] = self.ctx.vertex_array(prog, [(self.vbo, fmt, *used)])
        return self._vaos[key]


@dataclass
class Draw:
    mesh: GpuMesh
    world: np.ndarray  # 4x4 float64, object to world
    stencil: int
    object_id: int
    tint: tuple[float, float, float] = (1.0, 1.0, 1.0)
    objects: np.ndarray | None = None  # a static batch's objects: (first vertex, vertex count, object id) rows

    def constants(self, object_id: int | None = None) -> bytes:
        """ObjectConstants (std140): mat4 world, vec4 tint, uvec4(object id, stencil, class, 0)."""
        floats = np.concatenate([self.world.T.ravel(), [*self.tint, 1.0]]).astype(np.float32)
        ints = np.array([self.object_id if object_id is None else object_id, self.stencil, C.class_of(self.stencil),
                         0], dtype=np.uint32)
        return floats.tobytes() + ints.tobytes()

    def pieces(self) -> list[tuple[int, int, int]]:
        """(first vertex, vertex count, object id) of each object the draw holds: the ground truth draws them
        one by one, in the same order, to tell the objects of a static batch apart."""
        if self.objects is None:
            return [(0, self.mesh.vertex_count, self.object_id)]
        return [(int(first), int(count), int(object_id)) for first, count, object_id in self.objects]


def camera_constants(cam: CameraState) -> bytes:
    """CameraConstants (std140): view, proj, view_proj, vec4 camera_pos, vec4(near, far, fov_y rad, aspect)."""
    values = np.concatenate([cam.view.T.ravel(), cam.proj.T.ravel(), cam.view_proj.T.ravel(),
                             [*cam.position, 1.0],
                             [cam.near, cam.far, math.radians(cam.fov_y_deg), cam.width / cam.height]])
    return values.astype(np.float32).tobytes()


def _pose_matrix(x: float, y: float, z: float, heading: float) -> np.ndarray:
    c, s = math.cos(heading), math.sin(heading)
    m = np.eye(4)
    m[:2, :2] = [[c, -s], [s, c]]
    m[:3, 3] = (x, y, z)
    return m


class GpuScene:
    """Uploads the world once; `draws()` lists what a camera (or the sun) sees this frame."""

    def __init__(self, ctx: moderngl.Context, world: World) -> None:
        self.world = world
        self.static = [GpuMesh(ctx, b.vertices) for b in world.batches]
        self.static_stencil = [b.stencil for b in world.batches]
        self.static_objects = [b.objects for b in world.batches]
        lo = np.array([b.bounds_min for b in world.batches])
        hi = np.array([b.bounds_max for b in world.batches])
        self._lo, self._hi = lo, hi
        self._is_prop = np.array([b.stencil in PROP_CLASSES for b in world.batches])
        corners = np.stack([np.where([(k >> a) & 1 for a in range(3)], hi, lo) for k in range(8)], axis=1)
        self._corners = np.concatenate([corners, np.ones((len(lo), 8, 1))], axis=2)  # (B, 8, 4)
        self.car = GpuMesh(ctx, car_mesh())
        self.person = GpuMesh(ctx, pedestrian_mesh())

    def _visible(self, view_proj: np.ndarray) -> np.ndarray:
        clip = self._corners @ view_proj.T  # (B, 8, 4)
        x, y, z, w = clip[..., 0], clip[..., 1], clip[..., 2], clip[..., 3]
        outside = ((x < -w).all(1) | (x > w).all(1) | (y < -w).all(1) | (y > w).all(1) | (z > w).all(1)
                   | (z < 0).all(1))
        return ~outside

    def draws(self, sim: Simulation, view_proj: np.ndarray, centre: np.ndarray, static_classes=None) -> list[Draw]:
        """Cars and people near `centre` and in view, then static batches in the frustum; each group nearest first.

        Near-to-far order lets the depth test reject hidden fragments early (the player's car covers much of
        the screen), which matters on a software rasteriser.
        """
        gap = np.maximum(np.maximum(self._lo - centre, centre - self._hi), 0.0)
        distance = np.linalg.norm(gap[:, :2], axis=1)
        keep = self._visible(view_proj) & ~(self._is_prop & (distance > PROP_DISTANCE_M))
        static = [Draw(self.static[k], np.eye(4), self.static_stencil[k], 1000 + int(k),
                       objects=self.static_objects[k])
                  for k in sorted(np.flatnonzero(keep), key=lambda k: distance[k])
                  if static_classes is None or self.static_stencil[k] in static_classes]
        return self._dynamic_draws(sim, view_proj, centre) + static

    def _dynamic_draws(self, sim: Simulation, view_proj: np.ndarray, centre: np.ndarray) -> list[Draw]:
        out = []
        z = self.world.layout.curb_height
        player = sim.player
        candidates = [(v.x, v.y, 0.0, v.heading, self.car, C.VEHICLE, 2000 + v.id, v.color)
                      for v in sim.active_vehicles]
        candidates.append((player.vehicle.x, player.vehicle.y, 0.0, player.vehicle.heading, self.car,
                           C.PLAYER_VEHICLE, 2000, player.vehicle.color))
        candidates += [(p.x, p.y, z, p.heading, self.person, C.PEDESTRIAN, 5000 + p.id, p.color)
                       for p in sim.active_pedestrians]
        if not player.in_vehicle:
            candidates.append((player.foot_x, player.foot_y, z, player.vehicle.heading + math.pi / 2, self.person,
                               C.PEDESTRIAN | C.PLAYER_FLAG, 5000, (0.1, 0.3, 0.15)))
        pos = np.array([[c[0], c[1], c[2] + 0.9, 1.0] for c in candidates])
        clip = pos @ view_proj.T
        margin = 3.0 * max(np.linalg.norm(view_proj[0, :3]), np.linalg.norm(view_proj[1, :3]))
        distance = np.hypot(pos[:, 0] - centre[0], pos[:, 1] - centre[1])
        inside = (np.abs(clip[:, 0]) < clip[:, 3] + margin) & (np.abs(clip[:, 1]) < clip[:, 3] + margin) & \
                 (clip[:, 3] > -3.0)
        for k in np.argsort(distance, kind="stable"):
            if distance[k] < DRAW_DISTANCE_M and inside[k]:
                x, y, zz, heading, mesh, stencil, oid, color = candidates[k]
                out.append(Draw(mesh, _pose_matrix(x, y, zz, heading), stencil, oid, color))
        return out
