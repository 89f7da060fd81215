"""`rdc-extract batch`: parallel, crash-isolated, resumable extraction over a folder of captures.

Pure scheduling and bookkeeping (`discover`, `manifest`, `plan`, `index`) are
kept apart from process supervision (`workers`, `child`) and from the
orchestration that ties them together (`runner`). The engine is generic over the
per-capture job function (a "module:function" name), so replay lives only in the
job and in the child interpreter that runs it. Design and guarantees: docs/batch.md.
"""
