namespace Gatehouse.Identity.Configuration;

/// <summary>The <c>Gatehouse:Passwords</c> section: the password policy and how passwords are hashed.</summary>
public sealed class PasswordOptions
{
    /// <summary>OWASP's Argon2id floor: 19 MiB of memory, 2 passes, 1 lane.</summary>
    public const int MinMemoryKiB = 19 * 1024;
    public const int MinIterations = 2;
    public const int MinLengthFloor = 8;
    public const int MaxLengthFloor = 64;

    /// <summary>Shortest password, in Unicode code points after NFKC normalisation (at least 8).</summary>
    public int MinLength { get; set; } = MinLengthFloor;

    /// <summary>Longest password, in code points after normalisation (at least 64).</summary>
    public int MaxLength { get; set; } = 256;

    /// <summary>Refuse passwords on the embedded list of common passwords.</summary>
    public bool RejectCommon { get; set; } = true;

    public Argon2Options Hashing { get; set; } = new();

    public BreachedPasswordOptions Breached { get; set; } = new();

    internal void Check(string key, List<string> problems)
    {
        if (MinLength < MinLengthFloor || MinLength > 1024)
        {
            problems.Add($"{key}:MinLength is {MinLength}; it must be between {MinLengthFloor} and 1024.");
        }

        if (MaxLength < MaxLengthFloor || MaxLength > 4096 || MaxLength < MinLength)
        {
            problems.Add($"{key}:MaxLength is {MaxLength}; it must be between {MaxLengthFloor} and 4096, and at least {key}:MinLength.");
        }

        Hashing.Check(key + ":Hashing", problems);
        Breached.Check(key + ":Breached", problems);
    }
}

/// <summary>Argon2id cost. Raising it makes stored hashes weaker than the setting, so they are upgraded at the next sign-in.</summary>
public sealed class Argon2Options
{
    /// <summary>Memory per hash in KiB (at least 19456, i.e. 19 MiB).</summary>
    public int MemoryKiB { get; set; } = PasswordOptions.MinMemoryKiB;

    /// <summary>Passes over the memory (at least 2).</summary>
    public int Iterations { get; set; } = PasswordOptions.MinIterations;

    /// <summary>
    /// Hashes computed at once, and the number of threads password verifications run on; more wait their
    /// turn, so a flood of sign-ins cannot exhaust memory.
    /// </summary>
    public int MaxConcurrent { get; set; } = Math.Max(2, Environment.ProcessorCount);

    /// <summary>How long a hash waits for its turn before the request fails as overloaded.</summary>
    public TimeSpan QueueTimeout { get; set; } = TimeSpan.FromSeconds(10);

    internal void Check(string key, List<string> problems)
    {
        if (MemoryKiB < PasswordOptions.MinMemoryKiB || MemoryKiB > 4 * 1024 * 1024)
        {
            problems.Add($"{key}:MemoryKiB is {MemoryKiB}; use at least {PasswordOptions.MinMemoryKiB} (19 MiB, OWASP's minimum for Argon2id) and at most 4194304.");
        }

        if (Iterations < PasswordOptions.MinIterations || Iterations > 100)
        {
            problems.Add($"{key}:Iterations is {Iterations}; use between {PasswordOptions.MinIterations} and 100.");
        }

        if (MaxConcurrent is < 1 or > 1024)
        {
            problems.Add($"{key}:MaxConcurrent is {MaxConcurrent}; use between 1 and 1024.");
        }

        if (QueueTimeout < TimeSpan.FromMilliseconds(100) || QueueTimeout > TimeSpan.FromMinutes(5))
        {
            problems.Add($"{key}:QueueTimeout is {QueueTimeout}; use between 00:00:00.100 and 00:05:00.");
        }
    }
}

/// <summary>
/// The breached-password check through a k-anonymity range API (<c>GET {BaseUrl}range/{first 5 hex of SHA-1}</c>,
/// as Have I Been Pwned serves it): only five hex digits of the hash leave the service.
/// </summary>
public sealed class BreachedPasswordOptions
{
    public bool Enabled { get; set; }

    public string BaseUrl { get; set; } = "https://api.pwnedpasswords.com/";

    /// <summary>Past this, the check is skipped with a warning and the password accepted.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(2);

    internal void Check(string key, List<string> problems)
    {
        if (!Enabled)
        {
            return;
        }

        if (!Uri.TryCreate(BaseUrl, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp))
        {
            problems.Add($"{key}:BaseUrl is '{BaseUrl}', which is not an absolute http(s) URL.");
        }

        if (Timeout < TimeSpan.FromMilliseconds(100) || Timeout > TimeSpan.FromSeconds(30))
        {
            problems.Add($"{key}:Timeout is {Timeout}; use between 00:00:00.100 and 00:00:30.");
        }
    }
}
