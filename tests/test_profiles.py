"""Profiles: validation on load, identification on plain frames, auto-detection."""

from __future__ import annotations

import shutil

import pytest

from frames import GBUFFER_FORMATS, deferred_frame
from rdc_extract.errors import IdentificationFailed, ProfileError
from rdc_extract.profiles.identify import identify
from rdc_extract.profiles.registry import available_profiles, detect_profile, pipelines_dir, resolve_profile
from rdc_extract.profiles.schema import load_profile

GAME_PROFILE = f"""
[profile]
name = "testgame"

[match]
apis = ["OpenGL"]
markers_any = ["GBufferPass"]
gbuffer_colour_formats = {GBUFFER_FORMATS!r}

[gbuffer]
min_colour_targets = 4
marker = "GBufferPass"

[gbuffer.targets]
albedo = {{ slot = 0, encoding = "srgb" }}
normals = {{ slot = 1, encoding = "unorm_xyz", space = "world" }}
emissive = {{ slot = 3 }}

[final_image]
strategies = ["hud_marker", "fullscreen_run"]
hud_marker = "HUD"
fullscreen_max_vertices = 3
"""


@pytest.fixture()
def game_profile(tmp_path):
    path = tmp_path / "testgame.toml"
    path.write_text(GAME_PROFILE)
    return load_profile(path)


@pytest.fixture()
def generic():
    return resolve_profile("generic")


def test_identifies_gbuffer_roles_and_final_image(game_profile):
    found = identify(deferred_frame(), game_profile)
    assert found.gbuffer_pass == 1
    assert (found.gbuffer_first_event, found.gbuffer_last_event) == (32, 82)
    assert found.target_roles == {"albedo": 10, "normals": 11, "emissive": 13}
    assert found.depth_target == 20 and found.back_buffer == 40
    assert (found.final_image_event, found.first_hud_event) == (84, 85)
    assert "HUD" in found.final_image_rule


def test_without_markers_final_image_is_the_fullscreen_run(game_profile, generic):
    frame = deferred_frame(markers=False)
    for profile in (game_profile, generic):
        found = identify(frame, profile)
        assert found.gbuffer_pass == 1
        assert (found.final_image_event, found.first_hud_event) == (84, 85)
        assert "full-screen" in found.final_image_rule


def test_rejections_say_why_each_pass_was_not_the_gbuffer(game_profile):
    candidates = identify(deferred_frame(), game_profile).candidates
    shadow, gbuffer, lighting = candidates[0], candidates[1], candidates[2]
    assert gbuffer.accepted
    assert not shadow.accepted
    assert "0 colour targets (needs ≥ 4)" in shadow.reasons
    assert "depth target D32 has no stencil" in shadow.reasons
    assert any("≠ back buffer 640x360" in r for r in shadow.reasons)
    assert "no depth-stencil target" in lighting.reasons


def test_failure_carries_every_candidate(game_profile):
    frame = deferred_frame()
    frame.passes = [p for p in frame.passes if p.index != 1]
    with pytest.raises(IdentificationFailed) as caught:
        identify(frame, game_profile)
    assert "no pass qualifies as the G-buffer" in str(caught.value) and "test.rdc" in str(caught.value)
    assert len(caught.value.candidates) == 4


def test_auto_detection_prefers_the_matching_game_profile(game_profile, generic):
    detection = detect_profile(deferred_frame(), [generic, game_profile])
    assert detection.profile.name == "testgame"
    assert "API OpenGL" in detection.why and "marker 'GBufferPass'" in detection.why


def test_auto_detection_falls_back_to_generic_and_says_why(game_profile, generic):
    frame = deferred_frame()
    frame.api = "Vulkan"
    detection = detect_profile(frame, [generic, game_profile])
    assert detection.profile.name == "generic"
    assert "testgame: API Vulkan not in ['OpenGL']" in detection.why


