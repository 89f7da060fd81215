// Prints the GTA V mod's scenario plan (RdcAutoCapture.PlanFor) and its UTF-8 path round trip, for
// tests/test_gtav_mod.py to compare with rdc_extract/capture/plan.py. Runs under Mono with the stub.

using System;

static class PlanCheck
{
    static void Main(string[] args)
    {
        foreach (string plan in new[] { "schedule", "random" })
            for (int k = 0; k < 12; k++)
            {
                RdcAutoCapture.PlanStep s = RdcAutoCapture.PlanFor(plan, plan == "random" ? 5UL : 0UL, k);
                Console.WriteLine(plan + " " + k + " " + s.Period + " " + s.Hour + " " + s.Minute + " " + s.Weather);
            }
        string path = args.Length > 0 ? args[0] : "D:\\captures\\ünïcødé\\gtav";
        byte[] utf8 = RenderDocApi.ToUtf8(path);
        Console.WriteLine("utf8 " + BitConverter.ToString(utf8).Replace("-", "").ToLowerInvariant());
        Console.WriteLine("back " + (RenderDocApi.FromUtf8(utf8) == path));
    }
}
