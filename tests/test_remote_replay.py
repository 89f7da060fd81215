"""Replay through real `renderdoccmd remoteserver` processes on 127.0.0.1 (rd/remote.py, docs/remote.md)."""

from __future__ import annotations

import json
import shutil
import threading
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rdc_extract.cli import app
from rdc_extract.errors import REMOTE_LOST, REMOTE_UNAVAILABLE, RdcExtractError
from rdc_extract.rd.remote import DEFAULT_PORT, route_from_options, route_replay, server_address
from remote_servers import RemoteServer, remote_servers, silent_server

STAND_IN = "rdc_extract.batch.standin:inspect_job"   # really replays (opens, reads the frame), writes only meta.json
SAMPLES = sorted((Path(__file__).parents[1] / "samples" / "captures").glob("*.rdc"))
needs_renderdoccmd = pytest.mark.skipif(shutil.which("renderdoccmd") is None, reason="renderdoccmd not installed")


@pytest.fixture(autouse=True)
def _local_replay_afterwards():
    """`extract --remote` routes this (pytest's) process's replays: later tests replay locally again."""
    yield
    route_replay(None)


def _records(out: Path) -> dict[str, dict]:
    lines = (out / "manifest.jsonl").read_text().splitlines()
    return {record["capture"]: record for record in map(json.loads, lines)}


def _copies(tmp_path: Path, count: int, source: Path = SAMPLES[0]) -> Path:
    folder = tmp_path / "captures"
    folder.mkdir()
    for number in range(count):
        shutil.copyfile(source, folder / f"c{number:02d}.rdc")
    return folder


def test_server_addresses_take_the_default_port_and_refuse_what_is_not_one():
    assert server_address("winbox") == f"winbox:{DEFAULT_PORT}"
    assert server_address(" 10.0.0.7:4000 ") == "10.0.0.7:4000"
    for bad in ("", "a b", "host:0", "host:http", "a:1:2", "h,i"):
        with pytest.raises(RdcExtractError, match="remote server"):
            server_address(bad)
    route = route_from_options(["a", "a:39920", "b:1"], ["D3D11", " D3D12"])
    assert route.servers == ("a:39920", "b:1") and route.wants("D3D11") and not route.wants("OpenGL")
    assert route_from_options([], None) is None
    with pytest.raises(RdcExtractError, match="--remote-only needs"):
        route_from_options([], ["D3D11"])


@needs_renderdoccmd
def test_a_remote_batch_writes_the_frames_a_local_batch_writes(tmp_path):
    folder = tmp_path / "captures"
    folder.mkdir()
    for capture in SAMPLES[:2]:
        shutil.copyfile(capture, folder / capture.name)
        shutil.copyfile(capture.with_suffix(".json"), folder / capture.with_suffix(".json").name)
    with remote_servers(1) as (server,):
        remote = CliRunner().invoke(app, ["batch", str(folder), str(tmp_path / "remote"), "--remote", server.address])
    local = CliRunner().invoke(app, ["batch", str(folder), str(tmp_path / "local"), "--jobs", "1"])
    assert remote.exit_code == 0 and local.exit_code == 0, remote.output + local.output
    for frame in (tmp_path / "local" / "frames").iterdir():
        files = sorted(p.name for p in frame.iterdir())
        assert files == sorted(p.name for p in (tmp_path / "remote" / "frames" / frame.name).iterdir())
        for name in files:
            if name != "meta.json":
                assert (frame / name).read_bytes() == (tmp_path / "remote" / "frames" / frame.name / name).read_bytes(), name
        meta = json.loads((tmp_path / "remote" / "frames" / frame.name / "meta.json").read_text())
        assert meta["replayed_on"] == server.address


@needs_renderdoccmd
def test_doctor_proves_a_server_replays_opengl_and_vulkan_and_names_one_that_does_not_answer():
    with remote_servers(1) as (server,), silent_server() as silent:
        result = CliRunner().invoke(app, ["doctor", "--json", "--remote", server.address, "--remote", silent])
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    answering, mute = report["remotes"]
    assert answering["answers"] and {"OpenGL", "Vulkan"} <= set(answering["apis"])
    assert {p["api"]: p["replays"] for p in answering["probes"]} == {"OpenGL": True, "Vulkan": True}
    assert not mute["answers"] and mute["address"] == silent
    assert f"error: remote server {silent} does not answer" in result.stderr


