// RdcAutoCapture: the rdc-extract capture mod for GTA V, as a ScriptHookVDotNet v3 script.
//
// UNTESTED: written from public documentation (see README.md next to this file); it has never been
// compiled or run by the rdc-extract authors, who have no Windows/GTA V machine. It is written in
// C# 5 so that ScriptHookVDotNet can compile it from source (drop the .cs into GTA V's scripts folder).
//
// What it does, like mod_scripts/city_game/autocapture.py:
//   - keeps the player driving and unbothered: a wander-driving task, invincibility, ignored by
//     everyone and the police, doors locked with the player inside; re-applied after a death;
//   - follows the rdc-extract scenario plan (clock + weather per capture index; the same SplitMix64
//     plan as rdc_extract/capture/plan.py);
//   - every RDC_CAPTURE_EVERY game frames asks RenderDoc's in-app API for a capture of the next
//     frame (TriggerCapture), waits until RenderDoc has registered the finished file, writes the
//     sidecar JSON (docs/capture.md schema 1) with the capture's SHA-256 (`capture_sha256`, which
//     the extraction checks), and publishes the pair: .rdc renamed into place, then the sidecar
//     renamed last. A capture and its sidecar appear together or not at all.
//
// Settings: environment variables RDC_CAPTURE_* (docs/capture.md) or, since GTA V is usually started
// by a launcher that drops the environment, the same KEY=VALUE lines in scripts\RdcAutoCapture.ini.

using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using GTA;
using GTA.Math;
using GTA.Native;

public class RdcAutoCapture : Script
{
    const string ModName = "gtav/RdcAutoCapture";
    const string ModVersion = "1.0.0";
    const float WanderSpeed = 15.0f;          // m/s
    const int DrivingStyleNormal = 786603;    // the "normal" style DeepGTAV and most scripts use
    const int VehicleLockPlayerInside = 4;    // SET_VEHICLE_DOORS_LOCKED: locked, player stays inside
    const int CaptureWaitMs = 120000;         // give RenderDoc this long to write one capture

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
    readonly string outDir, stagingDir, plan, runId;
    readonly int every, warmup, launch, limit;
    readonly ulong seed;
    readonly float timeScale;

    int captureIndex, started, nextCaptureFrame = -1;
    bool holding, secured;   // secured: the wander task and locks have been applied to the current car
    string stepPeriod, stepWeather; int stepHour, stepMinute;
    // The capture in flight: RenderDoc's capture count before the trigger, the stem and its sidecar
    // (still open: the capture's SHA-256 is added once the file is written).
    int waitingSince = -1; uint capturesBefore; string pendingStem; Json pendingSidecar;

    public RdcAutoCapture()
    {
        settings = LoadSettings();
        outDir = Setting("RDC_CAPTURE_DIR", null);
        if (outDir == null) { Fail("RDC_CAPTURE_DIR is not set (environment or RdcAutoCapture.ini)"); return; }
        stagingDir = Setting("RDC_CAPTURE_STAGING", Path.Combine(outDir, ".staging"));
        every = int.Parse(Setting("RDC_CAPTURE_EVERY", "40"), CultureInfo.InvariantCulture);
        warmup = int.Parse(Setting("RDC_CAPTURE_WARMUP", "300"), CultureInfo.InvariantCulture);
        seed = ulong.Parse(Setting("RDC_CAPTURE_SEED", "0"), CultureInfo.InvariantCulture);
        plan = Setting("RDC_CAPTURE_PLAN", "schedule");
        runId = Setting("RDC_CAPTURE_RUN_ID", DateTime.UtcNow.ToString("yyyyMMdd'T'HHmmss", CultureInfo.InvariantCulture));
        launch = int.Parse(Setting("RDC_CAPTURE_LAUNCH", "1"), CultureInfo.InvariantCulture);
        captureIndex = int.Parse(Setting("RDC_CAPTURE_START_INDEX", "0"), CultureInfo.InvariantCulture);
        limit = int.Parse(Setting("RDC_CAPTURE_LIMIT", "0"), CultureInfo.InvariantCulture);
        timeScale = float.Parse(Setting("RDC_CAPTURE_TIME_SCALE", "1.0"), CultureInfo.InvariantCulture);
        Directory.CreateDirectory(outDir);
        Directory.CreateDirectory(stagingDir);

        renderdoc = RenderDocApi.TryLoad();
        if (renderdoc == null) { Fail("renderdoc.dll is not loaded: start GTA V from RenderDoc (see README.md)"); return; }
        renderdoc.SetCapturePathTemplate(Path.Combine(stagingDir, runId));
        Log("game " + Game.Version + ", RenderDoc " + renderdoc.Version + ", run " + runId + " launch " + launch);

        Interval = 0;
        Tick += OnTick;
    }

