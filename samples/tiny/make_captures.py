"""Build and run the tiny capture programs under RenderDoc; write gl_triangle.rdc, vk_gbuffer.rdc, gl_formats.rdc.

Also vk_gbuffer_d24s8.rdc: the same Vulkan frame with a D24_UNORM_S8_UINT depth
target, because RenderDoc returns that format's data in its own layout.

    python -m samples.tiny.make_captures [--out DIR] [--only NAME ...] [--force]

Default output folder: rdc_extract/probes/ (the captures `rdc-extract doctor` ships).
Each capture is made in a private temporary folder inside the output folder and
renamed into place, so a failed or interrupted run never leaves a partial file.
Existing captures are kept unless --force is given.

Needs: renderdoccmd + librenderdoc (Debian: renderdoccmd librenderdoc), Mesa's
llvmpipe/lavapipe (libegl-mesa0 libgl1-mesa-dri mesa-vulkan-drivers), and for
vk_gbuffer gcc and the Vulkan headers/loader (gcc libvulkan-dev).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parent.parent
DEFAULT_OUT = REPO_ROOT / "rdc_extract" / "probes"
RUN_TIMEOUT_S = 120


class CaptureBuildError(RuntimeError):
    """A tiny capture could not be produced; the message says what to install or fix."""


@dataclass(frozen=True)
class TinyCapture:
    name: str  # output is <name>.rdc
    kind: str  # "python" or "c"
    source: str  # file in samples/tiny/
    defines: tuple[str, ...] = ()  # -D options for a C program


CAPTURES = (
    TinyCapture("gl_triangle", "python", "gl_triangle.py"),
    TinyCapture("vk_gbuffer", "c", "vk_gbuffer.c"),
    TinyCapture("gl_formats", "python", "gl_formats.py"),
    TinyCapture("vk_gbuffer_d24s8", "c", "vk_gbuffer.c",
                ("VK_GBUFFER_DEPTH_FORMAT=VK_FORMAT_D24_UNORM_S8_UINT",)),
)


def _require_renderdoccmd() -> str:
    path = shutil.which("renderdoccmd")
    if path is None:
        raise CaptureBuildError(
            "renderdoccmd not found on PATH: install RenderDoc (Debian: apt-get install renderdoccmd librenderdoc)"
        )
    return path


def build_vk_gbuffer(build_dir: Path, defines: tuple[str, ...] = ()) -> Path:
    """Compile vk_gbuffer.c with gcc into build_dir; returns the executable."""
    gcc = shutil.which("gcc")
    if gcc is None:
        raise CaptureBuildError("gcc not found: install it (Debian: apt-get install gcc)")
    exe = build_dir / "vk_gbuffer"
    command = [gcc, "-std=c11", "-O1", "-Wall", *(f"-D{d}" for d in defines), "-o", str(exe),
               str(HERE / "vk_gbuffer.c"),
               "-I", str(HERE), "-lvulkan", "-ldl", "-lm"]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        hint = ""
        if "vulkan/vulkan.h" in result.stderr or "-lvulkan" in result.stderr:
            hint = " (Vulkan headers or loader missing: apt-get install libvulkan-dev)"
        raise CaptureBuildError(f"building vk_gbuffer failed{hint}:\n{result.stderr.strip()}")
    return exe


def _program_command(capture: TinyCapture, build_dir: Path) -> list[str]:
    if capture.kind == "c":
        return [str(build_vk_gbuffer(build_dir, capture.defines))]
    return [sys.executable, str(HERE / capture.source)]


def make_capture(capture: TinyCapture, out_dir: Path, *, force: bool = False,
                 timeout_s: float = RUN_TIMEOUT_S) -> Path:
    """Run one program under `renderdoccmd capture` and move its capture to out_dir/<name>.rdc."""
    renderdoccmd = _require_renderdoccmd()
    target = out_dir / f"{capture.name}.rdc"
    if target.exists() and not force:
        raise CaptureBuildError(f"{target} exists; pass --force to replace it")
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=f".{capture.name}-", dir=out_dir) as tmp:
        work = Path(tmp)
        template = str(work / capture.name)
        command = [renderdoccmd, "capture", "-w", "-d", str(REPO_ROOT), "-c", template,
                   *_program_command(capture, work), template]
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
        try:
            result = subprocess.run(command, capture_output=True, text=True, env=env, timeout=timeout_s)
        except subprocess.TimeoutExpired as exc:
            raise CaptureBuildError(f"{capture.name}: no result after {timeout_s:.0f} s under renderdoccmd") from exc
        written = sorted(work.glob("*.rdc"))
        if len(written) != 1:
            # renderdoccmd exits 0 whatever the program did: the file is the only verdict.
            raise CaptureBuildError(
                f"{capture.name}: expected one capture, found {len(written)}\n"
                f"command: {' '.join(command)}\nstdout:\n{result.stdout.strip()}\nstderr:\n{result.stderr.strip()}"
            )
        os.replace(written[0], target)
    return target


def make_captures(out_dir: Path = DEFAULT_OUT, names: list[str] | None = None, *,
                  force: bool = False) -> list[Path]:
    chosen = [c for c in CAPTURES if names is None or c.name in names]
    unknown = set(names or []) - {c.name for c in CAPTURES}
    if unknown:
        raise CaptureBuildError(f"unknown capture(s): {', '.join(sorted(unknown))}")
    return [make_capture(c, out_dir, force=force) for c in chosen]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"output folder (default {DEFAULT_OUT})")
    parser.add_argument("--only", nargs="+", choices=[c.name for c in CAPTURES], help="make only these")
    parser.add_argument("--force", action="store_true", help="replace existing captures")
    args = parser.parse_args(argv)
    try:
        for path in make_captures(args.out, args.only, force=args.force):
            print(f"{path} ({path.stat().st_size} bytes)")
    except CaptureBuildError as exc:
        print(f"make_captures: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
