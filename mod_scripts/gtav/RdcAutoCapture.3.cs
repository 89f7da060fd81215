// RdcAutoCapture: the rdc-extract capture mod for GTA V (Legacy, Direct3D 11), a ScriptHookVDotNet v3 script.
//
// UNTESTED IN THE GAME: written from public sources (README.md next to this file cites each native, API call
// and fact); the rdc-extract machines have no Windows or GTA V. It does compile (scripts/check_gtav_mod.sh
// builds it with Mono's C# compiler against a stub of the ScriptHookVDotNet v3 API it uses, and runs its
// scenario plan against rdc_extract/capture/plan.py). The ".3.cs" name makes ScriptHookVDotNet compile it
// against its v3 API (a plain ".cs" gets the oldest API the installed version offers); C# 5 only, since
// ScriptHookVDotNet compiles scripts with the .NET Framework's CodeDom compiler.
//
// What it does, like mod_scripts/city_game/autocapture.py:
//   - keeps the player driving and unbothered: wander-driving task, player and car invincible, ignored by
//     everyone and the police, doors locked with the player inside, the HUD hidden every tick;
//   - recovers a car that is stuck, upside down or in water (a low-speed timer and the game's own stuck
//     timers): back onto the nearest road node, on its wheels, repaired, re-tasked; a car that cannot drive
//     is replaced and the old one released (marked no longer needed);
//   - follows the rdc-extract scenario plan (clock + weather), changing the world state only every
//     RDC_CAPTURE_STATE_EVERY captures and waiting RDC_CAPTURE_SETTLE_MS of game time after each change
//     (eye adaptation, wet roads), and records the state as read back at capture time;
//   - every RDC_CAPTURE_EVERY game frames asks RenderDoc's in-app API for a capture of the next frame,
//     waits until RenderDoc has registered the finished file, writes the sidecar JSON (docs/capture.md) with
//     the capture's SHA-256, and publishes the pair (.rdc renamed into place, the sidecar renamed last),
//     retrying on the next ticks when a file is still locked;
//   - quits the game after RDC_CAPTURE_LIMIT captures (RDC_CAPTURE_QUIT_AT_LIMIT=0: only stops capturing).
// Every tick runs inside a try/catch: ScriptHookVDotNet aborts a script whose Tick throws.
//
// Settings: environment variables RDC_CAPTURE_* (docs/capture.md) or, since GTA V is started by a launcher
// that drops the environment, the same KEY=VALUE lines in scripts\RdcAutoCapture.ini.

using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using GTA;
using GTA.Math;
using GTA.Native;

