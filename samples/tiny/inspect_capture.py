"""Replay one capture and report its textures, actions and (optionally) raw texture bytes.

Meant to run in its own process (a native crash in replay then fails one call,
not the caller):

    python samples/tiny/inspect_capture.py CAPTURE.rdc [--dump DIR] [--pick]

Prints one JSON object on stdout:
  api, textures: [{id, name, width, height, format: {...}, data_bytes}],
  actions: the action tree (eventId, name, flags, outputs, depth_out, children).
With --dump DIR, writes each texture's `GetTextureData(id, Subresource(0, 0, 0))`
at the frame's last event to DIR/<id>.bin. With --pick, adds for every texture
the `PickPixel` result at the centre of each quadrant (top-down coordinates).
Only GetTextureData and PickPixel are used: SaveTexture and GetMinMax crash on
Vulkan captures in RenderDoc 1.24.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from rdc_extract.rd.session import open_capture


def resource_int(resource_id) -> int:
    """RenderDoc's ResourceId as a plain int ("ResourceId::26" -> 26)."""
    return int(str(resource_id).rsplit(":", 1)[-1])


def format_record(fmt) -> dict:
    return {
        "name": fmt.Name(),
        "type": fmt.type.name,
        "compType": fmt.compType.name,
        "compCount": fmt.compCount,
        "compByteWidth": fmt.compByteWidth,
        "BGRAOrder": bool(fmt.BGRAOrder()),
        "SRGBCorrected": bool(fmt.SRGBCorrected()),
    }


def action_record(action, structured_file) -> dict:
    return {
        "eventId": action.eventId,
        "name": action.GetName(structured_file),
        "flags": str(action.flags),
        "outputs": [resource_int(o) for o in action.outputs if resource_int(o) != 0],
        "depth_out": resource_int(action.depthOut),
        "children": [action_record(child, structured_file) for child in action.children],
    }


def last_event(actions) -> int:
    event = 0
    for action in actions:
        event = max(event, action.eventId, last_event(action.children))
    return event


def pick_quadrants(rd, controller, texture) -> dict:
    picks = {}
    w, h = texture.width, texture.height
    centres = {
        "top_left": (w // 4, h // 4),
        "top_right": (3 * w // 4, h // 4),
        "bottom_left": (w // 4, 3 * h // 4),
        "bottom_right": (3 * w // 4, 3 * h // 4),
    }
    for name, (x, y) in centres.items():
        value = controller.PickPixel(texture.resourceId, x, y, rd.Subresource(0, 0, 0), rd.CompType.Typeless)
        picks[name] = {
            "xy": [x, y],
            "float": list(value.floatValue),
            "uint": list(value.uintValue),
        }
    return picks


def inspect(capture: Path, dump: Path | None, pick: bool) -> dict:
    with open_capture(capture) as session:
        controller = session.controller
        rd = sys.modules["renderdoc"]
        structured_file = controller.GetStructuredFile()
        actions = controller.GetRootActions()
        controller.SetFrameEvent(last_event(actions), True)
        names = {resource_int(r.resourceId): r.name for r in controller.GetResources()}
        textures = []
        for texture in controller.GetTextures():
            ident = resource_int(texture.resourceId)
            data = controller.GetTextureData(texture.resourceId, rd.Subresource(0, 0, 0))
            record = {
                "id": ident,
                "name": names.get(ident, ""),
                "width": texture.width,
                "height": texture.height,
                "format": format_record(texture.format),
                "data_bytes": len(data),
            }
            if dump is not None:
                dump.mkdir(parents=True, exist_ok=True)
                (dump / f"{ident}.bin").write_bytes(bytes(data))
            if pick and session.api == "Vulkan":
                record["pick"] = "skipped: PickPixel crashes the process on Vulkan captures (RenderDoc 1.24)"
            elif pick:
                record["pick"] = pick_quadrants(rd, controller, texture)
            textures.append(record)
        return {
            "capture": str(capture),
            "api": session.api,
            "textures": textures,
            "actions": [action_record(a, structured_file) for a in actions],
        }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("capture", type=Path)
    parser.add_argument("--dump", type=Path, help="write raw GetTextureData bytes to DIR/<id>.bin")
    parser.add_argument("--pick", action="store_true", help="PickPixel at each quadrant's centre")
    args = parser.parse_args(argv)
    json.dump(inspect(args.capture, args.dump, args.pick), sys.stdout, indent=1)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