    void OnTick(object sender, EventArgs e)
    {
        int frame = Function.Call<int>(Hash.GET_FRAME_COUNT);
        if (nextCaptureFrame < 0) { nextCaptureFrame = frame + warmup; ApplyPlan(); }
        if (timeScale != 1.0f) Function.Call(Hash.SET_TIME_SCALE, timeScale);
        KeepPlayerSafe();

        if (waitingSince >= 0) { PublishWhenWritten(); return; }
        if (holding || frame < nextCaptureFrame || (limit > 0 && started >= limit)) return;

        pendingStem = "gtav_" + runId + "_r" + launch.ToString("00") + "_f" + frame.ToString("000000");
        pendingSidecar = SidecarJson(pendingStem, frame);
        capturesBefore = renderdoc.NumCaptures();
        renderdoc.SetCapturePathTemplate(Path.Combine(stagingDir, pendingStem));
        renderdoc.TriggerCapture();   // RenderDoc captures the next presented frame
        waitingSince = Game.GameTime;
    }

    void PublishWhenWritten()
    {
        // RenderDoc registers a capture (GetNumCaptures grows) only after the file is closed
        // (RenderDoc::FinishCaptureWriting in renderdoc/core/core.cpp), so a new entry is a whole file.
        if (renderdoc.NumCaptures() > capturesBefore)
        {
            string written = renderdoc.CapturePath(renderdoc.NumCaptures() - 1);
            string sidecarTmp = Path.Combine(stagingDir, pendingStem + ".json.tmp");
            string sidecar = pendingSidecar.Str("capture_sha256", Sha256Hex(written)).Close() + "\n";
            File.WriteAllText(sidecarTmp, sidecar, new UTF8Encoding(false));
            File.Move(written, Path.Combine(outDir, pendingStem + ".rdc"));
            File.Move(sidecarTmp, Path.Combine(outDir, pendingStem + ".json"));
            Log("published " + pendingStem);
            started++; captureIndex++;
            nextCaptureFrame = Function.Call<int>(Hash.GET_FRAME_COUNT) + every;
            ApplyPlan();
            waitingSince = -1;
        }
        else if (Game.GameTime - waitingSince > CaptureWaitMs)
        {
            Log("no capture from RenderDoc after " + CaptureWaitMs / 1000 + " s; trying again");
            waitingSince = -1;
            nextCaptureFrame = Function.Call<int>(Hash.GET_FRAME_COUNT) + every;
        }
    }

    void KeepPlayerSafe()
    {
        int player = Function.Call<int>(Hash.PLAYER_ID);
        Ped ped = Game.Player.Character;
        if (Function.Call<bool>(Hash.IS_ENTITY_DEAD, ped) || Function.Call<bool>(Hash.IS_PLAYER_DEAD, player))
        {
            if (!holding) Log("player died; holding captures until respawn");
            holding = true; secured = false;
            return;
        }
        Function.Call(Hash.SET_PLAYER_INVINCIBLE, player, true);
        Function.Call(Hash.SET_ENTITY_INVINCIBLE, ped, true);
        Function.Call(Hash.SET_ENTITY_PROOFS, ped, true, true, true, true, true, true, true, true);
        Function.Call(Hash.SET_EVERYONE_IGNORE_PLAYER, player, true);
        Function.Call(Hash.SET_POLICE_IGNORE_PLAYER, player, true);
        Function.Call(Hash.CLEAR_PLAYER_WANTED_LEVEL, player);

        bool inVehicle = Function.Call<bool>(Hash.IS_PED_IN_ANY_VEHICLE, ped, false);
        if (!inVehicle || holding || !secured)
        {
            Vehicle car = inVehicle ? ped.CurrentVehicle
                                    : World.CreateVehicle(new Model(VehicleHash.Asea), ped.Position, ped.Heading);
            if (car == null) return;   // model still streaming; try next tick
            if (!inVehicle) Function.Call(Hash.SET_PED_INTO_VEHICLE, ped, car, -1);
            Function.Call(Hash.SET_VEHICLE_DOORS_LOCKED, car, VehicleLockPlayerInside);
            Function.Call(Hash.SET_VEHICLE_TYRES_CAN_BURST, car, false);
            Function.Call(Hash.SET_DRIVER_ABILITY, ped, 1.0f);
            Function.Call(Hash.SET_DRIVER_AGGRESSIVENESS, ped, 0.0f);
            Function.Call(Hash.TASK_VEHICLE_DRIVE_WANDER, ped, car, WanderSpeed, DrivingStyleNormal);
            if (holding) Log("player back in a car; captures resume");
            holding = false; secured = true;
            nextCaptureFrame = Math.Max(nextCaptureFrame, Function.Call<int>(Hash.GET_FRAME_COUNT) + 30);
        }
    }

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

