#!/usr/bin/env bash
# Rebuild samples/corpus/: RenderDoc captures of real Debian games on Xvfb + Mesa's software
# renderers, one capture per game, zstd-compressed, each with the launcher's sidecar.
#
#   sudo bash scripts/make_corpus.sh                 # every game below
#   sudo bash scripts/make_corpus.sh neverball       # one game
#
# Needs root for apt-get (skipped when the packages are installed) and `bash scripts/setup.sh` first.
# Games run one at a time in a throw-away HOME, at 480x270, through `rdc-extract capture --trigger`.
#
# neverball and minetest draw with legacy OpenGL, which RenderDoc 1.24 does not capture (it
# captures core-profile GL only). They run on Mesa's Zink (GL on Vulkan, lavapipe) and RenderDoc
# captures Zink's Vulkan stream: the captures hold Zink's Vulkan draws and SPIR-V, not the
# game's GL calls. renderdoccmd preloads RenderDoc's GL hooks (LD_PRELOAD), which would draw
# RenderDoc's overlay into the image through Zink; the game command therefore starts with
# `env -u LD_PRELOAD`, and `play` exports ENABLE_VULKAN_RENDERDOC_CAPTURE=1: only RenderDoc's
# Vulkan layer hooks the game, which still inherits renderdoccmd's RENDERDOC_CAPFILE/CAPOPTS.
# (The variable must be set after the exec out of the preloaded `env`: RenderDoc's exec hook
# drops it from an unhooked child's environment.)
#
# Internal use: `make_corpus.sh play GAME` is the game command the launcher runs.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD
PYTHON="${PYTHON:-$REPO/.venv/bin/python}"
CORPUS="$REPO/samples/corpus"
WIDTH=480
HEIGHT=270
ALL_GAMES=(neverball minetest minetest_still minetest_nohud warzone2100)

play_neverball() {
  mkdir -p "$HOME/.neverball"
  cat > "$HOME/.neverball/neverballrc" <<EOF
fullscreen 0
width $WIDTH
height $HEIGHT
sound_volume 0
music_volume 0
fps 0
vsync 0
EOF
  /usr/games/neverball -l map-easy/easy.sol &
  local game=$!
  sleep 10
  # The level opens on a "click to begin" card.
  xdotool mousemove $((WIDTH / 2)) $((HEIGHT / 2)) click 1 || true
  wait "$game"
}

# minetest_home CLOUDS: a world folder of seed 12345 and the settings, in $HOME.
minetest_home() {
  local world="$HOME/world"
  mkdir -p "$world"
  cat > "$world/world.mt" <<EOF
gameid = minetest_game
backend = sqlite3
player_backend = sqlite3
auth_backend = sqlite3
mod_storage_backend = sqlite3
creative_mode = true
enable_damage = false
EOF
  cat > "$world/map_meta.txt" <<EOF
seed = 12345
mg_name = v7
[end_of_params]
EOF
  cat > "$HOME/minetest.conf" <<EOF
screen_w = $WIDTH
screen_h = $HEIGHT
fullscreen = false
enable_sound = false
time_speed = 0
world_start_time = 10000
viewing_range = 80
enable_clouds = $1
creative_mode = true
enable_damage = false
EOF
}

minetest_command() {
  echo /usr/games/minetest --config "$HOME/minetest.conf" --go --world "$HOME/world" --gameid minetest_game --name tester
}

play_minetest() {
  minetest_home true
  exec $(minetest_command)
}

# minetest_still KEYS...: no clouds (they drift between two runs); 25 s in (loaded), the window gets
# the input focus and KEYS are pressed (F1 hides the HUD: crosshair, hotbar, wielded hand; F2 the chat).
# No mouse: moving it turns the camera.
minetest_still() {
  minetest_home false
  $(minetest_command) &
  local game=$!
  sleep 25
  # No window manager: give the window the input focus, or the game ignores the keyboard.
  xdotool search --name Minetest windowfocus --sync || true
  for key in "$@"; do
    sleep 1
    xdotool keydown "$key" sleep 0.5 keyup "$key" || true
  done
  wait "$game"
}
play_minetest_still() { minetest_still; }
play_minetest_nohud() { minetest_still F1 F2; }

