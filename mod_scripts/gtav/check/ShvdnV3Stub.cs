// A stub of the part of ScriptHookVDotNet's v3 API that RdcAutoCapture.3.cs uses, with the signatures of
// ScriptHookVDotNet v3.6.0 (source/scripting_v3 in github.com/scripthookvdotnet/scripthookvdotnet), so the
// script can be compiled on Linux (scripts/check_gtav_mod.sh). It does nothing: it only lets the compiler
// check names, types and C# 5 syntax. Calling a native through it throws.

using System;

namespace GTA.Math
{
    public struct Vector3
    {
        public float X, Y, Z;
        public override string ToString() { return "X:" + X + " Y:" + Y + " Z:" + Z; }
    }
}

namespace GTA.Native
{
    public enum Hash : ulong { }

    public class InputArgument
    {
        public static implicit operator InputArgument(bool value) { return new InputArgument(); }
        public static implicit operator InputArgument(int value) { return new InputArgument(); }
        public static implicit operator InputArgument(uint value) { return new InputArgument(); }
        public static implicit operator InputArgument(float value) { return new InputArgument(); }
        public static implicit operator InputArgument(double value) { return new InputArgument(); }
        public static implicit operator InputArgument(string value) { return new InputArgument(); }
        public static implicit operator InputArgument(Enum value) { return new InputArgument(); }
        public static implicit operator InputArgument(OutputArgument value) { return new InputArgument(); }
        public static implicit operator InputArgument(GTA.Entity value) { return new InputArgument(); }   // Entity.cs
        public static implicit operator InputArgument(GTA.Player value) { return new InputArgument(); }   // Player.cs
        public static implicit operator InputArgument(GTA.Model value) { return new InputArgument(); }    // Model.cs
    }

    public class OutputArgument : IDisposable
    {
        public OutputArgument() { }
        public T GetResult<T>() { throw new NotSupportedException("stub"); }
        public void Dispose() { }
    }

    public static class Function
    {
        public static T Call<T>(Hash hash, params InputArgument[] arguments) { throw new NotSupportedException("stub"); }
        public static void Call(Hash hash, params InputArgument[] arguments) { throw new NotSupportedException("stub"); }
    }
}

namespace GTA
{
    using GTA.Math;

    public enum VehicleHash : uint { Asea = 2485144969u }

    public struct Model
    {
        public Model(VehicleHash hash) { }
        public void MarkAsNoLongerNeeded() { }
    }

    public abstract class Entity
    {
        public int Handle { get { return 0; } }
        public virtual Vector3 Position { get { return new Vector3(); } set { } }
        public bool Exists() { return false; }
        public void MarkAsNoLongerNeeded() { }
    }

    public sealed class Ped : Entity
    {
        public Vehicle CurrentVehicle { get { return null; } }
    }

    public sealed class Vehicle : Entity { }

    public sealed class Player
    {
        public Ped Character { get { return null; } }
    }

    public static class Game
    {
        public static Player Player { get { return null; } }
    }

    public static class World
    {
        public static Vehicle CreateVehicle(Model model, Vector3 position, float heading = 0f) { return null; }
    }

    public abstract class Script
    {
        public event EventHandler Tick { add { } remove { } }
        protected int Interval { get { return 0; } set { } }
        public string BaseDirectory { get { return "."; } }
        public void Abort() { }
    }
}

namespace GTA.UI
{
    public static class Notification
    {
        public static int Show(string message, bool blinking = false) { return 0; }
    }
}