// Natives by hash, as the public native database lists them (alloc8or/gta5-nativedb-data natives.json):
// hashes do not change with ScriptHookVDotNet's enum names, which differ between its releases.
static class N
{
    public const Hash PLAYER_ID = (Hash)0x4F8644AF03D0E0D6UL;                      // PLAYER::PLAYER_ID()
    public const Hash IS_PLAYER_DEAD = (Hash)0x424D4687FA1E5652UL;                 // PLAYER::IS_PLAYER_DEAD(Player)
    public const Hash SET_PLAYER_INVINCIBLE = (Hash)0x239528EACDC3E7DEUL;          // PLAYER::SET_PLAYER_INVINCIBLE(Player, BOOL)
    public const Hash SET_EVERYONE_IGNORE_PLAYER = (Hash)0x8EEDA153AD141BA4UL;     // PLAYER::SET_EVERYONE_IGNORE_PLAYER(Player, BOOL)
    public const Hash SET_POLICE_IGNORE_PLAYER = (Hash)0x32C62AA929C2DA6AUL;       // PLAYER::SET_POLICE_IGNORE_PLAYER(Player, BOOL)
    public const Hash CLEAR_PLAYER_WANTED_LEVEL = (Hash)0xB302540597885499UL;      // PLAYER::CLEAR_PLAYER_WANTED_LEVEL(Player)
    public const Hash IS_ENTITY_DEAD = (Hash)0x5F9532F3B5CC2551UL;                 // ENTITY::IS_ENTITY_DEAD(Entity, BOOL)
    public const Hash SET_ENTITY_INVINCIBLE = (Hash)0x3882114BDE571AD4UL;          // ENTITY::SET_ENTITY_INVINCIBLE(Entity, BOOL)
    public const Hash SET_ENTITY_PROOFS = (Hash)0xFAEE099C6F890BB8UL;              // ENTITY::SET_ENTITY_PROOFS(Entity, 8 x BOOL)
    public const Hash GET_ENTITY_COORDS = (Hash)0x3FEF770D40960D5AUL;              // ENTITY::GET_ENTITY_COORDS(Entity, BOOL alive)
    public const Hash GET_ENTITY_HEADING = (Hash)0xE83D4F9BA2A38914UL;             // ENTITY::GET_ENTITY_HEADING(Entity)
    public const Hash GET_ENTITY_SPEED = (Hash)0xD5037BA82E12416FUL;               // ENTITY::GET_ENTITY_SPEED(Entity): m/s
    public const Hash IS_ENTITY_UPSIDEDOWN = (Hash)0x1DBD58820FA61D71UL;           // ENTITY::IS_ENTITY_UPSIDEDOWN(Entity)
    public const Hash IS_ENTITY_IN_WATER = (Hash)0xCFB0A0D8EDD145A3UL;             // ENTITY::IS_ENTITY_IN_WATER(Entity)
    public const Hash SET_ENTITY_COORDS = (Hash)0x06843DA7060A026BUL;              // ENTITY::SET_ENTITY_COORDS(Entity, x, y, z, BOOL, BOOL, BOOL, BOOL clearArea)
    public const Hash SET_ENTITY_HEADING = (Hash)0x8E2530AA8ADA980EUL;             // ENTITY::SET_ENTITY_HEADING(Entity, float)
    public const Hash IS_PED_IN_ANY_VEHICLE = (Hash)0x997ABD671D25CA0BUL;          // PED::IS_PED_IN_ANY_VEHICLE(Ped, BOOL atGetIn)
    public const Hash SET_PED_INTO_VEHICLE = (Hash)0xF75B0D629E1C063DUL;           // PED::SET_PED_INTO_VEHICLE(Ped, Vehicle, int seat): -1 = driver
    public const Hash SET_DRIVER_ABILITY = (Hash)0xB195FFA8042FC5C3UL;             // PED::SET_DRIVER_ABILITY(Ped, float)
    public const Hash SET_DRIVER_AGGRESSIVENESS = (Hash)0xA731F608CA104E3CUL;      // PED::SET_DRIVER_AGGRESSIVENESS(Ped, float)
    public const Hash TASK_VEHICLE_DRIVE_WANDER = (Hash)0x480142959D337D00UL;      // TASK::TASK_VEHICLE_DRIVE_WANDER(Ped, Vehicle, float speed, int style)
    public const Hash SET_VEHICLE_DOORS_LOCKED = (Hash)0xB664292EAECF7FA6UL;       // VEHICLE::SET_VEHICLE_DOORS_LOCKED(Vehicle, int): 4 = locked, player inside
    public const Hash SET_VEHICLE_TYRES_CAN_BURST = (Hash)0xEB9DC3C7D8596C46UL;    // VEHICLE::SET_VEHICLE_TYRES_CAN_BURST(Vehicle, BOOL)
    public const Hash SET_VEHICLE_CAN_BE_VISIBLY_DAMAGED = (Hash)0x4C7028F78FFD3681UL; // VEHICLE::SET_VEHICLE_CAN_BE_VISIBLY_DAMAGED(Vehicle, BOOL)
    public const Hash SET_VEHICLE_ENGINE_CAN_DEGRADE = (Hash)0x983765856F2564F9UL; // VEHICLE::SET_VEHICLE_ENGINE_CAN_DEGRADE(Vehicle, BOOL)
    public const Hash SET_VEHICLE_FIXED = (Hash)0x115722B1B9C14C1CUL;              // VEHICLE::SET_VEHICLE_FIXED(Vehicle)
    public const Hash SET_VEHICLE_ON_GROUND_PROPERLY = (Hash)0x49733E92263139D1UL; // VEHICLE::SET_VEHICLE_ON_GROUND_PROPERLY(Vehicle, float): 5.0 in the scripts
    public const Hash IS_VEHICLE_DRIVEABLE = (Hash)0x4C241E39B23DF959UL;           // VEHICLE::IS_VEHICLE_DRIVEABLE(Vehicle, BOOL isOnFireCheck)
    public const Hash IS_VEHICLE_STUCK_TIMER_UP = (Hash)0x679BE1DAF71DA874UL;      // VEHICLE::IS_VEHICLE_STUCK_TIMER_UP(Vehicle, int kind 0..3, int ms)
    public const Hash GET_CLOSEST_VEHICLE_NODE_WITH_HEADING = (Hash)0xFF071FB798B803B0UL; // PATHFIND::...(x, y, z, Vector3*, float*, int nodeType, float 3.0, float 0)
    public const Hash HIDE_HUD_AND_RADAR_THIS_FRAME = (Hash)0x719FF505F097FD20UL;  // HUD::HIDE_HUD_AND_RADAR_THIS_FRAME()
    public const Hash THEFEED_HIDE_THIS_FRAME = (Hash)0x25F87B30C382FCA7UL;        // HUD::THEFEED_HIDE_THIS_FRAME(): notifications
    public const Hash IS_PAUSE_MENU_ACTIVE = (Hash)0xB0034A223497FFCBUL;           // HUD::IS_PAUSE_MENU_ACTIVE()
    public const Hash IS_SCREEN_FADED_OUT = (Hash)0xB16FCE9DDC7BA182UL;            // CAM::IS_SCREEN_FADED_OUT()
    public const Hash GET_IS_LOADING_SCREEN_ACTIVE = (Hash)0x10D0A8F259E93EC9UL;   // DLC::GET_IS_LOADING_SCREEN_ACTIVE()
    public const Hash IS_PLAYER_SWITCH_IN_PROGRESS = (Hash)0xD9D2CFFF49FAB35FUL;   // STREAMING::IS_PLAYER_SWITCH_IN_PROGRESS()
    public const Hash NETWORK_IS_SESSION_STARTED = (Hash)0x9DE624D2FC4B603FUL;     // NETWORK::NETWORK_IS_SESSION_STARTED(): GTA Online
    public const Hash GET_FRAME_COUNT = (Hash)0xFC8202EFC642E6F2UL;                // MISC::GET_FRAME_COUNT()
    public const Hash GET_GAME_TIMER = (Hash)0x9CD27B0045628463UL;                 // MISC::GET_GAME_TIMER(): ms
    public const Hash SET_TIME_SCALE = (Hash)0x1D408577D440E81EUL;                 // MISC::SET_TIME_SCALE(float): at most 1
    public const Hash SET_WEATHER_TYPE_NOW_PERSIST = (Hash)0xED712CA327900C8AUL;   // MISC::SET_WEATHER_TYPE_NOW_PERSIST(const char*)
    public const Hash GET_PREV_WEATHER_TYPE_HASH_NAME = (Hash)0x564B884A05EC45A3UL; // MISC::GET_PREV_WEATHER_TYPE_HASH_NAME(): current weather
    public const Hash GET_NEXT_WEATHER_TYPE_HASH_NAME = (Hash)0x711327CD09C8F162UL; // MISC::GET_NEXT_WEATHER_TYPE_HASH_NAME()
    public const Hash GET_RAIN_LEVEL = (Hash)0x96695E368AD855F3UL;                 // MISC::GET_RAIN_LEVEL()
    public const Hash GET_HASH_KEY = (Hash)0xD24D37CC275948CCUL;                   // MISC::GET_HASH_KEY(const char*)
    public const Hash SET_CLOCK_TIME = (Hash)0x47C3B5848C3E45D8UL;                 // CLOCK::SET_CLOCK_TIME(int, int, int)
    public const Hash PAUSE_CLOCK = (Hash)0x4055E40BD2DBEC1DUL;                    // CLOCK::PAUSE_CLOCK(BOOL)
    public const Hash GET_CLOCK_HOURS = (Hash)0x25223CA6B4D20B7FUL;                // CLOCK::GET_CLOCK_HOURS()
    public const Hash GET_CLOCK_MINUTES = (Hash)0x13D2B8ADD79640F2UL;              // CLOCK::GET_CLOCK_MINUTES()
    public const Hash GET_FINAL_RENDERED_CAM_COORD = (Hash)0xA200EB1EE790F448UL;   // CAM::GET_FINAL_RENDERED_CAM_COORD()
    public const Hash GET_FINAL_RENDERED_CAM_ROT = (Hash)0x5B4E4C817FCC2DFBUL;     // CAM::GET_FINAL_RENDERED_CAM_ROT(int order): 2 in the scripts
    public const Hash GET_FINAL_RENDERED_CAM_FOV = (Hash)0x80EC114669DAEFF4UL;     // CAM::GET_FINAL_RENDERED_CAM_FOV(): degrees
    public const Hash GET_FINAL_RENDERED_CAM_NEAR_CLIP = (Hash)0xD0082607100D7193UL; // CAM::GET_FINAL_RENDERED_CAM_NEAR_CLIP()
    public const Hash GET_FINAL_RENDERED_CAM_FAR_CLIP = (Hash)0xDFC8CBC606FDB0FCUL;  // CAM::GET_FINAL_RENDERED_CAM_FAR_CLIP()
}