def test_shipped_profiles_all_load():
    names = {p.name for p in available_profiles()}
    assert {"generic"} <= names
    assert pipelines_dir().name == "pipelines"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[profile]\nname = 'x'\n[gbuffer]\nmin_colour_targets = 'four'", "[gbuffer].min_colour_targets: expected an integer ≥ 1, got 'four'"),
        ("[profile]\nname = 'x'\n[gbuffer]\nchoose = 'biggest'", "[gbuffer].choose: expected one of most_draws, last, first"),
        ("[profile]\nname = 'x'\n[depth]\nclip_range = 'zero-one'", "[depth].clip_range: expected one of zero_to_one"),
        ("[profile]\nname = 'x'\n[gbufer]\n", "unknown key 'gbufer'"),
        ("[profile]\nname = 'x'\n[gbuffer.targets]\na = { slot = 0 }\nb = { slot = 0 }", "a slot not already used by 'a'"),
        ("[profile]\nname = 'x'\n[stencil]\nclasses = 'nope.toml'", "[stencil].classes: expected a class-mapping file"),
        ("[profile]\nname = 'x'\n[gbuffer.targets]\nnormals = { slot = 1, encoding = 'hdr' }",
         "[gbuffer.targets.normals].encoding: expected one of unorm_xyz, float_xyz, octahedral"),
        ("[profile]\nname = 'x'\n[gbuffer.targets]\nnormals = { slot = 1, encoding = 'xy_unorm', space = 'world' }",
         "[gbuffer.targets.normals].space: expected 'view' with encoding 'xy_unorm', which stores only the hemisphere"),
        ("[profile]\nname = 'x'\n[gbuffer.targets]\nalbedo = { slot = 0, encoding = 'octahedral' }",
         "[gbuffer.targets.albedo].encoding: expected one of srgb, linear, hdr"),
        ("[profile]\nname = 'x'\n[camera]\nnear = 'near_far.q'", "[camera].near: expected a member name, optionally"),
        ("[profile]\nname = 'x'\n[stencil]\nclass_mask = 7", "unknown key 'class_mask'"),
        ("[profile]\n", "[profile].name: expected a profile name"),
        ("[profile]\nname = 'x'\n[gbuffer.targets]\n'../../../tmp/x' = { slot = 0 }",
         "[gbuffer.targets]: expected a role name of lowercase letters, digits and _"),
        ("[profile]\nname = 'x'\n[gbuffer.targets]\n'/tmp/x' = { slot = 0 }", "got '/tmp/x'"),
        ("[profile]\nname = 'x'\n[gbuffer.targets]\n'a/b' = { slot = 0 }", "got 'a/b'"),
        ("[profile]\nname = 'x'\n[gbuffer.targets]\nlabels = { slot = 0 }",
         "[gbuffer.targets]: expected a role name that is not one of the tool's own outputs or files"),
        ("[profile]\nname = 'x'\n[gbuffer.targets]\ndepth = { slot = 0 }", "own outputs or files (depth, "),
        ("[profile]\nname = 'x'\n[gbuffer]\nmin_colour_targets = 2\n[gbuffer.targets]\nalbedo = { slot = 2 }",
         "[gbuffer.targets.albedo].slot: expected a slot below [gbuffer].min_colour_targets = 2"),
        ("[profile\n", "not valid TOML"),
        ("[profile]\nname = 'x'\n[instances]\nblock = 'ObjectConstants'",
         "[instances].member: expected the name of the block's member whose value tells objects apart"),
        ("[profile]\nname = 'x'\n[instances]\nmember = 'world'",
         "[instances].block: expected the name of the constant block that holds the member, got None"),
        ("[profile]\nname = 'x'\n[instances]\nblock = 'ObjectConstants'\nmember = ''", "[instances].member: expected"),
        ("[profile]\nname = 'x'\n[instances]\nmerge = 'world'", "unknown key 'merge'"),
    ],
)
def test_invalid_profiles_name_file_and_key(tmp_path, text, message):
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(ProfileError) as caught:
        load_profile(path)
    assert str(caught.value).startswith(f"{path}: ")
    assert message in str(caught.value) and "\n" not in str(caught.value)


def test_unknown_profile_name_lists_available():
    with pytest.raises(ProfileError, match="no profile named 'nosuch' \\(available: .*generic"):
        resolve_profile("nosuch")


def test_profile_hash_covers_its_content_and_class_mapping_not_comments(tmp_path):
    shutil.copytree(pipelines_dir(), tmp_path / "pipelines")
    path = tmp_path / "pipelines" / "city_game.toml"
    first = load_profile(path).sha256
    path.write_text("# a comment changes nothing\n" + path.read_text())
    assert load_profile(path).sha256 == first
    path.write_text(path.read_text().replace('albedo = { slot = 0, encoding = "srgb" }',
                                             'albedo = { slot = 0, encoding = "linear" }'))
    edited = load_profile(path).sha256
    assert edited != first
    classes = tmp_path / "pipelines" / "classes" / "city_game.toml"
    classes.write_text(classes.read_text().replace('name = "road"', 'name = "street"', 1))
    assert load_profile(path).sha256 not in (first, edited)
