#!/usr/bin/env bash
# Compile the GTA V capture mod (mod_scripts/gtav/RdcAutoCapture.3.cs) as C# 5 against a stub of the
# ScriptHookVDotNet v3 API it uses, and build the plan checker tests/test_gtav_mod.py runs.
# Needs Mono's C# compiler (Debian: apt-get install mono-mcs). Usage: scripts/check_gtav_mod.sh OUT_DIR
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
out="${1:?usage: $0 OUT_DIR}"
mkdir -p "$out"
mod="$here/mod_scripts/gtav"
mcs -langversion:5 -warnaserror+ -nowarn:618 -target:exe -out:"$out/plancheck.exe" \
    "$mod/RdcAutoCapture.3.cs" "$mod/check/ShvdnV3Stub.cs" "$mod/check/PlanCheck.cs"
