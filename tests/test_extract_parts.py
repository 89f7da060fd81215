"""Extraction's pure parts on plain data: read plans, camera blocks, writers and their checks."""

from __future__ import annotations

import io
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import tifffile

from frames import deferred_frame
from rdc_extract.dataset.files import encode_png, read_png, write_png, write_tiff
from rdc_extract.dataset.writers import write_depth, write_normals, write_rgb, writer_for
from rdc_extract.errors import RdcExtractError
from rdc_extract.decode.depth import projection_from_near_far
from rdc_extract.extract.camera import camera_from_block
from rdc_extract.extract.drawids import scene_pass
from rdc_extract.extract.plan import choose_outputs, plan_reads
from rdc_extract.profiles.identify import identify
from rdc_extract.profiles.registry import resolve_profile


@pytest.fixture()
def city_game():
    return resolve_profile("city_game")


def test_plan_reads_gbuffer_at_its_end_and_rgb_at_the_final_image(city_game):
    found = identify(deferred_frame(markers=True), city_game)
    plan = plan_reads(found, city_game, choose_outputs(city_game, None))
    assert plan.reads == ((82, (10, 11, 12, 13, 20)), (84, (40,)))
    assert plan.camera_event == 82


def test_plan_reads_only_what_the_outputs_need(city_game):
    found = identify(deferred_frame(), city_game)
    assert plan_reads(found, city_game, ("rgb",)).reads == ((84, (40,)),)
    labels_only = plan_reads(found, city_game, ("labels",))
    assert labels_only.reads == ((82, (20,)),) and labels_only.camera_event is None


def test_unknown_outputs_are_refused_with_the_list(city_game):
    assert choose_outputs(city_game, ["depth", "rgb"]) == ("rgb", "depth")
    with pytest.raises(RdcExtractError, match="unknown output 'bogus'.*available: rgb, albedo"):
        choose_outputs(city_game, ["bogus"])


def test_outputs_a_profile_cannot_make_are_not_offered(city_game):
    generic = resolve_profile("generic")   # no class mapping: no labels
    assert choose_outputs(generic, None) == ("rgb", "albedo", "normals", "depth", "stencil")
    with pytest.raises(RdcExtractError, match="unknown output 'labels' for profile 'generic'"):
        choose_outputs(generic, ["labels"])
    assert choose_outputs(city_game, None)[-1] == "labels"


def test_a_depth_without_stencil_drops_stencil_and_labels_unless_asked(city_game):
    assert choose_outputs(city_game, None, has_stencil=False)[-1] == "depth"
    assert choose_outputs(city_game, ["stencil"], has_stencil=False) == ("stencil",)


def test_camera_from_block_reads_members_and_components(city_game):
    view, proj = np.eye(4) * 2, projection_from_near_far(0.1, 1000.0)
    block = {"view": view, "proj": proj, "near_far": np.array([[0.1, 1000.0, 1.0, 1.7]])}
    camera = camera_from_block(block, city_game.camera)
    assert np.array_equal(camera.view, view) and np.array_equal(camera.proj, proj)
    assert (camera.near_m, camera.far_m) == (pytest.approx(0.1), 1000.0)
    assert np.array_equal(camera.world_to_camera, np.diag([2.0, -2.0, -2.0, 2.0]))
    with pytest.raises(KeyError, match="no member 'view'"):
        camera_from_block({"proj": proj}, city_game.camera)


@pytest.mark.parametrize("shape", [(5, 7), (5, 7, 2), (5, 7, 3), (5, 7, 4)])
def test_png_round_trips_8_and_16_bit(tmp_path, shape):
    rng = np.random.default_rng(0)
    for dtype in (np.uint8, np.uint16):
        image = rng.integers(0, np.iinfo(dtype).max, size=shape, dtype=dtype, endpoint=True)
        write_png(tmp_path / "x.png", image)
        back = read_png(tmp_path / "x.png")
        assert back.dtype == dtype and np.array_equal(back, image)


