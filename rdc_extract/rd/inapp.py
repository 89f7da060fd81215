"""RenderDoc's in-app API, reached with ctypes from inside a captured process.

A game (or its mod) launched under RenderDoc (`renderdoccmd capture ...`) finds
`librenderdoc.so` already loaded; `RENDERDOC_GetAPI` hands back a table of C
function pointers whose order is fixed by `renderdoc_app.h` (API 1.4.1, which
RenderDoc 1.24 and every later release provide). Headless programs never
present a frame, so captures are delimited explicitly with
`start_frame_capture()` / `end_frame_capture()`.
"""

from __future__ import annotations

import ctypes
import os
import sys

from rdc_extract.errors import RdcExtractError

_API_VERSION_1_4_1 = 10401
# Indices into RENDERDOC_API_1_4_1, in the order renderdoc_app.h declares them.
_SET_CAPTURE_FILE_PATH_TEMPLATE = 11
_GET_NUM_CAPTURES = 13
_GET_CAPTURE = 14
_START_FRAME_CAPTURE = 19
_END_FRAME_CAPTURE = 21
_DISCARD_FRAME_CAPTURE = 24
_TABLE_SIZE = 25

_LIBRARY = "renderdoc.dll" if sys.platform == "win32" else "librenderdoc.so"


class InAppApiUnavailable(RdcExtractError):
    """The process was not started under RenderDoc, so nothing can be captured."""


class InAppApi:
    """Thin typed wrapper over the in-app function table."""

    def __init__(self) -> None:
        try:
            mode = ctypes.RTLD_GLOBAL if sys.platform == "win32" else os.RTLD_NOLOAD | os.RTLD_NOW
            library = ctypes.CDLL(_LIBRARY, mode=mode)
        except OSError as exc:
            raise InAppApiUnavailable(
                f"{_LIBRARY} is not loaded in this process: start it under RenderDoc "
                "(renderdoccmd capture ... or rdc-extract capture)"
            ) from exc
        get_api = library.RENDERDOC_GetAPI
        get_api.restype = ctypes.c_int
        get_api.argtypes = [ctypes.c_int, ctypes.POINTER(ctypes.c_void_p)]
        table_ptr = ctypes.c_void_p()
        if get_api(_API_VERSION_1_4_1, ctypes.byref(table_ptr)) != 1 or not table_ptr.value:
            raise InAppApiUnavailable("RENDERDOC_GetAPI refused API version 1.4.1")
        table = ctypes.cast(table_ptr, ctypes.POINTER(ctypes.c_void_p * _TABLE_SIZE)).contents
        self._library = library

        def fn(index: int, restype, *argtypes):
            return ctypes.CFUNCTYPE(restype, *argtypes)(table[index])

        self._set_template = fn(_SET_CAPTURE_FILE_PATH_TEMPLATE, None, ctypes.c_char_p)
        self._get_num_captures = fn(_GET_NUM_CAPTURES, ctypes.c_uint32)
        self._get_capture = fn(
            _GET_CAPTURE, ctypes.c_uint32, ctypes.c_uint32, ctypes.c_char_p,
            ctypes.POINTER(ctypes.c_uint32), ctypes.POINTER(ctypes.c_uint64),
        )
        self._start = fn(_START_FRAME_CAPTURE, None, ctypes.c_void_p, ctypes.c_void_p)
        self._end = fn(_END_FRAME_CAPTURE, ctypes.c_uint32, ctypes.c_void_p, ctypes.c_void_p)
        self._discard = fn(_DISCARD_FRAME_CAPTURE, ctypes.c_uint32, ctypes.c_void_p, ctypes.c_void_p)

    def renderdoc_version(self) -> str:
        """RenderDoc's own version string (e.g. "1.24"), not the in-app API version."""
        try:
            get_version = self._library.RENDERDOC_GetVersionString
        except AttributeError:
            return "unknown"
        get_version.restype = ctypes.c_char_p
        get_version.argtypes = []
        value = get_version()
        return value.decode("utf-8", "replace") if value else "unknown"

    def set_capture_path_template(self, template: str) -> None:
        """Captures are written as `<template>_frame<N>.rdc` (RenderDoc appends the suffix)."""
        self._set_template(os.fsencode(template))

    def start_frame_capture(self) -> None:
        """Begin capturing the current context's work (NULL, NULL = the active one)."""
        self._start(None, None)

    def end_frame_capture(self) -> bool:
        """Finish the capture and write it; False when RenderDoc wrote nothing."""
        return bool(self._end(None, None))

    def discard_frame_capture(self) -> bool:
        return bool(self._discard(None, None))

    def latest_capture_path(self) -> str | None:
        """Path of the newest capture this process wrote, or None."""
        count = self._get_num_captures()
        if count == 0:
            return None
        length = ctypes.c_uint32(0)
        self._get_capture(count - 1, None, ctypes.byref(length), None)
        buffer = ctypes.create_string_buffer(length.value + 1)
        self._get_capture(count - 1, buffer, ctypes.byref(length), None)
        return os.fsdecode(buffer.value)


def report_capture(api: InAppApi, written: bool, program: str) -> int:
    """Exit status of a one-frame capture program: prints the capture's path, or why there is none."""
    if not written:
        print(f"{program}: RenderDoc wrote no capture", file=sys.stderr)
        return 1
    print(api.latest_capture_path())
    return 0
