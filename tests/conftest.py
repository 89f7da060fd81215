"""Shared fixtures: real captures shipped with the tool, and broken ones made from them."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pytest

DATA = Path(str(resources.files("rdc_extract") / "data"))


@pytest.fixture(scope="session")
def gl_capture() -> Path:
    """A tiny real OpenGL capture made by samples/tiny/gl_triangle.py."""
    return DATA / "gl_triangle.rdc"


@pytest.fixture(scope="session")
def vk_capture() -> Path:
    """A tiny real Vulkan capture made by samples/tiny/vk_gbuffer.c."""
    return DATA / "vk_gbuffer.rdc"


@pytest.fixture(scope="session")
def vk_capture_made_now(tmp_path_factory) -> Path:
    """A Vulkan capture built and captured in this test run by samples/tiny/vk_gbuffer.c."""
    from samples.tiny.make_captures import make_captures

    (capture,) = make_captures(tmp_path_factory.mktemp("vk"), ["vk_gbuffer"])
    return capture
