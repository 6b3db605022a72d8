using System.Collections.Frozen;

namespace Gatehouse.Identity.Passwords;

/// <summary>The embedded list of common passwords (see SOURCE.md beside it), loaded once.</summary>
public static class CommonPasswords
{
    private const string ResourceName = "Gatehouse.Identity.Passwords.common-passwords.txt";

    private static readonly Lazy<FrozenSet<string>> Entries = new(Load);

    public static int Count => Entries.Value.Count;

    /// <summary>Whether the normalised password is on the list, ignoring case.</summary>
    public static bool Contains(string normalizedPassword) => Entries.Value.Contains(normalizedPassword);

    private static FrozenSet<string> Load()
    {
        using var stream = typeof(CommonPasswords).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"The embedded resource {ResourceName} is missing from the build.");
        using var reader = new StreamReader(stream);
        var entries = new List<string>();
        while (reader.ReadLine() is { } line)
        {
            if (line.Length > 0)
            {
                entries.Add(line);
            }
        }

        return entries.ToFrozenSet(StringComparer.OrdinalIgnoreCase);
    }
}
