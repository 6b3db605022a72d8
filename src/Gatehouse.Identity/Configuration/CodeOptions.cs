namespace Gatehouse.Identity.Configuration;

/// <summary>The <c>Gatehouse:Codes</c> section: one-time codes sent by email.</summary>
public sealed class CodeOptions
{
    public const int MinDigits = 6;
    public const int MaxDigits = 10;
    public static readonly TimeSpan MinLifetime = TimeSpan.FromMinutes(1);
    public static readonly TimeSpan MaxLifetime = TimeSpan.FromMinutes(10);

    /// <summary>How many decimal digits a code has (6 to 10).</summary>
    public int Digits { get; set; } = 6;

    /// <summary>How long a code stays usable (1 to 10 minutes).</summary>
    public TimeSpan Lifetime { get; set; } = MaxLifetime;

    /// <summary>Wrong attempts after which a code is void (1 to 10).</summary>
    public int MaxAttempts { get; set; } = 5;

    internal void Check(string key, List<string> problems)
    {
        if (Digits is < MinDigits or > MaxDigits)
        {
            problems.Add($"{key}:Digits is {Digits}; codes have between {MinDigits} and {MaxDigits} digits.");
        }

        if (Lifetime < MinLifetime || Lifetime > MaxLifetime)
        {
            problems.Add($"{key}:Lifetime is {Lifetime}; codes live between {MinLifetime} and {MaxLifetime}.");
        }

        if (MaxAttempts is < 1 or > 10)
        {
            problems.Add($"{key}:MaxAttempts is {MaxAttempts}; allow between 1 and 10 attempts per code.");
        }
    }
}
