"""How much of its colour target a draw covers, read on request from the replay (`Frame.coverage`)."""

from __future__ import annotations

from rdc_extract.frame.coverage import covered_fraction
from rdc_extract.frame.model import Frame
from rdc_extract.rd.readback import read_vertex_output
from rdc_extract.rd.session import ReplaySession

COVERAGE_VERTEX_LIMIT = 64  # asked only of draws with a handful of vertices (the final-image rule's)


class CoverageReader:
    """The fraction of its first colour target a draw covers: its vertex shader's clip-space output (RenderDoc's
    post-VS data) cut to the viewport and scissor; None once the capture is closed or without post-VS data."""

    def __init__(self, session: ReplaySession, frame: Frame) -> None:
        self.session = session
        self.targets = {a.event_id: a.colour_outputs[0] for a in frame.draws if a.colour_outputs}
        self.textures = frame.textures

    def __call__(self, event: int) -> float | None:
        controller = self.session.controller
        texture = self.textures.get(self.targets.get(event, 0))
        if controller is None or texture is None:
            return None
        controller.SetFrameEvent(event, True)
        output = read_vertex_output(controller, event, COVERAGE_VERTEX_LIMIT)
        if output is None:
            return None
        pipe = controller.GetPipelineState()
        viewport, scissor = pipe.GetViewport(0), pipe.GetScissor(0)
        return covered_fraction(output[0], (viewport.x, viewport.y, viewport.width, viewport.height), texture.size,
                                (scissor.x, scissor.y, scissor.width, scissor.height) if scissor.enabled else None,
                                ndc_y_up_is_window_y_down=self.session.api in ("D3D11", "D3D12"))