public class RdcAutoCapture : Script
{
    const string ModName = "gtav/RdcAutoCapture";
    const string ModVersion = "2.0.0";
    const float WanderSpeed = 15.0f;          // m/s
    const int DrivingStyleNormal = 786603;    // the "normal" driving style DeepGTAV drives with
    const int VehicleLockPlayerInside = 4;    // VEHICLELOCK_LOCKED_PLAYER_INSIDE (native DB's eVehicleLockState)
    const int NodeAnyDryPath = 1;             // GET_CLOSEST_VEHICLE_NODE_WITH_HEADING nodeType: 1 = any dry path
    const int CaptureWaitMs = 120000;         // give RenderDoc this long to write one capture
    const int PublishRetryMs = 30000;         // retry a locked file this long before giving the capture up
    const float StuckSpeed = 1.0f;            // m/s: slower than this counts towards the low-speed timer
    const int StuckMs = 20000;                // this long below StuckSpeed (game time) = stuck
    const int GameStuckMs = 10000;            // IS_VEHICLE_STUCK_TIMER_UP: the game's own stuck timers
    const int AfterRecoveryMs = 3000;         // no captures while the world streams in around a teleport
    const int MaxTickErrors = 50;             // consecutive failing ticks before the script gives up

    // Generic plan weather -> GTA V weather type name (SET_WEATHER_TYPE_NOW_PERSIST).
    static readonly Dictionary<string, string> GtaWeather = new Dictionary<string, string> {
        { "clear", "CLEAR" }, { "overcast", "OVERCAST" }, { "fog", "FOGGY" }, { "rain", "RAIN" } };
    static readonly string[] Weathers = { "clear", "overcast", "fog", "rain" };
    // (period, hour, weather) of the "schedule" plan, same order as rdc_extract/capture/plan.py.
    static readonly object[][] Schedule = {
        new object[] { "day", 13, "clear" }, new object[] { "night", 23, "clear" },
        new object[] { "day", 11, "fog" }, new object[] { "night", 1, "rain" },
        new object[] { "day", 15, "rain" }, new object[] { "night", 22, "fog" },
        new object[] { "day", 9, "overcast" }, new object[] { "night", 3, "overcast" },
        new object[] { "dusk", 19, "clear" }, new object[] { "dawn", 6, "fog" } };

    readonly Dictionary<string, string> settings;
    readonly RenderDocApi renderdoc;
    readonly string outDir, stagingDir, plan, runId, gameBuild;
    readonly int every, warmup, launch, limit, stateEvery, settleMs;
    readonly bool quitAtLimit;
    readonly ulong seed;
    readonly float timeScale;

