"""Replay one capture end to end and print a JSON verdict; run as a child process.

`python -m rdc_extract.rd.probe CAPTURE` opens the capture, moves to its last
event and reads one texture back. A native crash or hang then costs the child,
not the caller (doctor, tests).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from rdc_extract.errors import RdcExtractError
from rdc_extract.rd.loader import load_renderdoc
from rdc_extract.rd.session import open_capture


def probe(path: Path) -> dict:
    started = time.perf_counter()
    with open_capture(path) as session:
        controller = session.controller
        actions = controller.GetRootActions()
        last_event = actions[-1].eventId if actions else 0
        controller.SetFrameEvent(last_event, True)
        textures = controller.GetTextures()
        bytes_read = 0
        if textures:
            rd = load_renderdoc()
            bytes_read = len(controller.GetTextureData(textures[0].resourceId, rd.Subresource(0, 0, 0)))
        return {
            "ok": True,
            "api": session.api,
            "actions": len(actions),
            "textures": len(textures),
            "bytes_read": bytes_read,
            "seconds": round(time.perf_counter() - started, 3),
        }


def main() -> int:
    path = Path(sys.argv[1])
    try:
        verdict = probe(path)
    except RdcExtractError as exc:
        verdict = {"ok": False, "error": str(exc)}
    print(json.dumps(verdict))
    return 0 if verdict["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
