"""`rdc-extract batch --remote 127.0.0.1:PORT` (a real remote server on loopback) against the same batch replayed here.

    python bench/bench_remote.py [--captures DIR] [--copies N] [--rounds R]

Per capture, whole commands, `--jobs 1`, the two runs of a round alternating (medians over rounds):
the remote batch's seconds per capture / the local batch's (target <= 1.5). Also printed, so a
user can size a network: the bytes each capture sends to the server (the whole file, copied
with `CopyCaptureToRemote`) and the bytes read back (the textures extraction reads, counted by
the independent replay floor, bench/replay_floor.py, replaying what the frames' meta.json names).
On loopback the server shares this machine's cores with the client; across a network the
server's replay runs on its own machine while this one decodes and writes.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_batch import make_folder
from measure import FLOOR_SCRIPT, SAMPLES, command, floor_item, floor_lines, fresh, median, timed, verdict, write_plan


def start_server() -> tuple[subprocess.Popen, str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(["renderdoccmd", "remoteserver", "-h", "127.0.0.1", "-p", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
                              env={**os.environ, "EGL_PLATFORM": "surfaceless"})
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            time.sleep(0.2)
            return server, f"127.0.0.1:{port}"
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("renderdoccmd remoteserver did not start")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--captures", type=Path, default=SAMPLES)
    parser.add_argument("--copies", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    if shutil.which("renderdoccmd") is None:
        sys.exit("renderdoccmd is not installed (Debian package renderdoccmd)")
    server, address = start_server()
    try:
        with tempfile.TemporaryDirectory(prefix="bench_remote_") as scratch_name:
            scratch = Path(scratch_name)
            captures = make_folder(args.captures, args.copies, scratch / "captures")
            count = len(captures)
            print(f"{count} captures, server {address} (loopback), {args.rounds} rounds, medians; "
                  f"command: {' '.join(command())} batch --jobs 1 [--remote {address}]")
            per_capture: dict[str, list[float]] = {"local": [], "remote": []}
            for round_number in range(args.rounds):
                order = ("local", "remote") if round_number % 2 == 0 else ("remote", "local")
                for where in order:
                    extra = ["--remote", address] if where == "remote" else []
                    wall, _ = timed([*command(), "batch", str(scratch / "captures"), str(fresh(scratch / where)),
                                     "--jobs", "1", *extra])
                    per_capture[where].append(wall / count)
            local, remote = median(per_capture["local"]), median(per_capture["remote"])
            print(f"  local  {local:.3f} s/capture\n  remote {remote:.3f} s/capture")
            ratio = remote / local
            print(f"remote / local per capture: {ratio:.2f}  ({verdict(ratio, 1.5)})")

            items = [floor_item(c, json.loads((scratch / "remote" / "frames" / c.stem / "meta.json").read_text()))
                     for c in captures]
            _, out = timed([sys.executable, str(FLOOR_SCRIPT), str(write_plan(items, scratch / "plan.json"))])
            read_back = [line["bytes"] for line in floor_lines(out)]
            sent = [c.stat().st_size for c in captures]
            print(f"bytes per capture: sent to the server {median(sent) / 2**20:.1f} MB (the capture file), "
                  f"read back {median(read_back) / 2**20:.1f} MB (the textures extraction reads), medians")
    finally:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()


if __name__ == "__main__":
    main()