    int captureIndex, published, nextCaptureFrame = -1, tickErrors;
    bool holding, secured, finished;        // secured: the task, locks and proofs are on the current car
    Vehicle car;                            // the car this script put the player in
    int slowSince = -1, recoveries, settledAt = -1, stateStep = -1, stateChangedAt;
    PlanStep step;
    // The capture in flight: RenderDoc's capture count before the trigger, the stem and its sidecar
    // (still open: the capture's SHA-256 is added once the file is written).
    int waitingSince = -1, publishingSince = -1; uint capturesBefore; string pendingStem, pendingRdc, pendingSidecarText;
    Json pendingSidecar;

    public RdcAutoCapture()
    {
        settings = LoadSettings();
        outDir = Setting("RDC_CAPTURE_DIR", null);
        if (outDir == null) { Fail("RDC_CAPTURE_DIR is not set (environment or RdcAutoCapture.ini)"); return; }
        stagingDir = Setting("RDC_CAPTURE_STAGING", Path.Combine(outDir, ".staging"));
        every = Math.Max(1, IntSetting("RDC_CAPTURE_EVERY", 40));
        warmup = IntSetting("RDC_CAPTURE_WARMUP", 300);
        seed = ulong.Parse(Setting("RDC_CAPTURE_SEED", "0"), CultureInfo.InvariantCulture);
        plan = Setting("RDC_CAPTURE_PLAN", "schedule");
        runId = Setting("RDC_CAPTURE_RUN_ID", DateTime.UtcNow.ToString("yyyyMMdd'T'HHmmss", CultureInfo.InvariantCulture));
        launch = IntSetting("RDC_CAPTURE_LAUNCH", 1);
        captureIndex = IntSetting("RDC_CAPTURE_START_INDEX", 0);
        limit = IntSetting("RDC_CAPTURE_LIMIT", 0);
        quitAtLimit = IntSetting("RDC_CAPTURE_QUIT_AT_LIMIT", 1) != 0;
        stateEvery = Math.Max(1, IntSetting("RDC_CAPTURE_STATE_EVERY", 10));
        settleMs = IntSetting("RDC_CAPTURE_SETTLE_MS", 8000);
        timeScale = float.Parse(Setting("RDC_CAPTURE_TIME_SCALE", "1.0"), CultureInfo.InvariantCulture);
        gameBuild = GameBuild();
        Directory.CreateDirectory(outDir);
        Directory.CreateDirectory(stagingDir);

        if (Function.Call<bool>(N.NETWORK_IS_SESSION_STARTED)) { Fail("GTA Online session: this mod is for Story Mode only"); return; }
        renderdoc = RenderDocApi.TryLoad();
        if (renderdoc == null) { Fail("renderdoc.dll is not loaded: start GTA V under RenderDoc (see README.md)"); return; }
        renderdoc.SetCapturePathTemplate(Path.Combine(stagingDir, runId));
        Log("GTA5.exe " + gameBuild + ", RenderDoc " + renderdoc.Version + ", run " + runId + " launch " + launch);

        Interval = 0;
        Tick += OnTick;
    }

    // ScriptHookVDotNet aborts a script whose Tick throws: log, count, carry on; give up only when every tick fails.
    void OnTick(object sender, EventArgs e)
    {
        try
        {
            Step();
            tickErrors = 0;
        }
        catch (Exception ex)
        {
            tickErrors++;
            Log("tick failed (" + tickErrors + " in a row): " + ex);
            if (tickErrors >= MaxTickErrors) Fail(MaxTickErrors + " ticks in a row failed; see RdcAutoCapture.log");
        }
    }

    void Step()
    {
        Function.Call(N.HIDE_HUD_AND_RADAR_THIS_FRAME);   // every frame: it lasts one frame
        Function.Call(N.THEFEED_HIDE_THIS_FRAME);
        if (finished) return;
        int frame = Function.Call<int>(N.GET_FRAME_COUNT);
        int now = Function.Call<int>(N.GET_GAME_TIMER);
        if (nextCaptureFrame < 0) nextCaptureFrame = frame + warmup;
        if (timeScale != 1.0f) Function.Call(N.SET_TIME_SCALE, timeScale);
        ApplyStateForCapture(captureIndex, now);
        KeepPlayerSafe(now);

        if (publishingSince >= 0) { TryPublish(now); return; }
        if (waitingSince >= 0) { WaitForRenderDoc(now); return; }
        if (holding || Busy() || frame < nextCaptureFrame || now < settledAt) return;

        pendingStem = "gtav_" + runId + "_r" + launch.ToString("00") + "_f" + frame.ToString("000000");
        pendingSidecar = SidecarJson(pendingStem, frame, now);
        capturesBefore = renderdoc.NumCaptures();
        renderdoc.SetCapturePathTemplate(Path.Combine(stagingDir, pendingStem));
        renderdoc.TriggerCapture();   // RenderDoc captures the next presented frame
        waitingSince = now;
    }

    // Pause menu, loading screen, faded-out screen, character switch: nothing worth a capture on screen.
    static bool Busy()
    {
        return Function.Call<bool>(N.IS_PAUSE_MENU_ACTIVE) || Function.Call<bool>(N.GET_IS_LOADING_SCREEN_ACTIVE)
            || Function.Call<bool>(N.IS_SCREEN_FADED_OUT) || Function.Call<bool>(N.IS_PLAYER_SWITCH_IN_PROGRESS);
    }

