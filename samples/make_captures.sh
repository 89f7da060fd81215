#!/usr/bin/env bash
# Regenerate samples/captures/ from scratch: 6 RenderDoc captures of the sample game at 640x360
# (day, night, fog, rain from the seeded schedule plan), each with its sidecar JSON and the
# game's ground truth (<name>.gt.npz), made by the capture pipeline itself:
#
#   bash samples/make_captures.sh          # after `bash scripts/setup.sh` on a fresh machine
#
# One capture per game launch (--per-launch 1), each launch a different city (--seed is the
# capture index), for variety across the six samples. --replace deletes the captures already in
# samples/captures/ first; without it, existing captures count towards --count.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-.venv/bin/python}"
exec "$PYTHON" -m rdc_extract capture \
    --out samples/captures --replace --count 6 --per-launch 1 --warmup 60 --seed 0 --plan schedule \
    --ground-truth --stall-timeout 120 \
    -- "$PYTHON" -m samples.city_game --width 640 --height 360 --seed '{capture_index}' --frames 100000 \
       --mod mod_scripts/city_game/autocapture.py
