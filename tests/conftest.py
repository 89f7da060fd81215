"""Shared fixtures: real captures shipped with the tool, and broken ones made from them."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pytest

PROBES = Path(str(resources.files("rdc_extract") / "probes"))


@pytest.fixture(scope="session")
def gl_capture() -> Path:
    """A tiny real OpenGL capture made by samples/tiny/gl_triangle.py."""
    return PROBES / "gl_triangle.rdc"


@pytest.fixture(scope="session")
def vk_capture() -> Path:
    """A tiny real Vulkan capture made by samples/tiny/vk_gbuffer.c."""
    return PROBES / "vk_gbuffer.rdc"


@pytest.fixture(scope="session")
def vk_capture_made_now(tmp_path_factory) -> Path:
    """A Vulkan capture built and captured in this test run by samples/tiny/vk_gbuffer.c."""
    from samples.tiny.make_captures import make_captures

    (capture,) = make_captures(tmp_path_factory.mktemp("vk"), ["vk_gbuffer"])
    return capture


SAMPLE_CAPTURES = sorted((Path(__file__).resolve().parents[1] / "samples" / "captures").glob("*.rdc"))
DRAWIDS_OUTPUTS = ["rgb", "stencil", "labels", "drawids"]


@pytest.fixture(scope="session")
def drawids_dataset(tmp_path_factory) -> Path:
    """The first two sample-game captures extracted with draw ids, stencil, the game's labels (city_game),
    instances (the same sweep as draw ids: milliseconds more) and depth (for the kitti and hf exports). Shared
    by the tests of `signatures`, signature rules and `export`: copy it (`shutil.copytree`) before writing."""
    from rdc_extract.extract.pipeline import extract_to_dataset

    if len(SAMPLE_CAPTURES) < 2:
        pytest.skip("fewer than two sample-game captures: run samples/make_captures.sh")
    out = tmp_path_factory.mktemp("drawids") / "out"
    for capture in SAMPLE_CAPTURES[:2]:
        extract_to_dataset(capture, out, outputs=[*DRAWIDS_OUTPUTS, "instances", "depth"])
    return out


READER_OUTPUTS = ["rgb", "depth", "normals", "stencil", "labels", "instances"]


@pytest.fixture(scope="session")
def reader_dataset(tmp_path_factory) -> Path:
    """The first sample-game capture extracted as `extract` writes it (no index.csv), with depth, normals,
    labels and instances: what rdc_extract.data reads. Copy it (`shutil.copytree`) before writing."""
    from rdc_extract.extract.pipeline import extract_to_dataset

    if not SAMPLE_CAPTURES:
        pytest.skip("no sample-game captures: run samples/make_captures.sh")
    out = tmp_path_factory.mktemp("reader") / "out"
    extract_to_dataset(SAMPLE_CAPTURES[0], out, outputs=READER_OUTPUTS)
    return out
