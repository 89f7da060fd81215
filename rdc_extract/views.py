"""Rich renderings of reports for people; JSON renderings live beside the data they show."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Group
from rich.table import Table
from rich.text import Text
from rich.tree import Tree

if TYPE_CHECKING:  # extract's summary is rendered here too; it should not import doctor's and inspect's modules
    from rdc_extract.doctor import ApiCheck, DoctorReport
    from rdc_extract.inspect import EventBindings, Inspection


def doctor_table(report: DoctorReport) -> Table:
    table = Table(title="rdc-extract doctor", show_header=False)
    table.add_row("rdc-extract", report.tool_version)
    table.add_row("Python", f"{report.python} ({report.python_executable})")
    if report.python_note:
        table.add_row("", f"[yellow]{report.python_note}[/yellow]")
    table.add_row("CPU cores", str(report.cpu_count))
    if report.renderdoc_error:
        table.add_row("RenderDoc", f"[red]{report.renderdoc_error}[/red]")
    else:
        table.add_row("RenderDoc", f"{report.renderdoc_version} ({report.renderdoc_module})")
    for key, value in report.display.items():
        table.add_row(key, value or "-")
    if report.shader_cache:
        from rdc_extract.doctor import shader_cache_problem

        problem = shader_cache_problem(report.shader_cache)
        table.add_row("Mesa shader cache", f"[yellow]{problem}[/yellow]" if problem else str(report.shader_cache["folder"]))
    for check in report.apis:
        table.add_row(f"{check.api} replay", _replay_verdict(check))
    for remote in report.remotes:
        answer = "[green]answers[/green]" if remote.answers else "[red]does not answer[/red]"
        table.add_row(f"remote {remote.address}", f"{answer}: {remote.detail}")
        for check in remote.probes:
            table.add_row(f"  {check.api} replay there", _replay_verdict(check))
    return table


def _replay_verdict(check: ApiCheck) -> str:
    verdict = "[green]replays[/green]" if check.replays else "[red]does not replay[/red]"
    timing = f", {check.seconds:.2f} s" if check.seconds is not None else ""
    return f"{verdict}: {check.detail}{timing}"


def _target_label(inspection: Inspection, resource_id: int | None, with_role: bool = True) -> str:
    texture = inspection.frame.texture(resource_id)
    if texture is None:
        return f"#{resource_id}"
    roles = {}
    if with_role and inspection.detection is not None:
        found = inspection.detection.identification
        roles = {rid: role for role, rid in found.target_roles.items()}
        roles.setdefault(found.depth_target, "depth-stencil")
        roles.setdefault(found.back_buffer, "back buffer")
    role = f" [bold magenta]{roles[resource_id]}[/]" if resource_id in roles else ""
    return f"{texture.name} {texture.format.name} {texture.width}x{texture.height}{role}"


def inspection_view(inspection: Inspection, show_draws: bool = False) -> Group:
    from rdc_extract.frame.passes import same_target_runs

    frame = inspection.frame
    found = inspection.detection.identification if inspection.detection else None
    tree = Tree(f"[bold]{frame.capture}[/] — {frame.api}, {len(frame.draws)} draws, {len(frame.passes)} passes")
    gbuffer = {found.gbuffer_pass} if found and found.gbuffer_pass is not None else set()
    runs = [[p] for p in frame.passes] if show_draws else same_target_runs(frame.passes, alone=gbuffer)
    for run in runs:
        pass_, last = run[0], run[-1]
        tag = " [bold green]← G-buffer[/]" if pass_.index in gbuffer else ""
        name = pass_.name if len(run) == 1 else f"{pass_.name} … {last.name} ({len(run)} passes into the same targets)"
        node = tree.add(
            f"[cyan]{name}[/] events {pass_.first_event}–{last.last_event}: "
            f"{sum(len(p.draws) for p in run)} draws, {sum(len(p.clears) for p in run)} clears{tag}"
        )
        for rid in pass_.colour_targets:
            node.add(f"colour {_target_label(inspection, rid)}")
        if pass_.depth_target:
            node.add(f"depth {_target_label(inspection, pass_.depth_target)}")
        if show_draws:
            for action in pass_.clears + pass_.draws:
                marks = ""
                if found and action.event_id == found.final_image_event:
                    marks = " [bold green]← final image[/]"
                if found and action.event_id == found.first_hud_event:
                    marks = " [yellow]← first UI draw[/]"
                node.add(f"[dim]{action.event_id}[/] {action.name}{marks}")
    parts: list = [tree]
    if inspection.at is not None:
        parts.append(bindings_view(inspection, inspection.at))
    if inspection.detection is not None and found is not None:
        summary = Table(title=f"profile {inspection.detection.profile.name}", show_header=False)
        summary.add_row("why", inspection.detection.why)
        summary.add_row("G-buffer pass", "none: forward renderer" if found.gbuffer_pass is None else
                        f"#{found.gbuffer_pass}, events {found.gbuffer_first_event}–{found.gbuffer_last_event}")
        for role, rid in found.target_roles.items():
            summary.add_row(role, _target_label(inspection, rid, with_role=False))
        summary.add_row("depth-stencil", f"{_target_label(inspection, found.depth_target, with_role=False)}, "
                                         f"complete at event {found.depth_event}")
        summary.add_row("final image", f"event {found.final_image_event} in {_target_label(inspection, found.final_image_target, with_role=False)}")
        summary.add_row("rgb read at", f"event {found.final_image_event}: {found.final_image_rule}")
        summary.add_row("first UI draw", str(found.first_hud_event) if found.first_hud_event else "none")
        for line in found.evidence:
            summary.add_row("evidence", line)
        parts.append(summary)
    else:
        candidates = Table(title="G-buffer candidates", show_lines=False)
        for column in ("pass", "draws", "verdict"):
            candidates.add_column(column)
        for candidate in inspection.candidates:
            verdict = "[green]accepted[/]" if candidate.accepted else "[red]" + "; ".join(candidate.reasons) + "[/]"
            candidates.add_row(f"#{candidate.pass_index} {candidate.name}", str(candidate.draws), verdict)
        parts.append(candidates)
    if inspection.rejected:
        parts.append(rejections_view(inspection))
    if inspection.checks:
        parts.append(checks_view(inspection))
    return Group(*parts)


def rejections_view(inspection: Inspection) -> Table:
    """Auto-detection: each game profile tried, with every reason it was not taken."""
    table = Table(title="game profiles tried and rejected", show_header=False, show_lines=True)
    for rejection in inspection.rejected:
        table.add_row(f"[red]{rejection.profile}[/]", Text("\n".join(rejection.reasons), overflow="fold"))
    return table


_VERDICT_STYLE = {"ok": "green", "warning": "yellow", "error": "red"}


def checks_view(inspection: Inspection) -> Table:
    """The profile checked as `extract` checks it: each check, its verdict and extract's words for it."""
    assert inspection.detection is not None
    table = Table(title=f"profile {inspection.detection.profile.name} checked as extract checks it")
    for column in ("check", "verdict", "cause"):
        table.add_column(column)
    for check in inspection.checks:
        style = _VERDICT_STYLE[check.verdict]
        table.add_row(check.topic, f"[{style}]{check.verdict}[/]", Text(check.cause, overflow="fold"))
    return table