    void WaitForRenderDoc(int now)
    {
        // RenderDoc registers a capture (GetNumCaptures grows) only once its file is written and closed
        // (RenderDoc::FinishCaptureWriting, renderdoc/core/core.cpp), so a new entry is a whole file.
        if (renderdoc.NumCaptures() > capturesBefore)
        {
            pendingRdc = renderdoc.CapturePath(renderdoc.NumCaptures() - 1);
            waitingSince = -1;
            publishingSince = now;
            TryPublish(now);
        }
        else if (now - waitingSince > CaptureWaitMs)
        {
            Log("no capture from RenderDoc after " + CaptureWaitMs / 1000 + " s; trying again");
            waitingSince = -1;
            nextCaptureFrame = Function.Call<int>(N.GET_FRAME_COUNT) + every;
        }
    }

    // Sidecar as .json.tmp, the .rdc renamed into place, the sidecar renamed last; a file still locked (a
    // virus scanner, RenderDoc's UI opening it) is retried on later ticks.
    void TryPublish(int now)
    {
        string sidecarTmp = Path.Combine(stagingDir, pendingStem + ".json.tmp");
        string rdc = Path.Combine(outDir, pendingStem + ".rdc");
        try
        {
            if (pendingSidecarText == null)
                pendingSidecarText = pendingSidecar.Str("capture_sha256", Sha256Hex(pendingRdc)).Close() + "\n";
            if (!File.Exists(rdc))
            {
                File.WriteAllText(sidecarTmp, pendingSidecarText, new UTF8Encoding(false));
                File.Move(pendingRdc, rdc);
            }
            File.Move(sidecarTmp, Path.Combine(outDir, pendingStem + ".json"));
        }
        catch (Exception ex)
        {
            if (!(ex is IOException || ex is UnauthorizedAccessException)) throw;
            if (now - publishingSince < PublishRetryMs) return;
            Log("gave up publishing " + pendingStem + " after " + PublishRetryMs / 1000 + " s: " + ex.Message);
            publishingSince = -1; pendingSidecarText = null;
            nextCaptureFrame = Function.Call<int>(N.GET_FRAME_COUNT) + every;
            return;
        }
        publishingSince = -1; pendingSidecarText = null;
        published++; captureIndex++;
        Log("published " + pendingStem);
        nextCaptureFrame = Function.Call<int>(N.GET_FRAME_COUNT) + every;
        if (limit > 0 && published >= limit) Finish();
    }

    void Finish()
    {
        finished = true;
        Log("capture limit " + limit + " reached" + (quitAtLimit ? "; quitting the game" : "; no more captures"));
        if (quitAtLimit) Environment.Exit(0);
    }

    // The world state of the plan step covering `index`: changed only every `stateEvery` captures, then no
    // capture until `settleMs` of game time has passed (eye adaptation, rain wetting the roads).
    void ApplyStateForCapture(int index, int now)
    {
        int wanted = index / stateEvery;
        if (wanted == stateStep) return;
        stateStep = wanted;
        step = PlanFor(plan, seed, wanted);
        Function.Call(N.SET_CLOCK_TIME, step.Hour, step.Minute, 0);
        Function.Call(N.PAUSE_CLOCK, true);   // hold the planned light until the next change
        Function.Call(N.SET_WEATHER_TYPE_NOW_PERSIST, GtaWeather[step.Weather]);
        stateChangedAt = now;
        settledAt = now + settleMs;
        Log("world state step " + wanted + ": " + step.Hour + ":" + step.Minute.ToString("00") + " " + step.Weather
            + ", settling " + settleMs + " ms");
    }

    void KeepPlayerSafe(int now)
    {
        int player = Function.Call<int>(N.PLAYER_ID);
        Ped ped = Game.Player.Character;
        if (Function.Call<bool>(N.IS_ENTITY_DEAD, ped, false) || Function.Call<bool>(N.IS_PLAYER_DEAD, player))
        {
            if (!holding) Log("player died; holding captures until respawn");
            holding = true; secured = false;
            return;
        }
        Function.Call(N.SET_PLAYER_INVINCIBLE, player, true);
        Function.Call(N.SET_ENTITY_INVINCIBLE, ped, true);
        Function.Call(N.SET_ENTITY_PROOFS, ped, true, true, true, true, true, true, true, true);
        Function.Call(N.SET_EVERYONE_IGNORE_PLAYER, player, true);
        Function.Call(N.SET_POLICE_IGNORE_PLAYER, player, true);
        Function.Call(N.CLEAR_PLAYER_WANTED_LEVEL, player);

        bool inVehicle = Function.Call<bool>(N.IS_PED_IN_ANY_VEHICLE, ped, false);
        if (inVehicle && secured && car != null && car.Exists() && Function.Call<bool>(N.IS_VEHICLE_DRIVEABLE, car, false))
        {
            RecoverWhenStuck(ped, now);
            return;
        }
        Vehicle current = inVehicle ? ped.CurrentVehicle : null;
        if (current == null || !Function.Call<bool>(N.IS_VEHICLE_DRIVEABLE, current, false))
        {
            current = ReplaceCar(ped);
            if (current == null) return;   // model still streaming; try next tick
        }
        if (car != null && car.Exists() && car.Handle != current.Handle) car.MarkAsNoLongerNeeded();
        car = current;
        Secure(ped, car);
        if (holding) Log("player back in a car; captures resume");
        holding = false; secured = true; slowSince = -1;
        nextCaptureFrame = Math.Max(nextCaptureFrame, Function.Call<int>(N.GET_FRAME_COUNT) + 30);
    }