@needs_renderdoccmd
def test_a_server_that_never_answers_fails_the_capture_in_one_line_and_a_rerun_retries_it(tmp_path):
    folder = _copies(tmp_path, 1)
    out = tmp_path / "out"
    with silent_server() as silent:
        result = CliRunner().invoke(app, ["batch", str(folder), str(out), "--remote", silent, "--timeout", "120"])
    assert result.exit_code == 1 and "Traceback" not in result.output
    record = _records(out)["c00.rdc"]
    assert record["cause"] == REMOTE_UNAVAILABLE and silent in record["error"] and "c00.rdc" in record["error"]
    with remote_servers(1) as (server,):
        rerun = CliRunner().invoke(app, ["batch", str(folder), str(out), "--remote", server.address])
    assert rerun.exit_code == 0, rerun.output  # transient: retried without --retry-failed
    assert _records(out)["c00.rdc"]["reason"] == "retry-transient"


@needs_renderdoccmd
def test_two_servers_share_a_batch_and_a_dead_one_leaves_its_work_to_the_other(tmp_path):
    folder = _copies(tmp_path, 2)
    with remote_servers(2) as servers:
        result = CliRunner().invoke(app, ["batch", str(folder), str(tmp_path / "both"), "--jobs", "2",
                                          *[f"--remote={s.address}" for s in servers]])
        assert result.exit_code == 0, result.output
        used = {json.loads((frame / "meta.json").read_text())["replayed_on"]
                for frame in (tmp_path / "both" / "frames").iterdir()}
        assert used == {s.address for s in servers}
        servers[0].kill()
        result = CliRunner().invoke(app, ["batch", str(folder), str(tmp_path / "one"), "--jobs", "2",
                                          *[f"--remote={s.address}" for s in servers]])
    assert result.exit_code == 0, result.output
    assert {r["status"] for r in _records(tmp_path / "one").values()} == {"done"}


@needs_renderdoccmd
def test_a_server_killed_and_restarted_mid_batch_costs_only_what_it_held_and_a_rerun_finishes(tmp_path):
    folder = _copies(tmp_path, 8)
    out = tmp_path / "out"
    server = RemoteServer().start()
    args = ["batch", str(folder), str(out), "--remote", server.address, "--timeout", "120", "--job", STAND_IN]
    try:
        result = {}
        batch = threading.Thread(target=lambda: result.setdefault("run", CliRunner().invoke(app, args)))
        batch.start()
        deadline = time.monotonic() + 120
        while not ((out / "manifest.jsonl").exists() and (out / "manifest.jsonl").read_text().strip()):
            assert time.monotonic() < deadline, "no capture finished within 120 s"
            time.sleep(0.05)
        server.kill()
        server.start()   # the same address again, while the batch runs
        batch.join(300)
        records = _records(out)
        assert len(records) == 8 and "Traceback" not in result["run"].output   # every capture done or reported
        failed = {r["cause"] for r in records.values() if r["status"] != "done"}
        assert failed <= {REMOTE_LOST, REMOTE_UNAVAILABLE}
        rerun = CliRunner().invoke(app, args)
        assert rerun.exit_code == 0, rerun.output
        assert {r["status"] for r in _records(out).values()} == {"done"}
    finally:
        server.kill()


@needs_renderdoccmd
def test_a_vulkan_capture_extracted_through_a_server_equals_its_local_extraction(tmp_path, vk_capture):
    args = ["extract", str(vk_capture), "--outputs", "rgb,drawids"]
    with remote_servers(1) as (server,):
        remote = CliRunner().invoke(app, [*args[:2], str(tmp_path / "remote"), *args[2:], "--remote", server.address])
    local = CliRunner().invoke(app, [*args[:2], str(tmp_path / "local"), *args[2:]])
    assert remote.exit_code == 0 and local.exit_code == 0, remote.output + local.output
    frame = vk_capture.stem
    for name in ("rgb.png", "drawids.png", "drawids.json"):
        assert (tmp_path / "remote" / "frames" / frame / name).read_bytes() == \
            (tmp_path / "local" / "frames" / frame / name).read_bytes(), name
    assert json.loads((tmp_path / "remote" / "frames" / frame / "meta.json").read_text())["replayed_on"] == server.address
