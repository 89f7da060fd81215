"""The same batch on a dask.distributed cluster, here a local one on loopback."""

from __future__ import annotations

import json
import shutil

import pytest
from typer.testing import CliRunner

from rdc_extract.batch.child import FAULT_ENV
from rdc_extract.cli import app
from tests.broken_captures import random_bytes

distributed = pytest.importorskip("dask.distributed", reason='needs pip install "dask[distributed]"')


@pytest.fixture(scope="module")
def cluster():
    import dask

    # a killed worker's task fails at once instead of being retried on the other worker (and killing it too)
    with dask.config.set({"distributed.scheduler.allowed-failures": 0}), distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address=None) as local_cluster:
        yield local_cluster


def test_batch_on_a_local_dask_cluster_isolates_crashes_and_resumes(cluster, tmp_path, vk_capture, gl_capture,
                                                                   monkeypatch):
    folder = tmp_path / "captures"
    folder.mkdir()
    for number in range(3):
        shutil.copyfile(vk_capture, folder / f"vk_{number}.rdc")
    shutil.copyfile(gl_capture, folder / "gl.rdc")
    shutil.copyfile(vk_capture, folder / "crash_me.rdc")
    random_bytes(folder / "random.rdc")
    out = tmp_path / "out"
    monkeypatch.setenv(FAULT_ENV, "crash:crash_me")
    args = ["batch", str(folder), str(out), "--backend", "dask", "--scheduler", cluster.scheduler_address,
            "--job", "rdc_extract.batch.standin:inspect_job", "--timeout", "60"]

    result = CliRunner().invoke(app, args)

    assert result.exit_code == 1, result.output
    records = {}
    for line in (out / "manifest.jsonl").read_text().splitlines():
        record = json.loads(line)
        records[record["capture"]] = record
    assert {c: r["cause"] for c, r in records.items() if r["status"] == "failed"} == {
        "crash_me.rdc": "crashed (SIGSEGV)", "random.rdc": "not a RenderDoc capture"}
    done = [r for r in records.values() if r["status"] == "done"]
    assert len(done) == 4 and all((out / "frames" / r["frame_id"] / "meta.json").is_file() for r in done)

    rerun = CliRunner().invoke(app, args)
    assert rerun.exit_code == 1
    assert len((out / "manifest.jsonl").read_text().splitlines()) == len(records)


def test_a_killed_dask_worker_costs_its_captures_and_the_batch_goes_on(cluster, tmp_path, vk_capture, monkeypatch):
    folder = tmp_path / "captures"
    folder.mkdir()
    for number in range(4):
        shutil.copyfile(vk_capture, folder / f"vk_{number}.rdc")
    out = tmp_path / "out"
    monkeypatch.setenv(FAULT_ENV, "killworker:vk_2")   # SIGKILLs the dask worker, which writes that frame
    args = ["batch", str(folder), str(out), "--backend", "dask", "--scheduler", cluster.scheduler_address,
            "--outputs", "rgb", "--timeout", "60"]

    result = CliRunner().invoke(app, args)

    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    lines = [json.loads(line) for line in (out / "manifest.jsonl").read_text().splitlines()]
    records = {record["capture"]: record for record in lines}
    killed = {c for c, r in records.items() if r["status"] == "failed"}
    assert all(records[c]["cause"] == "batch worker killed" for c in killed)
    # the dead worker's groups: the one it ran, and the one dask had queued on it behind that, if any
    assert "vk_2.rdc" in killed and len(killed) <= 2
    assert {c for c, r in records.items() if r["status"] == "done"} == set(records) - killed
    assert len(records) == 4

    monkeypatch.delenv(FAULT_ENV)
    rerun = CliRunner().invoke(app, args)   # a killed worker says nothing about the capture: retried
    assert rerun.exit_code == 0, rerun.output


def test_dask_backend_needs_a_scheduler(tmp_path):
    (tmp_path / "in").mkdir()
    result = CliRunner().invoke(app, ["batch", str(tmp_path / "in"), str(tmp_path / "out"), "--backend", "dask"])
    assert result.exit_code == 1
    assert "--scheduler" in result.output
