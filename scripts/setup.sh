#!/usr/bin/env bash
# Set up rdc-extract on Debian/Ubuntu: system packages (RenderDoc, Mesa software
# GL/EGL/Vulkan), a Python 3.11 virtualenv in .venv, and the package with its
# test and preview extras. Idempotent: a second run only checks, in a second or two.
set -euo pipefail
cd "$(dirname "$0")/.."

SYSTEM_PACKAGES=(
  python3-renderdoc librenderdoc renderdoccmd          # RenderDoc 1.24: Python module, capture library, launcher
  libgl1 libgl1-mesa-dri libegl-mesa0 libegl1 libgles2 # llvmpipe OpenGL 4.5 core through EGL (libgl1: glcontext loads libGL)
  mesa-vulkan-drivers libvulkan1 libvulkan-dev         # lavapipe Vulkan 1.3 (+ headers for the tiny Vulkan sample)
  vulkan-tools glslang-tools gcc libc6-dev             # building the tiny Vulkan capture program
  python3-venv                                         # the Debian python3.11 venv module
  xvfb                                                 # capture --virtual-display (and its tests)
  zstd                                                 # tests/test_corpus.py decompresses samples/corpus/
  mono-mcs                                             # tests/test_gtav_mod.py compiles the GTA V mod (C#) against a stub API
)

missing=()
for package in "${SYSTEM_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if ((${#missing[@]})); then
  if [[ $(id -u) -ne 0 ]]; then
    echo "setup: missing system packages: ${missing[*]}; run this script as root (or sudo apt-get install them)" >&2
    exit 1
  fi
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The RenderDoc module is built for CPython 3.11: the venv must use 3.11 too.
python=""
for candidate in "${PYTHON:-}" python3.11 python3 /usr/bin/python3.11; do
  [[ -n "$candidate" ]] && command -v "$candidate" >/dev/null || continue
  if "$candidate" -c 'import sys, venv; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null; then
    python=$(command -v "$candidate"); break
  fi
done
[[ -n "$python" ]] || { echo "setup: no Python 3.11 with the venv module found (set PYTHON=/path/to/python3.11)" >&2; exit 1; }

if [[ ! -x .venv/bin/python ]] || ! .venv/bin/python -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
  rm -rf .venv
  "$python" -m venv .venv
fi

stamp=.venv/.rdc-extract-installed
wanted=$(sha256sum pyproject.toml | cut -d' ' -f1)
if [[ ! -f $stamp || $(cat "$stamp") != "$wanted" ]]; then
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e '.[test,preview]'
  # torch for tests/test_data_torch.py (skipped without it): only a CPU build found on this machine,
  # since PyPI's Linux torch pulls in ~3 GB of CUDA libraries.
  cpu_torch=$(ls /opt/wheels/torch-*+cpu-cp311-*.whl 2>/dev/null | sort -V | tail -n 1 || true)
  if [[ -n "$cpu_torch" ]]; then .venv/bin/python -m pip install -q "$cpu_torch"; fi
  echo "$wanted" > "$stamp"
fi
# An editable install is not byte-compiled, and where PYTHONDONTWRITEBYTECODE is set (as on CI machines) Python
# never caches the package's bytecode, so every command would compile its ~130 modules again (~80 ms of each
# `rdc-extract extract`). compileall writes the caches regardless and skips those still current.
.venv/bin/python -m compileall -q rdc_extract >/dev/null
echo "setup: ready ($(.venv/bin/rdc-extract --version), $(.venv/bin/python --version))"