    void ApplyPlan()
    {
        ulong k = (ulong)captureIndex;
        stepMinute = (int)(Mix(seed, k, 0) % 60);
        if (plan == "random")
        {
            stepHour = (int)(Mix(seed, k, 1) % 24);
            stepWeather = Weathers[(int)(Mix(seed, k, 2) % 4)];
            stepPeriod = stepHour >= 7 && stepHour < 18 ? "day" : stepHour >= 18 && stepHour < 20 ? "dusk"
                       : stepHour >= 5 && stepHour < 7 ? "dawn" : "night";
        }
        else
        {
            object[] row = Schedule[captureIndex % Schedule.Length];
            stepPeriod = (string)row[0]; stepHour = (int)row[1]; stepWeather = (string)row[2];
        }
        Function.Call(Hash.SET_CLOCK_TIME, stepHour, stepMinute, 0);
        Function.Call(Hash.PAUSE_CLOCK, true);   // hold the planned light until the capture
        Function.Call(Hash.SET_WEATHER_TYPE_NOW_PERSIST, GtaWeather[stepWeather]);
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

    // The sidecar of the capture about to be triggered, left open for `capture_sha256`.
    Json SidecarJson(string stem, int frame)
    {
        Ped ped = Game.Player.Character;
        Vector3 pos = Function.Call<Vector3>(Hash.GET_ENTITY_COORDS, ped, true);
        float heading = Function.Call<float>(Hash.GET_ENTITY_HEADING, ped);
        var j = new Json();
        j.Str("schema", "rdc-extract/capture-sidecar").Int("schema_version", 1)
         .Str("capture", stem + ".rdc").Raw("ground_truth", "null")
         .Str("game", "gtav").Str("game_build", Game.Version.ToString())
         .Int("frame_number", frame)
         .Int("clock_hour", Function.Call<int>(Hash.GET_CLOCK_HOURS))
         .Int("clock_minute", Function.Call<int>(Hash.GET_CLOCK_MINUTES))
         .Str("weather", stepWeather)
         .Raw("player_pose", new Json().Num("x", pos.X).Num("y", pos.Y).Num("z", pos.Z).Num("heading_deg", heading).Close())
         .Raw("seed", "null")
         .Str("mod_name", ModName).Str("mod_version", ModVersion).Str("renderdoc_version", renderdoc.Version)
         .Str("run_id", runId).Int("launch", launch).Int("capture_index", captureIndex)
         .Str("captured_at_utc", DateTime.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss'+00:00'", CultureInfo.InvariantCulture))
         .Raw("plan_step", new Json().Str("plan", plan).Raw("plan_seed", seed.ToString(CultureInfo.InvariantCulture))
              .Int("index", captureIndex).Str("period", stepPeriod).Int("hour", stepHour).Int("minute", stepMinute)
              .Str("weather", stepWeather).Close())
         .Raw("extra", new Json().Str("gta_weather", GtaWeather[stepWeather])
              .Str("frame_note", "frame_number is GET_FRAME_COUNT at TriggerCapture; RenderDoc captures the next frame")
              .Close());
        return j;
    }

    Dictionary<string, string> LoadSettings()
    {
        var values = new Dictionary<string, string>();
        string ini = Path.Combine(BaseDirectory, "RdcAutoCapture.ini");
        if (File.Exists(ini))
            foreach (string line in File.ReadAllLines(ini))
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

    void Log(string message)
    {
        File.AppendAllText(Path.Combine(BaseDirectory, "RdcAutoCapture.log"),
            DateTime.UtcNow.ToString("s", CultureInfo.InvariantCulture) + " " + message + Environment.NewLine);
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

// RenderDoc's in-app API (renderdoc_app.h, RENDERDOC_API_1_4_1 function table) reached from the
// renderdoc.dll RenderDoc injected into the game; the table indices match rdc_extract/capture/inapp.py.
sealed class RenderDocApi
{
    [DllImport("kernel32.dll", CharSet = CharSet.Ansi)] static extern IntPtr GetModuleHandle(string name);
    [DllImport("kernel32.dll", CharSet = CharSet.Ansi)] static extern IntPtr GetProcAddress(IntPtr module, string name);

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)] delegate int GetApiFn(int version, out IntPtr table);
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)] delegate IntPtr GetVersionStringFn();
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)] delegate void SetTemplateFn([MarshalAs(UnmanagedType.LPStr)] string template);
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)] delegate uint GetNumCapturesFn();
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)] delegate uint GetCaptureFn(uint index, StringBuilder filename, out uint length, out ulong timestamp);
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
        if (versionFn != IntPtr.Zero) api.Version = Marshal.PtrToStringAnsi(Fn<GetVersionStringFn>(versionFn)());
        return api;
    }

    static T Fn<T>(IntPtr pointer) where T : class
    {
        return Marshal.GetDelegateForFunctionPointer(pointer, typeof(T)) as T;
    }

    public void SetCapturePathTemplate(string template) { setTemplate(template); }
    public uint NumCaptures() { return getNumCaptures(); }
    public void TriggerCapture() { trigger(); }

    public string CapturePath(uint index)
    {
        uint length; ulong timestamp;
        getCapture(index, null, out length, out timestamp);
        var path = new StringBuilder((int)length + 1);
        getCapture(index, path, out length, out timestamp);
        return path.ToString();
    }
}
