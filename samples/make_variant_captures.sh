#!/usr/bin/env bash
# Regenerate samples/variants/: one RenderDoc capture per renderer of the sample game, all without
# debug markers or resource names (--no-markers), for profile-free identification tests:
#
#   bash samples/make_variant_captures.sh   # after `bash scripts/setup.sh`
#
# Each is the frame samples/make_captures.sh takes as its first capture (world seed 0, frame 60, day,
# clear, schedule plan step 0), drawn by --renderer deferred / deferred2 / forward, into
# samples/variants/<renderer>/ with its sidecar and ground truth. Then samples/variants/<renderer>.expected.json,
# the frame's known answers, is rewritten from the game's own description of each renderer checked
# against a RenderDoc replay of the new capture (python -m samples.variant_answers).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-.venv/bin/python}"
for renderer in deferred deferred2 forward; do
    "$PYTHON" -m rdc_extract capture \
        --out "samples/variants/$renderer" --replace --count 1 --per-launch 1 --warmup 60 --seed 0 \
        --plan schedule --ground-truth --stall-timeout 120 \
        -- "$PYTHON" -m samples.city_game --renderer "$renderer" --no-markers --width 640 --height 360 \
           --seed '{capture_index}' --frames 100000 --mod mod_scripts/city_game/autocapture.py
done
"$PYTHON" -m samples.variant_answers samples/variants