def _member_text(value: Any) -> str:
    """A scalar, a vector on one line, a matrix as one line per row."""
    if value.size == 1:
        return f"{value.item():.6g}"
    return "\n".join(" ".join(f"{x:>11.5g}" for x in row) for row in value.tolist())


def bindings_view(inspection: Inspection, bindings: EventBindings) -> Table:
    """The targets an event writes and each constant block bound there, member by member."""
    action = bindings.action
    table = Table(title=f"event {action.event_id} {action.name} ({action.kind})", show_header=False, show_lines=True)
    table.add_column("what")
    table.add_column("value", no_wrap=True)
    for slot, rid in enumerate(action.colour_outputs):
        if rid:
            table.add_row(f"colour {slot}", _target_label(inspection, rid))
    if action.depth_output:
        table.add_row("depth", _target_label(inspection, action.depth_output))
    for block in bindings.blocks:
        for number, (name, value) in enumerate(block.members.items()):
            where = f"[cyan]{block.stage} #{block.slot} {block.name}[/]\n" if number == 0 else ""
            table.add_row(f"{where}{name}", _member_text(value))
    return table


def extraction_view(meta: dict[str, Any], frame_dir: Path) -> Table:
    table = Table(title=f"{meta['capture']['path']} → {frame_dir}", show_header=False)
    table.add_row("profile", f"{meta['profile']['name']} ({meta['profile']['why']})")
    events = meta["events"]
    gbuffer = ("no G-buffer (forward renderer)" if events["gbuffer_first"] is None
               else f"G-buffer {events['gbuffer_first']}–{events['gbuffer_last']}")
    table.add_row("events", f"{gbuffer}, final image {events['final_image']}")
    table.add_row("outputs", ", ".join(meta["outputs"].values()))
    if meta.get("normals"):
        from rdc_extract.extract.compute import normals_summary

        table.add_row("normals", normals_summary(meta["normals"]))
    if meta.get("labels") and meta["labels"]["unmapped"]:
        table.add_row("[yellow]unmapped stencil[/]", ", ".join(f"{v}: {n} px" for v, n in meta["labels"]["unmapped"].items()))
    timing = meta["timing_s"]
    table.add_row("time", f"replay {timing['replay']:.2f} s, decode {timing['decode']:.2f} s, write {timing['write']:.2f} s")
    table.add_row("index", f"{frame_dir.parent.parent / 'index.csv'} (its row added or replaced)")
    return table