def test_png_is_a_plain_png_of_the_array_s_depth_and_channels(tmp_path):
    """16-bit RGB stays 16-bit RGB in the file (what Pillow-based readers turn into 8 bits), 8-bit reads anywhere."""
    from PIL import Image

    write_png(tmp_path / "u16.png", np.full((2, 3, 3), 40000, np.uint16))
    header = (tmp_path / "u16.png").read_bytes()[:26]
    assert header[:8] == b"\x89PNG\r\n\x1a\n" and header[12:16] == b"IHDR"
    assert (header[24], header[25]) == (16, 2)   # bit depth 16, colour type RGB
    rgb = np.random.default_rng(1).integers(0, 256, (4, 5, 3), dtype=np.uint8)
    write_png(tmp_path / "u8.png", rgb)
    assert np.array_equal(np.asarray(Image.open(tmp_path / "u8.png")), rgb)
    write_png(tmp_path / "one.png", rgb[..., :1])
    assert read_png(tmp_path / "one.png").shape == (4, 5)


@pytest.mark.parametrize("channels", [1, 2, 3, 4])
def test_png_decodes_alike_in_libpng_and_pillow_and_is_as_small_as_libpng_s(channels):
    """The minimal container is a valid PNG (libpng checks every chunk's CRC), and its zlib-ng stream at
    PNG_LEVEL is at most 10 % larger than libpng's zlib at level 1 (the encoder it replaced) on image-like data."""
    import imagecodecs
    from PIL import Image

    rows, cols = np.mgrid[0:96, 0:128]
    image = np.stack([(rows * (c + 1) + cols // 3) % 256 for c in range(channels)], axis=-1).astype(np.uint8)
    image = image[..., 0] if channels == 1 else image
    encoded = encode_png(image)
    assert np.array_equal(imagecodecs.png_decode(encoded), image)
    assert np.array_equal(np.asarray(Image.open(io.BytesIO(encoded))), image)
    wide = image.astype(np.uint16) * 257
    assert np.array_equal(imagecodecs.png_decode(encode_png(wide)), wide)
    former = imagecodecs.png_encode(image, level=1, filter=imagecodecs.PNG.FILTER.NONE)
    assert len(encoded) <= 1.1 * len(former)


@pytest.mark.parametrize("shape", [(5, 7), (5, 7, 1), (5, 7, 2), (5, 7, 3), (5, 7, 4)])
def test_float_tiff_is_one_page_with_interleaved_channels_and_keeps_inf_and_nan(tmp_path, shape):
    """Two channels included: tifffile's default made an (H, W, 2) array H pages of W x 2 pixels."""
    import imagecodecs

    image = np.random.default_rng(2).standard_normal(shape).astype(np.float32)
    image.flat[:2] = np.inf, np.nan
    for dtype in (np.float16, np.float32):
        write_tiff(tmp_path / "x.tiff", image.astype(dtype))
        with tifffile.TiffFile(tmp_path / "x.tiff") as tiff:
            assert len(tiff.pages) == 1 and tiff.pages[0].shape[:2] == shape[:2]
            back = tiff.asarray()
        assert back.dtype == dtype and np.array_equal(back, image.astype(dtype), equal_nan=True)
        libtiff = imagecodecs.tiff_decode((tmp_path / "x.tiff").read_bytes())
        assert np.array_equal(libtiff.reshape(shape), image.astype(dtype), equal_nan=True)


def test_read_png_names_the_file_it_cannot_read(tmp_path):
    (tmp_path / "bad.png").write_bytes(b"not a png")
    with pytest.raises(ValueError, match=r"bad\.png: not a readable PNG"):
        read_png(tmp_path / "bad.png")


def test_depth_writer_keeps_inf_and_encodes_kitti(tmp_path):
    depth = np.array([[1.0, 10.5], [np.inf, 300.0]], dtype=np.float32)
    assert write_depth(tmp_path, depth) == {"depth": "depth.tiff", "depth_kitti": "depth_kitti.png"}
    assert np.array_equal(tifffile.imread(tmp_path / "depth.tiff"), depth)
    assert read_png(tmp_path / "depth_kitti.png").tolist() == [[256, 2688], [0, 65535]]


def test_normals_writer_zeroes_missing_pixels_in_the_png(tmp_path):
    normals = np.array([[[0.0, -1.0, 0.0], [np.nan, np.nan, np.nan]]], dtype=np.float32)
    write_normals(tmp_path, normals)
    assert read_png(tmp_path / "normals.png").tolist() == [[[32768, 0, 32768], [0, 0, 0]]]


def test_normals_writer_zeroes_a_pixel_with_any_missing_component_and_leaves_its_input_alone(tmp_path):
    normals = np.array([[[0.0, 1.0, 0.0], [np.nan, 5.0, 0.0], [0.0, 0.0, np.inf]]], dtype=np.float32)
    given = normals.copy()
    write_normals(tmp_path, normals)
    assert read_png(tmp_path / "normals.png").tolist() == [[[32768, 65535, 32768], [0, 0, 0], [0, 0, 0]]]
    assert normals.tobytes() == given.tobytes()
    assert tifffile.imread(tmp_path / "normals.tiff").tobytes() == given.tobytes()


def test_a_forked_process_writes_frames_with_threads_of_its_own():
    """The writer threads are started once per process: a child forked after the parent wrote must not queue
    its files to a copy of the parent's pool, whose threads it does not have."""
    script = textwrap.dedent("""
        import os
        from rdc_extract.extract.pipeline import _writer_pool
        assert _writer_pool(os.getpid()).submit(os.getpid).result() == os.getpid()
        child = os.fork()
        if child == 0:
            os._exit(0 if _writer_pool(os.getpid()).submit(lambda: 7).result(timeout=20) == 7 else 1)
        os._exit(os.waitstatus_to_exitcode(os.waitpid(child, 0)[1]))
    """)
    assert subprocess.run([sys.executable, "-c", script], timeout=60).returncode == 0


def test_normals_png_keeps_16_bits_per_channel(tmp_path):
    rng = np.random.default_rng(2)
    normals = rng.normal(size=(6, 8, 3)).astype(np.float32)
    normals /= np.linalg.norm(normals, axis=-1, keepdims=True)
    write_normals(tmp_path, normals)
    encoded = read_png(tmp_path / "normals.png")
    assert encoded.dtype == np.uint16 and encoded.shape == (6, 8, 3)
    assert np.abs(encoded / 65535.0 * 2 - 1 - normals).max() < 2 / 65535   # 8 bits would be off by ~1/255


@pytest.mark.parametrize(
    ("write", "array", "message"),
    [
        (write_rgb, np.zeros((2, 2, 3), np.float32), "rgb: expected dtype uint8"),
        (write_rgb, np.zeros((2, 2, 4), np.uint8), "expected 3 channels"),
        (write_depth, np.zeros((2, 2), np.float32), "positive metres"),
        (write_depth, np.ones((2, 2), np.float64), "expected dtype float32"),
        (writer_for("albedo"), np.zeros((2, 2, 3), np.int32), "albedo: expected dtype uint8/float16/float32"),
    ],
)
def test_writers_refuse_wrong_data_instead_of_clipping(tmp_path, write, array, message):
    with pytest.raises(ValueError, match=message):
        write(tmp_path, array)
    assert list(tmp_path.iterdir()) == []


def test_drawids_are_written_only_when_asked_for_and_only_then_planned(city_game):
    frame = deferred_frame()
    found = identify(frame, city_game)
    assert "drawids" not in choose_outputs(city_game, None)
    assert choose_outputs(city_game, ["depth", "drawids"]) == ("depth", "drawids")
    scene = scene_pass(frame, found)
    assert plan_reads(found, city_game, choose_outputs(city_game, None), scene).steps == ()
    planned = plan_reads(found, city_game, ("drawids",), scene)
    assert planned.steps == scene.events and planned.steps[0] == found.gbuffer_first_event - 1
    assert planned.step_targets == (10, 11, 12, 13, 20) and planned.reads == ()


def test_instances_are_written_only_when_asked_for_and_step_through_the_scene_like_drawids(city_game):
    frame = deferred_frame()
    found = identify(frame, city_game)
    assert "instances" not in choose_outputs(city_game, None)
    scene = scene_pass(frame, found)
    assert plan_reads(found, city_game, ("instances",), scene) == plan_reads(found, city_game, ("drawids",), scene)
