"""Finding profiles by name or path, and picking one for a frame when none is named.

Profiles live in `pipelines/` at the repository root, shipped as package data
`rdc_extract/pipelines` (a link to it in the source tree, a copy in a wheel)
and found through `importlib.resources`, or wherever `$RDC_EXTRACT_PIPELINES`
points. Auto-detection tries every game profile
whose `[match]` rules hold for the frame and whose G-buffer rules identify it;
the one satisfying the most rules wins; the generic profile is the fallback.
"""

from __future__ import annotations

import functools
import itertools
from dataclasses import dataclass, field
from pathlib import Path

from rdc_extract.decode.formats import format_matches
from rdc_extract.errors import IdentificationFailed, ProfileError
from rdc_extract.frame.model import Frame, unnamed_pass_name
from rdc_extract.profiles.identify import Candidate, Identification, formats_match, identify
from rdc_extract.profiles.location import pipelines_dir
from rdc_extract.profiles.schema import Profile, load_profile
from rdc_extract.profiles.structure import identify_by_structure
from rdc_extract.tomlcheck import named_toml

def available_profiles(folder: Path | None = None) -> list[Profile]:
    """Every profile in the folder; parsed once per process while the files are unchanged."""
    folder = folder or pipelines_dir()
    return [_load_unchanged(path) for path in sorted(folder.glob("*.toml"))]


def _load_unchanged(path: Path) -> Profile:
    """The cached profile while neither its file nor its class mapping changed (the hash covers both)."""
    mtime_ns = path.stat().st_mtime_ns
    profile = _load_cached(path, mtime_ns, None)
    classes = profile.stencil.classes
    return profile if classes is None else _load_cached(path, mtime_ns, classes.stat().st_mtime_ns)


@functools.lru_cache(maxsize=64)
def _load_cached(path: Path, mtime_ns: int, classes_mtime_ns: int | None) -> Profile:
    return load_profile(path)


def resolve_profile(name_or_path: str) -> Profile:
    """A profile file path, or the name of one in the pipelines folder."""
    return load_profile(named_toml(name_or_path, pipelines_dir(), ProfileError, "profile"))


def identify_with(frame: Frame, profile: Profile) -> Identification:
    """A game profile's rules, or for the generic profile identification from structure alone."""
    return identify_by_structure(frame, profile) if profile.is_generic else identify(frame, profile)


@dataclass(frozen=True)
class Rejection:
    """A game profile auto-detection tried and did not take, with every reason."""

    profile: str
    short: str          # one line, for `why`
    reasons: list[str]  # every reason, for `inspect`


@dataclass
class Detection:
    profile: Profile
    identification: Identification
    why: str
    rejected: list[Rejection] = field(default_factory=list)


#: Consecutive passes rejected for the same reasons are listed as one line from this many on.
FOLDED_FROM = 3


def _identification_failures(exc: IdentificationFailed) -> list[str]:
    """The failure, then each pass weighed as the G-buffer with the rules it broke; consecutive passes without
    debug markers that broke the same ones on one line (Zink's one-draw passes would repeat a line per draw)."""
    lines = [exc.detail]

    def group(c: Candidate) -> tuple[str, int | None]:   # a pass the game named is a group of its own
        return "; ".join(c.reasons), None if c.name == unnamed_pass_name(c.pass_index) else c.pass_index

    for (reasons, _), same in itertools.groupby((c for c in exc.candidates if not c.accepted), key=group):
        run = list(same)
        if len(run) < FOLDED_FROM:
            lines += [f"pass #{c.pass_index} {c.name} ({c.draws} draws): {reasons}" for c in run]
        else:
            lines.append(f"{len(run)} passes, #{run[0].pass_index} to #{run[-1].pass_index} "
                         f"({sum(c.draws for c in run)} draws): {reasons}")
    return lines


