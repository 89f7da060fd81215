"""The known answers of the renderer-variant captures in samples/variants/, as JSON.

    python -m samples.variant_answers samples/variants   # rewrite every <renderer>.expected.json

Which events and resources are the G-buffer, the scene depth, the image before the UI, the blit and
the UI, plus the conventions (clip range, depth direction, handedness, normal encoding) a later
profile-free identification has to find. The frame structure of each renderer is declared here (the
game knows how it draws); the event and resource ids come from replaying the capture
(`python -m rdc_extract.rd.dump`, in a child process), and the replayed action list must follow the
declared structure exactly or nothing is written.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

RENDERERS = ("deferred", "deferred2", "forward")
SCHEMA = "rdc-extract/variant-answers"

# renderdoc.ActionFlags values (RenderDoc 1.24)
CLEAR, DRAWCALL, COPY, RESOLVE = 0x1, 0x2, 0x200, 0x400


@dataclass(frozen=True)
class Step:
    """One pass of a frame: `actions` draws/clears/copies in a row with the same outputs (None = as many as
    share the first one's outputs, leaving enough for the steps after it); `kind` is what they all are."""

    name: str
    actions: int | None
    kind: str  # "draws" (clears allowed before them), "blit"


FRAMES: dict[str, tuple[Step, ...]] = {
    "deferred": (Step("ShadowPass", None, "draws"), Step("GBufferPass", None, "draws"), Step("Lighting", 1, "draws"),
                 Step("Sky", 1, "draws"), Step("PostFX", 1, "draws"), Step("HUD", 3, "draws")),
    "deferred2": (Step("GBuffer", None, "draws"), Step("Lighting", 1, "draws"), Step("Tonemap", 1, "draws"),
                  Step("Present", 1, "blit"), Step("UI", 3, "draws")),
    "forward": (Step("Opaque", None, "draws"), Step("Sky", 1, "draws"), Step("UI", 3, "draws")),
}

# Which pass holds what: (G-buffer pass or None, pass whose depth target is the scene depth,
# pass after whose last event the back buffer holds the finished image before the UI).
ROLES: dict[str, tuple[str | None, str, str]] = {
    "deferred": ("GBufferPass", "GBufferPass", "PostFX"),
    "deferred2": ("GBuffer", "GBuffer", "Present"),
    "forward": (None, "Opaque", "Sky"),
}

_COMMON = {"near_m": 0.1, "far_m": 1000.0, "fov_y_deg": 60.0, "markers": False, "resource_names": False}
CONVENTIONS: dict[str, dict[str, Any]] = {
    "deferred": {
        **_COMMON, "clip_range": "0..1 (glClipControl ZERO_TO_ONE)", "depth": "reversed: 1 at near, 0 at far",
        "depth_clear": 0.0, "depth_func": "GREATER", "handedness": "right", "world_up": "+Z", "view_forward": "-Z",
        "stencil": "class per draw (docs/sample_game.md)",
        "gbuffer_targets": ["albedo, sRGB-encoded; a = 1", "world-space normal * 0.5 + 0.5; a = 1",
                            "roughness, metallic, wettable, 1", "emissive radiance; a = 1 if lit only at night"],
        "normal_encoding": "world space, n * 0.5 + 0.5 in RGB10_A2",
    },
    "deferred2": {
        **_COMMON, "clip_range": "-1..1 (GL default)", "depth": "conventional: 0 at near, 1 at far",
        "depth_clear": 1.0, "depth_func": "LESS", "handedness": "left", "world_up": "+Y", "view_forward": "+Z",
        "stencil": "unused (cleared to 0)",
        "gbuffer_targets": ["albedo with gamma 1/2.2; a = roughness", "view-space normal, spheremap encoded"],
        "normal_encoding": "view space, Lambert azimuthal (spheremap) with its pole at -Z: "
                           "enc = n.xy / sqrt(8 - 8 n.z) + 0.5; f = enc * 4 - 2, d = dot(f, f), "
                           "n = (f * sqrt(1 - d / 4), d / 2 - 1)",
        "off_screen_final_image": True,
    },
    "forward": {
        **_COMMON, "clip_range": "-1..1 (GL default)", "depth": "conventional: 0 at near, 1 at far",
        "depth_clear": 1.0, "depth_func": "LESS", "handedness": "right", "world_up": "+Z", "view_forward": "-Z",
        "stencil": "unused (cleared to 0)", "gbuffer_targets": [], "normal_encoding": None,
        "off_screen_final_image": False,
    },
}


class StructureError(ValueError):
    """The replayed actions do not follow the renderer's declared frame."""


def _flat(actions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for action in actions:
        out.append(action)
        out.extend(_flat(action["children"]))
    return out


def _kind(action: dict[str, Any]) -> str | None:
    flags = int(action["flags"])
    if flags & CLEAR:
        return "clear"
    if flags & DRAWCALL:
        return "draw"
    if flags & (COPY | RESOLVE):
        return "blit"
    return None  # glFinish, end of capture


def _targets(action: dict[str, Any]) -> tuple[tuple[int, ...], int]:
    return tuple(action["outputs"]), action["depth_out"]


def split_passes(renderer: str, actions: list[dict[str, Any]]) -> list[tuple[Step, list[dict[str, Any]]]]:
    """The frame's actions assigned to the declared steps, in order; StructureError if they do not fit."""
    work = [a for a in _flat(actions) if _kind(a)]
    steps, out, k = FRAMES[renderer], [], 0
    for index, step in enumerate(steps):
        later = sum(s.actions or 1 for s in steps[index + 1:])
        if step.actions is None:
            end = k
            while end < len(work) - later and _targets(work[end]) == _targets(work[k]):
                end += 1
        else:
            end = k + step.actions
        chunk = work[k:end]
        if not chunk or end > len(work):
            raise StructureError(f"{renderer}: no actions left for {step.name}")
        kinds = [_kind(a) for a in chunk]
        wanted = {"blit"} if step.kind == "blit" else {"clear", "draw"}
        if set(kinds) - wanted or (step.kind == "draws" and kinds[-1] != "draw"):
            raise StructureError(f"{renderer}: {step.name} has {kinds}")
        if len({_targets(a) for a in chunk}) != 1:
            raise StructureError(f"{renderer}: {step.name} changes render targets")
        out.append((step, chunk))
        k = end
    if k != len(work):
        raise StructureError(f"{renderer}: {len(work) - k} actions after {steps[-1].name}")
    return out


def answers(renderer: str, dump: dict[str, Any], capture: str, ground_truth: str) -> dict[str, Any]:
    """The expected.json content for `renderer` from an rdc_extract.rd.dump report of its capture."""
    textures = {t["id"]: t for t in dump["textures"]}

    def texture(ident: int) -> dict[str, Any]:
        t = textures[ident]
        return {"resource_id": ident, "format": t["format"]["name"], "width": t["width"], "height": t["height"]}

    passes = []
    for step, chunk in split_passes(renderer, dump["actions"]):
        outputs, depth = _targets(chunk[0])
        kinds = [_kind(a) for a in chunk]
        passes.append({
            "name": step.name, "first_event": chunk[0]["eventId"], "last_event": chunk[-1]["eventId"],
            "clears": kinds.count("clear"), "draws": kinds.count("draw"), "blits": kinds.count("blit"),
            "colour_targets": [texture(t) for t in outputs], "depth_target": texture(depth) if depth else None,
        })
    by_name = {p["name"]: p for p in passes}
    gbuffer, depth_pass, image_pass = ROLES[renderer]
    image = by_name[image_pass]
    ui = passes[-1]
    result: dict[str, Any] = {
        "schema": SCHEMA, "schema_version": 1, "renderer": renderer, "capture": capture,
        "ground_truth": ground_truth, "api": dump["api"], "conventions": CONVENTIONS[renderer],
        "passes": passes, "gbuffer_pass": gbuffer,
        "scene_depth": {**by_name[depth_pass]["depth_target"],
                        "complete_after_event": by_name[depth_pass]["last_event"]},
        "pre_ui_image": {**image["colour_targets"][0], "complete_after_event": image["last_event"]},
        "first_ui_event": ui["first_event"], "ui_draws": ui["draws"],
        "texture_names": sorted({t["name"] for t in dump["textures"]}),
    }
    if renderer == "deferred2":
        source = by_name["Tonemap"]["colour_targets"][0]
        result["blit"] = {"event": image["first_event"], "source": source,
                          "destination": image["colour_targets"][0]}
    return result


def dump_capture(capture: Path) -> dict[str, Any]:
    """Replay `capture` in a child process (rdc_extract.rd.dump) and return its report."""
    repo = Path(__file__).resolve().parents[1]
    done = subprocess.run([sys.executable, "-m", "rdc_extract.rd.dump", str(capture)], cwd=repo, check=True,
                          capture_output=True, text=True, timeout=300,
                          env={**os.environ, "PYTHONPATH": str(repo)})
    return json.loads(done.stdout.strip().splitlines()[-1])


def the_capture(folder: Path) -> Path:
    captures = sorted(folder.glob("*.rdc"))
    if len(captures) != 1:
        raise SystemExit(f"{folder}: expected one .rdc, found {len(captures)}")
    return captures[0]


def main(argv: list[str] | None = None) -> int:
    root = Path((argv or sys.argv[1:] or ["samples/variants"])[0])
    for renderer in RENDERERS:
        capture = the_capture(root / renderer)
        sidecar = json.loads(capture.with_suffix(".json").read_text())
        result = answers(renderer, dump_capture(capture), f"{renderer}/{capture.name}",
                         f"{renderer}/{sidecar['ground_truth']}")
        path = root / f"{renderer}.expected.json"
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(json.dumps(result, indent=2) + "\n")
        os.replace(tmp, path)
        print(f"{path}: {len(result['passes'])} passes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
