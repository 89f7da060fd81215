"""Replay one capture to its last event and report (optionally dump) every texture; run as a child process.

    python -m rdc_extract.rd.dump CAPTURE [--out DIR]

Prints one JSON line: `{"ok": true, "capture", "api", "actions": [tree],
"textures": [{id, name, width, height, format, data_bytes}], "seconds"}`, or
`{"ok": false, "error"}` with exit code 1 for a capture rdc-extract rejects.
`format` is the plain `TextureFormat` the decoders take; with `--out`, each
texture's `GetTextureData(id, Subresource(0, 0, 0))` bytes land in
`DIR/<id>.bin`. `doctor` checks replay with it, and the tests read known values
through it: in a child process, a native crash or hang costs the child, not the
caller. Only GetTextureData reads pixels (readback.py says why).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from pathlib import Path
from typing import Any

from rdc_extract.errors import RdcExtractError
from rdc_extract.rd.formats import texture_format
from rdc_extract.rd.loader import load_renderdoc
from rdc_extract.rd.session import exit_after_replay, open_capture


def _action_tree(action: Any, structured: Any) -> dict[str, Any]:
    return {
        "eventId": action.eventId,
        "name": action.GetName(structured),
        "flags": str(action.flags),
        "outputs": [int(output) for output in action.outputs if int(output)],
        "depth_out": int(action.depthOut),
        "children": [_action_tree(child, structured) for child in action.children],
    }


def _last_event(tree: list[dict[str, Any]]) -> int:
    return max([0] + [max(node["eventId"], _last_event(node["children"])) for node in tree])


def dump_capture(capture: Path, out: Path | None = None) -> dict[str, Any]:
    """Replay `capture` to its last event; describe every texture and write its bytes under `out`."""
    started = time.perf_counter()
    rd = load_renderdoc()
    with open_capture(capture) as session:
        controller = session.controller
        structured = controller.GetStructuredFile()
        actions = [_action_tree(action, structured) for action in controller.GetRootActions()]
        controller.SetFrameEvent(_last_event(actions), True)
        names = {int(resource.resourceId): resource.name for resource in controller.GetResources()}
        textures = []
        for texture in session.textures:
            ident = int(texture.resourceId)
            data = controller.GetTextureData(texture.resourceId, rd.Subresource(0, 0, 0))
            if out is not None:
                out.mkdir(parents=True, exist_ok=True)
                (out / f"{ident}.bin").write_bytes(bytes(data))
            textures.append({
                "id": ident, "name": names.get(ident, ""), "width": texture.width, "height": texture.height,
                "format": dataclasses.asdict(texture_format(texture.format)), "data_bytes": len(data),
            })
        return {"ok": True, "capture": str(capture), "api": session.api, "actions": actions,
                "textures": textures, "seconds": round(time.perf_counter() - started, 3)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("capture", type=Path)
    parser.add_argument("--out", type=Path, help="write each texture's raw bytes to OUT/<id>.bin")
    args = parser.parse_args(argv)
    try:
        report = dump_capture(args.capture, args.out)
    except RdcExtractError as exc:
        report = {"ok": False, "error": str(exc)}
    print(json.dumps(report))
    return 0 if report["ok"] else 1


if __name__ == "__main__":
    code = main()
    exit_after_replay(code)
    sys.exit(code)
