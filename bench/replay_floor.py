"""The replay floor: the least any extraction of a capture must do, with no rdc_extract code at all.

    python bench/replay_floor.py PLAN.json              # warm: one process, replay initialised once
    python bench/replay_floor.py PLAN.json --only N     # cold: just the N-th capture (time the process from outside)

PLAN.json is a list of captures, each
    {"capture": PATH, "reads": [[EVENT_ID, [RESOURCE_ID, ...]], ...], "block": [EVENT_ID, NAME] or null}
where a texture the replay itself creates (an OpenGL window's default framebuffer) is given by its name
instead of its id: RenderDoc numbers those afresh in every replay.
Per capture: open it, `SetFrameEvent` to each event in order, `GetTextureData` of each listed texture
there (mip 0, slice 0, sample 0), read the named constant block at its event when given, close.
The benches take the events and resource ids from the frame's meta.json, so this script reads
exactly what extraction reads, without reading the action tree or identifying anything.

Prints one JSON line per capture, `{"capture", "seconds", "bytes", "rss_mb", "finished_at"}` (seconds from
open to close; rss_mb is the resident memory after closing; finished_at the Unix time after closing), then shuts replay down and leaves with
`os._exit` (a plain interpreter exit after RenderDoc costs more than the replay of a small capture).
Deliberately imports nothing from rdc_extract: it is the independent yardstick.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import sys
import time

RENDERDOC_MODULE = os.environ.get("RENDERDOC_PYTHON", "/usr/lib/python3/dist-packages/renderdoc.so")
# RenderDoc 1.24 sets these (turning implicit Vulkan layers off) from a background thread while it opens a
# capture, which now and then crashes the process (SIGSEGV); set before replay starts, they are only replaced.
VULKAN_LAYER_SWITCHES = {
    "DISABLE_LAYER_AMD_SWITCHABLE_GRAPHICS_1": "1", "DISABLE_LAYER_NV_OPTIMUS_1": "", "DISABLE_RTSS_LAYER": "1",
    "DISABLE_VULKAN_OBS_CAPTURE": "1", "DISABLE_VULKAN_OW_OBS_CAPTURE": "1", "ENABLE_VULKAN_RENDERDOC_CAPTURE": "0",
    "NODEVICE_SELECT": "1", "VK_LAYER_bandicam_helper_DEBUG_1": "1",
}


def load_renderdoc():
    spec = importlib.util.spec_from_file_location("renderdoc", RENDERDOC_MODULE)
    module = importlib.util.module_from_spec(spec)
    sys.modules["renderdoc"] = module
    spec.loader.exec_module(module)
    return module


def rss_mb() -> float:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def read_block(rd, controller, name: str) -> None:
    state = controller.GetPipelineState()
    for stage in (rd.ShaderStage.Vertex, rd.ShaderStage.Pixel):
        reflection = state.GetShaderReflection(stage)
        if reflection is None:
            continue
        for slot, block in enumerate(reflection.constantBlocks):
            if block.name == name:
                bound = state.GetConstantBuffer(stage, slot, 0)  # RenderDoc 1.24's name
                controller.GetCBufferVariableContents(
                    state.GetGraphicsPipelineObject(), reflection.resourceId, stage,
                    state.GetShaderEntryPoint(stage), slot, bound.resourceId, bound.byteOffset, bound.byteSize)
                return


def replay(rd, item: dict) -> int:
    capture = rd.OpenCaptureFile()
    result = capture.OpenFile(item["capture"], "", None)
    if result.code != rd.ResultCode.Succeeded:
        raise RuntimeError(f"{item['capture']}: {result.Message()}")
    result, controller = capture.OpenCapture(rd.ReplayOptions(), None)
    if result.code != rd.ResultCode.Succeeded:
        raise RuntimeError(f"{item['capture']}: {result.Message()}")
    ids = {int(texture.resourceId): texture.resourceId for texture in controller.GetTextures()}
    if any(isinstance(texture, str) for _, textures in item["reads"] for texture in textures):
        ids.update({resource.name: resource.resourceId for resource in controller.GetResources()
                    if int(resource.resourceId) in ids})
    block_event, block_name = item.get("block") or (None, None)
    read = 0
    for event_id, resource_ids in item["reads"]:
        controller.SetFrameEvent(event_id, True)
        for resource_id in resource_ids:
            read += len(controller.GetTextureData(ids[resource_id], rd.Subresource(0, 0, 0)))
        if event_id == block_event:
            read_block(rd, controller, block_name)
    controller.Shutdown()
    capture.Shutdown()
    return read


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("plan", help="JSON file: the captures and what to read in each")
    parser.add_argument("--only", type=int, help="replay only this capture of the plan (cold mode)")
    args = parser.parse_args()
    with open(args.plan) as handle:
        plan = json.load(handle)
    if args.only is not None:
        plan = [plan[args.only]]
    if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        os.environ.setdefault("EGL_PLATFORM", "surfaceless")
    for name, value in VULKAN_LAYER_SWITCHES.items():
        os.environ.setdefault(name, value)
    rd = load_renderdoc()
    rd.InitialiseReplay(rd.GlobalEnvironment(), [])
    code = 0
    try:
        for item in plan:
            started = time.perf_counter()
            read = replay(rd, item)
            print(json.dumps({"capture": item["capture"], "seconds": time.perf_counter() - started,
                              "bytes": read, "rss_mb": round(rss_mb(), 1), "finished_at": time.time()}), flush=True)
    except Exception as exc:  # noqa: BLE001 - reported, then the same fast exit
        print(f"replay_floor: {exc}", file=sys.stderr, flush=True)
        code = 1
    rd.ShutdownReplay()
    os._exit(code)


if __name__ == "__main__":
    main()
