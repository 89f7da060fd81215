"""Names that become paths: frame ids from any capture path, role names, and names shown or written as text."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from rdc_extract.dataset.names import (
    MAX_FRAME_ID_BYTES, RESERVED_ROLE_NAMES, frame_id, is_safe_component, role_name_problem, shown, utf8_text,
)
from rdc_extract.dataset.publish import StagedFrame
from rdc_extract.dataset.writers import WRITERS, gbuffer_target_writer
from rdc_extract.errors import ExtractionFailed
from rdc_extract.extract.compute import RawFrame, compute_outputs
from rdc_extract.profiles.identify import Identification
from rdc_extract.profiles.schema import GBufferRules, Profile, TargetRole

NASTY = ["..rdc", ".rdc", "...rdc", ".hidden.rdc", "", ".", "..", "/", "a/../b.rdc", "a\x00b.rdc", "x\ny.rdc",
         "tab\t.rdc", "\x1b[31mred.rdc", os.fsdecode(b"bad\xff.rdc"), os.fsdecode(b"\xc3.rdc"), "\ud800.rdc",
         "a" * 400 + ".rdc", "é" * 300, "d/" * 100 + "c.rdc", "\u202eevil.rdc", "a\u2028b.rdc"]


@pytest.mark.parametrize("relative", NASTY)
def test_every_frame_id_is_one_safe_folder_name(relative):
    made = frame_id(relative)
    assert is_safe_component(made, MAX_FRAME_ID_BYTES), made
    assert made not in (".", "..") and Path("frames", made).parent == Path("frames")
    assert frame_id(relative) == made


@pytest.mark.parametrize(("relative", "expected"), [
    ("day/cap_0001.rdc", "day__cap_0001"), ("cap.rdc", "cap"), ("a/b/c.RDC", "a__b__c"), ("é 1.rdc", "é 1"),
    ("..rdc", "%2E"), ("...rdc", "%2E."), (".rdc", "%2Erdc"), (".hidden.rdc", "%2Ehidden"),
    (os.fsdecode(b"bad\xff.rdc"), "bad%FF"), ("x\ny.rdc", "x%0Ay"), ("", "_"),
])
def test_frame_id_keeps_ordinary_names_and_escapes_the_rest(relative, expected):
    assert frame_id(relative) == expected


def test_long_frame_ids_are_cut_and_stay_distinct():
    first, second = frame_id("a" * 300 + "1.rdc"), frame_id("a" * 300 + "2.rdc")
    assert first != second
    assert len(first.encode()) == MAX_FRAME_ID_BYTES and first.startswith("a" * 100)


@pytest.mark.parametrize("name", ["", ".", "..", ".x", "a/b", "/", "a\x00b", "a\nb", os.fsdecode(b"\xff"), "a" * 256])
def test_unsafe_components(name):
    assert not is_safe_component(name)


@pytest.mark.parametrize("bad_id", [".", "..", "", "a/b", "../x", ".hidden"])
def test_staged_frame_refuses_an_unsafe_frame_id(tmp_path, bad_id):
    with pytest.raises(ValueError, match="not a safe folder name"):
        StagedFrame(tmp_path, bad_id, "tag")


@pytest.mark.parametrize("name", ["../../../tmp/x", "/tmp/x", "a/b", "labels", "depth", "rgb", "stencil", "meta",
                                  "labels_color", "depth_kitti", "Albedo", ""])
def test_role_names_that_would_leave_or_overwrite_the_frame_folder_are_refused(tmp_path, name):
    assert role_name_problem(name)
    with pytest.raises(ValueError, match="G-buffer target"):
        gbuffer_target_writer(name)(tmp_path, np.zeros((2, 2, 3), np.uint8))
    assert list(tmp_path.iterdir()) == []


def test_every_file_a_fixed_writer_writes_is_a_reserved_role_name(tmp_path):
    arrays = {"rgb": np.zeros((2, 2, 3), np.uint8), "depth": np.ones((2, 2), np.float32),
              "normals": np.full((2, 2, 3), np.nan, np.float32), "stencil": np.zeros((2, 2), np.uint8)}
    for name, write in WRITERS.items():
        for key, file in write(tmp_path, arrays[name]).items():
            assert {key, file.rsplit(".", 1)[0]} - {"normals"} <= RESERVED_ROLE_NAMES
    assert role_name_problem("normals") is None and role_name_problem("albedo") is None


def test_a_role_in_a_slot_the_gbuffer_pass_does_not_bind_fails_the_extraction():
    profile = Profile("game", Path("game.toml"), gbuffer=GBufferRules(targets=(TargetRole("albedo", 3),)))
    found = Identification("game", 2, 10, 20, {}, 0, 1, 30, 1, None, "rule", [])
    with pytest.raises(ExtractionFailed, match="'albedo' in colour slot 3, which the G-buffer pass \\(#2\\) does not bind"):
        compute_outputs(RawFrame("Vulkan", {}, {}, None), found, profile, ("albedo",), "cap.rdc")


def test_names_of_any_bytes_are_shown_escaped_and_written_as_utf8():
    name = os.fsdecode(b"bad\xff\x1b[31m\n.rdc")
    assert shown(name) == "bad\\xff\\x1b[31m\\n.rdc"
    assert utf8_text(f"{name},é\r\n") == "bad\\xff\x1b[31m\n.rdc,é\r\n"
    assert shown("plain é.rdc") == "plain é.rdc"