# warzone2100's own core-profile OpenGL renderer, captured natively: RenderDoc must stay preloaded,
# so the launcher runs the game itself (no `play` step; RenderDoc's exec hook unhooks children).
# Its Vulkan renderer (--gfxbackend=vulkan) captured too, but 118 MB (70 MB compressed) at the
# game's minimum of 640x480: over the corpus budget.
warzone2100_command() {
  mkdir -p "$1/warzone2100"
  echo /usr/games/warzone2100 --window "--resolution=${WIDTH}x${HEIGHT}" --nosound --game=CAM_1A \
      "--configdir=$1/warzone2100" --gfxbackend=opengl
}

# Per game: its apt packages, its --trigger, its --stall-timeout (STALL_TIMEOUT overrides it).
packages() {
  case $1 in
    neverball) echo neverball ;;
    minetest*) echo minetest ;;
    warzone2100) echo warzone2100 ;;
  esac
}
trigger() {
  case $1 in
    neverball) echo every:20 ;;
    minetest*) echo every:40 ;;
    warzone2100) echo every:60 ;;
  esac
}

stall_timeout() {
  case $1 in
    warzone2100) echo 300 ;;
    *) echo 120 ;;
  esac
}

capture_game() {
  local game=$1 home out
  home=$(mktemp -d "/tmp/corpus-$game-home.XXXXXX")
  out=$(mktemp -d "/tmp/corpus-$game-out.XXXXXX")
  echo "make_corpus: $game: capturing into $out (HOME=$home)"
  local command=(env -u LD_PRELOAD bash "$REPO/scripts/make_corpus.sh" play "$game")
  local driver=(MESA_LOADER_DRIVER_OVERRIDE=zink LIBGL_ALWAYS_SOFTWARE=1)
  if [[ $game == warzone2100 ]]; then
    read -r -a command <<< "$(warzone2100_command "$home")"
    driver=(LIBGL_ALWAYS_SOFTWARE=1)
  fi
  env HOME="$home" SDL_AUDIODRIVER=dummy ALSOFT_DRIVERS=null "${driver[@]}" \
    "$PYTHON" -m rdc_extract capture --out "$out" --count 1 --trigger "$(trigger "$game")" \
      --game "$game" --virtual-display --display-size "${WIDTH}x${HEIGHT}" \
      --stall-timeout "${STALL_TIMEOUT:-$(stall_timeout "$game")}" --max-fruitless 2 \
      -- "${command[@]}"
  local rdc
  rdc=$(ls "$out"/*.rdc | head -n1)
  mkdir -p "$CORPUS"
  rm -f "$CORPUS/$game.rdc.zst" "$CORPUS/$game.json"
  zstd -q -19 -T2 "$rdc" -o "$CORPUS/$game.rdc.zst"
  # The sidecar names its capture: rename it to the file a test decompresses.
  "$PYTHON" - "${rdc%.rdc}.json" "$CORPUS/$game.json" "$game.rdc" <<'EOF'
import json, sys
sidecar = json.load(open(sys.argv[1]))
sidecar["capture"] = sys.argv[3]
json.dump(sidecar, open(sys.argv[2], "w"), indent=2)
EOF
  echo "make_corpus: $game: $(du -h "$rdc" | cut -f1) -> $(du -h "$CORPUS/$game.rdc.zst" | cut -f1)"
  rm -rf "$home" "$out"
}

if [[ ${1:-} == play ]]; then
  export ENABLE_VULKAN_RENDERDOC_CAPTURE=1
  "play_$2"
  exit
fi

[[ $# -gt 0 ]] && games=("$@") || games=("${ALL_GAMES[@]}")
needed=(xvfb xdotool zstd)
for game in "${games[@]}"; do needed+=($(packages "$game")); done
missing=()
for package in "${needed[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if ((${#missing[@]})); then
  echo "make_corpus: installing ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
for game in "${games[@]}"; do capture_game "$game"; done
du -ch "$CORPUS"/*.zst