def _match_failures(frame: Frame, profile: Profile, found: Identification | None) -> tuple[list[str], list[str]]:
    """(rules that failed, rules that held) for the profile's [match] table; without an identification,
    only the rules on the frame as a whole (API, markers)."""
    rules = profile.match
    failed: list[str] = []
    held: list[str] = []

    def check(ok: bool, good: str, bad: str) -> None:
        (held if ok else failed).append(good if ok else bad)

    if rules.apis:
        check(frame.api in rules.apis, f"API {frame.api}", f"API {frame.api} not in {list(rules.apis)}")
    # A marker-less capture passes a G-buffer profile's marker rule (its G-buffer rules still decide),
    # not a structure-identified one's: there the [match] rules are all that tell games apart.
    if rules.markers_any and (frame.has_markers or profile.is_generic):
        names = {name for a in frame.actions for name in a.marker_path}
        hit = [m for m in rules.markers_any if m in names]
        check(bool(hit), f"marker {hit[0] if hit else ''!r}", f"none of markers {list(rules.markers_any)}")
    if found is None:
        return failed, held
    gbuffer = frame.passes[found.gbuffer_pass] if found.gbuffer_pass is not None else None
    formats = () if gbuffer is None else tuple(
        frame.textures[rid].format.name for rid in gbuffer.colour_targets if rid in frame.textures)
    if rules.gbuffer_colour_formats and gbuffer is None:
        check(False, "", "no G-buffer (forward renderer)")
    elif rules.gbuffer_colour_formats:
        check(len(formats) == len(rules.gbuffer_colour_formats) and formats_match(formats, rules.gbuffer_colour_formats),
              f"G-buffer formats {','.join(formats)}",
              f"G-buffer formats {','.join(formats)} ≠ {','.join(rules.gbuffer_colour_formats)}")
    if rules.depth_formats:
        depth = frame.textures[found.depth_target].format.name if found.depth_target in frame.textures else "none"
        check(any(format_matches(depth, wanted) for wanted in rules.depth_formats), f"depth {depth}",
              f"depth {depth} not in {list(rules.depth_formats)}")
    return failed, held


def detect_profile(frame: Frame, profiles: list[Profile] | None = None) -> Detection:
    """Pick the best-matching game profile, else the generic one; says why."""
    profiles = available_profiles() if profiles is None else profiles
    rejected: list[Rejection] = []
    best: tuple[int, Detection] | None = None
    for profile in (p for p in profiles if not p.is_fallback):
        try:
            found = identify_with(frame, profile)
        except IdentificationFailed as exc:
            failed, _ = _match_failures(frame, profile, None)
            rejected.append(Rejection(profile.name, exc.detail, failed + _identification_failures(exc)))
            continue
        failed, held = _match_failures(frame, profile, found)
        if failed:
            rejected.append(Rejection(profile.name, "; ".join(failed), failed))
        elif best is None or len(held) > best[0]:
            best = (len(held), Detection(profile, found, f"matched {', '.join(held) or 'its G-buffer rules'}"))
    if best is not None:
        best[1].rejected = rejected
        return best[1]
    summary = " | ".join(f"{r.profile}: {r.short}" for r in rejected)
    generic = [p for p in profiles if p.is_fallback]
    if not generic:
        raise IdentificationFailed(frame.capture, "no profile matches and no generic profile is installed: " + summary)
    try:
        found = identify_with(frame, generic[0])
    except IdentificationFailed as exc:
        exc.rejected = rejected
        raise
    why = "no game profile matched" + (f" ({summary})" if rejected else "")
    return Detection(generic[0], found, why, rejected)


def choose_profile(frame: Frame, name_or_path: str | None) -> Detection:
    """The named profile (must identify the frame), or auto-detection when None."""
    if name_or_path is None:
        return detect_profile(frame)
    profile = resolve_profile(name_or_path)
    return Detection(profile, identify_with(frame, profile), f"named with --profile ({profile.path})")