    // A new car where the player is; the caller releases the one it replaces (SET_ENTITY_AS_NO_LONGER_NEEDED).
    Vehicle ReplaceCar(Ped ped)
    {
        Model model = new Model(VehicleHash.Asea);
        Vehicle fresh = World.CreateVehicle(model, ped.Position, Function.Call<float>(N.GET_ENTITY_HEADING, ped));
        if (fresh == null) return null;
        model.MarkAsNoLongerNeeded();
        Function.Call(N.SET_PED_INTO_VEHICLE, ped, fresh, -1);
        Log("new car for the player");
        return fresh;
    }

    static void Secure(Ped ped, Vehicle vehicle)
    {
        Function.Call(N.SET_VEHICLE_DOORS_LOCKED, vehicle, VehicleLockPlayerInside);
        Function.Call(N.SET_ENTITY_INVINCIBLE, vehicle, true);
        Function.Call(N.SET_ENTITY_PROOFS, vehicle, true, true, true, true, true, true, true, true);
        Function.Call(N.SET_VEHICLE_CAN_BE_VISIBLY_DAMAGED, vehicle, false);
        Function.Call(N.SET_VEHICLE_ENGINE_CAN_DEGRADE, vehicle, false);
        Function.Call(N.SET_VEHICLE_TYRES_CAN_BURST, vehicle, false);
        Function.Call(N.SET_DRIVER_ABILITY, ped, 1.0f);
        Function.Call(N.SET_DRIVER_AGGRESSIVENESS, ped, 0.0f);
        Function.Call(N.TASK_VEHICLE_DRIVE_WANDER, ped, vehicle, WanderSpeed, DrivingStyleNormal);
    }

    // Stuck (slow for StuckMs, or the game's own stuck timers), upside down or in water: back onto the
    // nearest road node, on its wheels, repaired, and given its driving task again.
    void RecoverWhenStuck(Ped ped, int now)
    {
        bool slow = Function.Call<float>(N.GET_ENTITY_SPEED, car) < StuckSpeed;
        slowSince = slow ? (slowSince < 0 ? now : slowSince) : -1;
        string why = StuckReason(now);
        if (why == null) return;

        Vector3 at = Function.Call<Vector3>(N.GET_ENTITY_COORDS, car, true);
        using (var node = new OutputArgument())
        using (var heading = new OutputArgument())
        {
            if (!Function.Call<bool>(N.GET_CLOSEST_VEHICLE_NODE_WITH_HEADING, at.X, at.Y, at.Z, node, heading,
                                     NodeAnyDryPath, 3.0f, 0.0f))
            {
                Log("car " + why + " and no road node near " + at + "; trying again later");
                slowSince = -1;
                return;
            }
            Vector3 road = node.GetResult<Vector3>();
            Function.Call(N.SET_ENTITY_COORDS, car, road.X, road.Y, road.Z, false, false, false, true);
            Function.Call(N.SET_ENTITY_HEADING, car, heading.GetResult<float>());
        }
        Function.Call(N.SET_VEHICLE_ON_GROUND_PROPERLY, car, 5.0f);
        Function.Call(N.SET_VEHICLE_FIXED, car);
        Secure(ped, car);
        recoveries++;
        slowSince = -1;
        settledAt = Math.Max(settledAt, now + AfterRecoveryMs);
        Log("car " + why + " at " + at + ": moved to the nearest road node (recovery " + recoveries + ")");
    }

    string StuckReason(int now)
    {
        if (Function.Call<bool>(N.IS_ENTITY_IN_WATER, car)) return "in water";
        if (Function.Call<bool>(N.IS_ENTITY_UPSIDEDOWN, car)) return "upside down";
        if (slowSince >= 0 && now - slowSince > StuckMs) return "slower than " + StuckSpeed + " m/s for " + StuckMs / 1000 + " s";
        for (int kind = 0; kind <= 3; kind++)   // the game's own stuck timers, kinds 0..3 (native DB)
            if (Function.Call<bool>(N.IS_VEHICLE_STUCK_TIMER_UP, car, kind, GameStuckMs)) return "stuck timer " + kind;
        return null;
    }

    public struct PlanStep { public string Period; public int Hour; public int Minute; public string Weather; }

    // The scenario plan, identical to rdc_extract/capture/plan.py (SplitMix64 on integers).
    static ulong Mix(ulong seed, ulong index, ulong salt)
    {
        unchecked
        {
            ulong z = 0x9E3779B97F4A7C15UL * (seed + 1) + 0xBF58476D1CE4E5B9UL * index + 0x94D049BB133111EBUL * salt;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            return z ^ (z >> 31);
        }
    }

    public static PlanStep PlanFor(string plan, ulong seed, int index)
    {
        ulong k = (ulong)index;
        var s = new PlanStep();
        s.Minute = (int)(Mix(seed, k, 0) % 60);
        if (plan == "random")
        {
            s.Hour = (int)(Mix(seed, k, 1) % 24);
            s.Weather = Weathers[(int)(Mix(seed, k, 2) % 4)];
            s.Period = s.Hour >= 7 && s.Hour < 18 ? "day" : s.Hour >= 18 && s.Hour < 20 ? "dusk"
                     : s.Hour >= 5 && s.Hour < 7 ? "dawn" : "night";
        }
        else
        {
            object[] row = Schedule[index % Schedule.Length];
            s.Period = (string)row[0]; s.Hour = (int)row[1]; s.Weather = (string)row[2];
        }
        return s;
    }

