"""Time of day and weather turned into lighting parameters.

Only the lighting, sky, particle and post passes read these: the G-buffer
holds the same albedo, normals, materials and classes at noon and at
midnight, in sunshine and in rain -- as in a real deferred renderer.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Environment:
    sun_dir: np.ndarray        # unit vector towards the key light (sun, or moon at night), world Z up
    sun_color: np.ndarray      # linear RGB radiance of the key light
    sky_zenith: np.ndarray     # linear RGB
    sky_horizon: np.ndarray    # linear RGB
    ambient: np.ndarray        # linear RGB hemisphere ambient (sky side)
    fog_color: np.ndarray
    fog_density: float         # per metre, exponential
    wetness: float             # 0 dry .. 1 soaked roads
    rain: bool
    night: float               # 0 day .. 1 night: street lamps, lit windows
    exposure: float
    shadow_strength: float


def _mix(a, b, t: float) -> np.ndarray:
    return np.asarray(a, dtype=np.float64) * (1 - t) + np.asarray(b, dtype=np.float64) * t


def environment_at(clock_s: float, weather: str) -> Environment:
    """Lighting for a time of day (seconds since midnight) and a weather name."""
    hours = clock_s / 3600.0
    angle = (hours - 6.0) / 12.0 * math.pi  # sun rises at 6:00, sets at 18:00
    elevation = math.sin(angle)
    azimuth = angle * 0.9 + 0.6
    day = float(np.clip(elevation * 4.0 + 0.2, 0.0, 1.0))
    night = 1.0 - day
    low = float(np.clip(1.0 - elevation * 2.5, 0.0, 1.0)) * day
    if elevation > -0.05:
        sun_dir = np.array([math.cos(azimuth) * math.cos(angle), math.sin(azimuth), max(elevation, 0.08)])
    else:
        sun_dir = np.array([-0.4, 0.3, 0.8])  # the moon
    sun_dir = sun_dir / np.linalg.norm(sun_dir)
    sun_color = _mix(_mix([4.2, 3.9, 3.5], [3.2, 1.6, 0.7], low), [0.08, 0.1, 0.16], night)
    zenith = _mix(_mix([0.18, 0.38, 0.85], [0.25, 0.25, 0.45], low), [0.004, 0.006, 0.015], night)
    horizon = _mix(_mix([0.6, 0.72, 0.9], [1.0, 0.55, 0.3], low), [0.02, 0.025, 0.04], night)
    ambient = _mix(_mix([0.35, 0.42, 0.55], [0.35, 0.28, 0.3], low), [0.03, 0.035, 0.05], night)
    fog_density, wetness, shadow = 0.0015, 0.0, 1.0
    overcast = 0.0
    if weather in ("overcast", "rain", "fog"):
        overcast = {"overcast": 0.8, "rain": 1.0, "fog": 0.7}[weather]
        grey = np.mean(horizon) * np.array([1.0, 1.0, 1.05])
        zenith = _mix(zenith, grey * 0.8, overcast)
        horizon = _mix(horizon, grey, overcast)
        sun_color = sun_color * (1.0 - 0.85 * overcast)
        ambient = ambient * (1.0 + 0.4 * overcast * day)
        shadow = 1.0 - 0.8 * overcast
    if weather == "fog":
        fog_density = 0.02
    elif weather == "rain":
        fog_density, wetness = 0.006, 1.0
    fog_color = horizon * (0.9 if weather != "fog" else 1.0)
    exposure = float(1.0 + 0.8 * night + 0.6 * overcast)
    return Environment(sun_dir, sun_color, zenith, horizon, ambient, fog_color, fog_density, wetness,
                       weather == "rain", night, exposure, shadow)
