"""The renderer-variant captures (samples/variants/, no markers, no names) identified without a profile:
the answers equal their expected.json."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rdc_extract.inspect import inspect_capture
from rdc_extract.profiles.registry import identify_with, resolve_profile
from samples.variant_answers import RENDERERS
from tests.replay_available import needs_renderdoc

VARIANTS = Path(__file__).resolve().parents[1] / "samples" / "variants"

pytestmark = needs_renderdoc


@pytest.mark.parametrize("renderer", RENDERERS)
def test_identified_from_structure_as_expected(renderer: str) -> None:
    expected = json.loads((VARIANTS / f"{renderer}.expected.json").read_text())
    inspection = inspect_capture(VARIANTS / expected["capture"])
    assert inspection.failure is None, inspection.failure
    found = identify_with(inspection.frame, resolve_profile("generic"))
    if renderer != "deferred":   # deferred is the sample game's own pipeline: its profile matches it
        assert inspection.detection.profile.name == "generic"
        assert vars(inspection.detection.identification) == vars(found)
    passes = {p["name"]: p for p in expected["passes"]}
    if expected["gbuffer_pass"] is None:
        assert found.gbuffer_pass is None and found.target_roles == {}
        assert found.evidence[0].startswith("no G-buffer: forward renderer")
    else:
        gbuffer = passes[expected["gbuffer_pass"]]
        assert (found.gbuffer_first_event, found.gbuffer_last_event) == (gbuffer["first_event"], gbuffer["last_event"])
        assert list(inspection.frame.passes[found.gbuffer_pass].colour_targets) == [
            t["resource_id"] for t in gbuffer["colour_targets"]]
    assert found.depth_target == expected["scene_depth"]["resource_id"]
    assert found.depth_event == expected["scene_depth"]["complete_after_event"]
    assert found.final_image_target == expected["pre_ui_image"]["resource_id"]
    assert found.final_image_event == expected["pre_ui_image"]["complete_after_event"]
    assert found.first_hud_event == expected["first_ui_event"]
    if "blit" in expected:
        assert f"#{expected['blit']['source']['resource_id']}" in found.final_image_rule
