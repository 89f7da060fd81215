"""Camera matrices: right-handed view space (camera looks down -Z), reversed-Z projection.

The projection is finite (near 0.1 m, far 1000 m) so depth inverts exactly:
with clip control ZERO_TO_ONE the stored depth is ``d = B / z - A`` where
``z`` is the positive view distance, ``A = n / (f - n)`` and ``B = n f / (f - n)``
-- 1.0 at the near plane, 0.0 at the far plane -- hence ``z = B / (d + A)``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

NEAR_M = 0.1
FAR_M = 1000.0


def reversed_z_projection(fov_y_deg: float, aspect: float, near: float = NEAR_M, far: float = FAR_M) -> np.ndarray:
    """4x4 float64, column-vector convention (clip = P @ view_pos); depth 1 at near, 0 at far."""
    f = 1.0 / math.tan(math.radians(fov_y_deg) / 2.0)
    p = np.zeros((4, 4))
    p[0, 0] = f / aspect
    p[1, 1] = f
    p[2, 2] = near / (far - near)
    p[2, 3] = near * far / (far - near)
    p[3, 2] = -1.0
    return p


def gl_projection(fov_y_deg: float, aspect: float, near: float = NEAR_M, far: float = FAR_M) -> np.ndarray:
    """The conventional right-handed OpenGL perspective (gluPerspective): clip z in -1..1, depth 0 at near, 1 at far."""
    f = 1.0 / math.tan(math.radians(fov_y_deg) / 2.0)
    p = np.zeros((4, 4))
    p[0, 0] = f / aspect
    p[1, 1] = f
    p[2, 2] = -(far + near) / (far - near)
    p[2, 3] = -2.0 * far * near / (far - near)
    p[3, 2] = -1.0
    return p


def depth_to_distance(depth: np.ndarray, near: float = NEAR_M, far: float = FAR_M) -> np.ndarray:
    """Invert the stored reversed-Z depth to view distance in metres (+inf where depth is 0)."""
    a = near / (far - near)
    b = near * far / (far - near)
    with np.errstate(divide="ignore"):
        z = b / (np.asarray(depth, dtype=np.float64) + a)
    return np.where(depth <= 0.0, np.inf, z)


def look_at(eye: np.ndarray, target: np.ndarray, up: np.ndarray = np.array([0.0, 0.0, 1.0])) -> np.ndarray:
    """World-to-view 4x4 float64 for a camera at `eye` looking at `target` (world Z is up)."""
    forward = target - eye
    forward = forward / np.linalg.norm(forward)
    right = np.cross(forward, up)
    right = right / np.linalg.norm(right)
    true_up = np.cross(right, forward)
    view = np.eye(4)
    view[0, :3], view[1, :3], view[2, :3] = right, true_up, -forward
    view[:3, 3] = -view[:3, :3] @ eye
    return view


def orthographic_reversed(half_size: float, depth_range: float) -> np.ndarray:
    """Ortho projection for the sun's shadow map: view z in [-depth_range, 0] maps to depth [0, 1] reversed."""
    p = np.eye(4)
    p[0, 0] = p[1, 1] = 1.0 / half_size
    p[2, 2] = 1.0 / depth_range
    p[2, 3] = 1.0
    return p


# The game's world is right-handed with Z up; a left-handed Y-up engine (Direct3D, Unity) stores (x, z, y).
RH_Z_UP_TO_LH_Y_UP = np.array([[1.0, 0, 0, 0], [0, 0, 1, 0], [0, 1, 0, 0], [0, 0, 0, 1]])
_FLIP_VIEW_Z = np.diag([1.0, 1.0, -1.0, 1.0])


@dataclass
class CameraState:
    """What the shaders use for one frame; matrices are float64, column-vector convention."""

    view: np.ndarray
    proj: np.ndarray
    position: np.ndarray
    fov_y_deg: float
    width: int
    height: int
    near: float = NEAR_M
    far: float = FAR_M

    @property
    def view_proj(self) -> np.ndarray:
        return self.proj @ self.view


def chase_camera(car_pos: np.ndarray, heading: float, width: int, height: int, fov_y_deg: float = 60.0) -> CameraState:
    """A chase camera about 1.5 m above the car's roof line, behind it, looking along its heading."""
    forward = np.array([math.cos(heading), math.sin(heading), 0.0])
    eye = car_pos + forward * -6.0 + np.array([0.0, 0.0, 2.2])
    target = car_pos + forward * 20.0 + np.array([0.0, 0.0, 1.0])
    view = look_at(eye, target)
    proj = reversed_z_projection(fov_y_deg, width / height)
    return CameraState(view, proj, eye, fov_y_deg, width, height)


def conventional(cam: CameraState) -> CameraState:
    """The same camera with `gl_projection` instead of reversed Z (GL's default clip range, depth 1 = far)."""
    proj = gl_projection(cam.fov_y_deg, cam.width / cam.height, cam.near, cam.far)
    return CameraState(cam.view, proj, cam.position, cam.fov_y_deg, cam.width, cam.height, cam.near, cam.far)


def left_handed(cam: CameraState) -> CameraState:
    """The same picture from a left-handed Y-up world (`RH_Z_UP_TO_LH_Y_UP`) and a left-handed view (looks down +Z).

    `view` is then a rigid LookAtLH, `proj` a PerspectiveFovLH (w = +z) kept in GL's -1..1 clip range;
    `proj @ view @ RH_Z_UP_TO_LH_Y_UP` equals the right-handed `gl_projection @ cam.view`.
    """
    basis = RH_Z_UP_TO_LH_Y_UP
    view = _FLIP_VIEW_Z @ cam.view @ basis.T
    proj = gl_projection(cam.fov_y_deg, cam.width / cam.height, cam.near, cam.far) @ _FLIP_VIEW_Z
    return CameraState(view, proj, basis[:3, :3] @ cam.position, cam.fov_y_deg, cam.width, cam.height,
                       cam.near, cam.far)