    // Lower-case hex SHA-256 of a file, as docs/capture.md asks for `capture_sha256`.
    static string Sha256Hex(string path)
    {
        using (SHA256 sha = SHA256.Create())
        using (FileStream stream = File.OpenRead(path))
        {
            byte[] hash = sha.ComputeHash(stream);
            var hex = new StringBuilder(hash.Length * 2);
            foreach (byte b in hash) hex.Append(b.ToString("x2", CultureInfo.InvariantCulture));
            return hex.ToString();
        }
    }

    // GTA5.exe's file version (e.g. 1.0.3258.0), what ScriptHookV and ScriptHookVDotNet support by.
    static string GameBuild()
    {
        try { return FileVersionInfo.GetVersionInfo(Process.GetCurrentProcess().MainModule.FileName).FileVersion; }
        catch (Exception) { return "unknown"; }
    }

    // The sidecar of the capture about to be triggered, with the state read back from the game now (the
    // captured frame is the next one), left open for `capture_sha256`.
    Json SidecarJson(string stem, int frame, int now)
    {
        Ped ped = Game.Player.Character;
        Vector3 pos = Function.Call<Vector3>(N.GET_ENTITY_COORDS, ped, true);
        Vector3 cam = Function.Call<Vector3>(N.GET_FINAL_RENDERED_CAM_COORD);
        Vector3 rot = Function.Call<Vector3>(N.GET_FINAL_RENDERED_CAM_ROT, 2);
        var j = new Json();
        j.Str("schema", "rdc-extract/capture-sidecar").Int("schema_version", 1)
         .Str("capture", stem + ".rdc").Raw("ground_truth", "null")
         .Str("game", "gtav").Str("game_build", gameBuild)
         .Int("frame_number", frame)
         .Int("clock_hour", Function.Call<int>(N.GET_CLOCK_HOURS))
         .Int("clock_minute", Function.Call<int>(N.GET_CLOCK_MINUTES))
         .Str("weather", step.Weather)
         .Raw("player_pose", new Json().Num("x", pos.X).Num("y", pos.Y).Num("z", pos.Z)
              .Num("heading_deg", Function.Call<float>(N.GET_ENTITY_HEADING, ped)).Close())
         .Raw("seed", "null")
         .Str("mod_name", ModName).Str("mod_version", ModVersion).Str("renderdoc_version", renderdoc.Version)
         .Str("run_id", runId).Int("launch", launch).Int("capture_index", captureIndex)
         .Str("captured_at_utc", DateTime.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss'+00:00'", CultureInfo.InvariantCulture))
         .Raw("plan_step", new Json().Str("plan", plan).Raw("plan_seed", seed.ToString(CultureInfo.InvariantCulture))
              .Int("index", stateStep).Str("period", step.Period).Int("hour", step.Hour).Int("minute", step.Minute)
              .Str("weather", step.Weather).Close())
         .Raw("extra", new Json().Str("gta_weather", GtaWeather[step.Weather])
              .Int("weather_hash_now", Function.Call<int>(N.GET_PREV_WEATHER_TYPE_HASH_NAME))
              .Int("weather_hash_next", Function.Call<int>(N.GET_NEXT_WEATHER_TYPE_HASH_NAME))
              .Int("weather_hash_asked", Function.Call<int>(N.GET_HASH_KEY, GtaWeather[step.Weather]))
              .Num("rain_level", Function.Call<float>(N.GET_RAIN_LEVEL))
              .Int("state_every", stateEvery).Int("state_age_ms", now - stateChangedAt)
              .Int("car_recoveries", recoveries)
              .Raw("camera", new Json().Num("x", cam.X).Num("y", cam.Y).Num("z", cam.Z)
                   .Num("pitch_deg", rot.X).Num("roll_deg", rot.Y).Num("yaw_deg", rot.Z)
                   .Num("fov_deg", Function.Call<float>(N.GET_FINAL_RENDERED_CAM_FOV))
                   .Num("near_clip", Function.Call<float>(N.GET_FINAL_RENDERED_CAM_NEAR_CLIP))
                   .Num("far_clip", Function.Call<float>(N.GET_FINAL_RENDERED_CAM_FAR_CLIP)).Close())
              .Str("frame_note", "frame_number and the state are read at TriggerCapture; RenderDoc captures the next frame")
              .Close());
        return j;
    }

    Dictionary<string, string> LoadSettings()
    {
        var values = new Dictionary<string, string>();
        string ini = Path.Combine(BaseDirectory, "RdcAutoCapture.ini");
        if (File.Exists(ini))
            foreach (string line in File.ReadAllLines(ini, Encoding.UTF8))
            {
                int eq = line.IndexOf('=');
                if (eq > 0 && !line.TrimStart().StartsWith("#")) values[line.Substring(0, eq).Trim()] = line.Substring(eq + 1).Trim();
            }
        return values;
    }

    string Setting(string key, string fallback)
    {
        string env = Environment.GetEnvironmentVariable(key);
        if (!string.IsNullOrEmpty(env)) return env;
        string value;
        return settings.TryGetValue(key, out value) && value.Length > 0 ? value : fallback;
    }

    int IntSetting(string key, int fallback)
    {
        return int.Parse(Setting(key, fallback.ToString(CultureInfo.InvariantCulture)), CultureInfo.InvariantCulture);
    }

    void Log(string message)
    {
        File.AppendAllText(Path.Combine(BaseDirectory, "RdcAutoCapture.log"),
            DateTime.UtcNow.ToString("s", CultureInfo.InvariantCulture) + " " + message + Environment.NewLine,
            new UTF8Encoding(false));
    }

    void Fail(string message)
    {
        Log("FATAL: " + message);
        GTA.UI.Notification.Show("~r~" + ModName + ": " + message);
        Abort();
    }

    // Minimal JSON object writer: keys and string values escaped; numbers in invariant culture.
    sealed class Json
    {
        readonly StringBuilder sb = new StringBuilder("{");
        bool first = true;
        Json Key(string key) { sb.Append(first ? "" : ", ").Append(Quote(key)).Append(": "); first = false; return this; }
        public Json Str(string key, string value) { Key(key).sb.Append(Quote(value)); return this; }
        public Json Int(string key, long value) { Key(key).sb.Append(value.ToString(CultureInfo.InvariantCulture)); return this; }
        public Json Num(string key, double value) { Key(key).sb.Append(value.ToString("R", CultureInfo.InvariantCulture)); return this; }
        public Json Raw(string key, string json) { Key(key).sb.Append(json); return this; }
        public string Close() { return sb.ToString() + "}"; }
        static string Quote(string s)
        {
            var q = new StringBuilder("\"");
            foreach (char c in s)
            {
                if (c == '"' || c == '\\') q.Append('\\').Append(c);
                else if (c < ' ') q.Append("\\u").Append(((int)c).ToString("x4"));
                else q.Append(c);
            }
            return q.Append('"').ToString();
        }
    }
}

// RenderDoc's in-app API (renderdoc_app.h, RENDERDOC_API_1_4_1 function table) reached from the renderdoc.dll
// RenderDoc injected into the game; the table indices match rdc_extract/rd/inapp.py. Paths cross it as
// UTF-8 (the header: "pathtemplate is a UTF-8 string", "filename will be filled with ... a UTF-8 string").
sealed class RenderDocApi
{
    [DllImport("kernel32.dll", CharSet = CharSet.Unicode)] static extern IntPtr GetModuleHandle(string name);
    [DllImport("kernel32.dll", CharSet = CharSet.Ansi, BestFitMapping = false)] static extern IntPtr GetProcAddress(IntPtr module, string name);

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)] delegate int GetApiFn(int version, out IntPtr table);
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)] delegate IntPtr GetVersionStringFn();
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)] delegate void SetTemplateFn(byte[] utf8Template);
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)] delegate uint GetNumCapturesFn();
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)] delegate uint GetCaptureFn(uint index, byte[] utf8Filename, out uint length, out ulong timestamp);
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)] delegate void TriggerCaptureFn();

    const int Version141 = 10401;
    const int SetCaptureFilePathTemplate = 11, GetNumCaptures = 13, GetCapture = 14, TriggerCaptureIndex = 15;

    SetTemplateFn setTemplate; GetNumCapturesFn getNumCaptures; GetCaptureFn getCapture; TriggerCaptureFn trigger;
    public string Version = "unknown";

    public static RenderDocApi TryLoad()
    {
        IntPtr module = GetModuleHandle("renderdoc.dll");
        if (module == IntPtr.Zero) return null;
        IntPtr getApi = GetProcAddress(module, "RENDERDOC_GetAPI");
        IntPtr table;
        if (getApi == IntPtr.Zero || Fn<GetApiFn>(getApi)(Version141, out table) != 1 || table == IntPtr.Zero) return null;
        var api = new RenderDocApi();
        api.setTemplate = Fn<SetTemplateFn>(Marshal.ReadIntPtr(table, SetCaptureFilePathTemplate * IntPtr.Size));
        api.getNumCaptures = Fn<GetNumCapturesFn>(Marshal.ReadIntPtr(table, GetNumCaptures * IntPtr.Size));
        api.getCapture = Fn<GetCaptureFn>(Marshal.ReadIntPtr(table, GetCapture * IntPtr.Size));
        api.trigger = Fn<TriggerCaptureFn>(Marshal.ReadIntPtr(table, TriggerCaptureIndex * IntPtr.Size));
        IntPtr versionFn = GetProcAddress(module, "RENDERDOC_GetVersionString");
        if (versionFn != IntPtr.Zero) api.Version = Utf8(Fn<GetVersionStringFn>(versionFn)());
        return api;
    }

    static T Fn<T>(IntPtr pointer) where T : class
    {
        return Marshal.GetDelegateForFunctionPointer(pointer, typeof(T)) as T;
    }

    static string Utf8(IntPtr text)
    {
        if (text == IntPtr.Zero) return "unknown";
        int length = 0;
        while (Marshal.ReadByte(text, length) != 0) length++;
        var bytes = new byte[length];
        Marshal.Copy(text, bytes, 0, length);
        return Encoding.UTF8.GetString(bytes);
    }

    public static byte[] ToUtf8(string text)
    {
        byte[] body = Encoding.UTF8.GetBytes(text);
        var terminated = new byte[body.Length + 1];
        Array.Copy(body, terminated, body.Length);
        return terminated;
    }

    public static string FromUtf8(byte[] buffer)
    {
        int end = Array.IndexOf(buffer, (byte)0);
        return Encoding.UTF8.GetString(buffer, 0, end < 0 ? buffer.Length : end);
    }

    public void SetCapturePathTemplate(string template) { setTemplate(ToUtf8(template)); }
    public uint NumCaptures() { return getNumCaptures(); }
    public void TriggerCapture() { trigger(); }

    public string CapturePath(uint index)
    {
        uint length; ulong timestamp;
        getCapture(index, null, out length, out timestamp);   // the path's length in bytes
        var path = new byte[length + 1];
        getCapture(index, path, out length, out timestamp);
        return FromUtf8(path);
    }
}
