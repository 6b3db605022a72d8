using System.Text;

namespace Gatehouse.Identity.Passwords;

/// <summary>
/// How a password is read before it is counted, compared or hashed: NFKC-normalised, so that the
/// same password typed on two keyboards (composed or decomposed accents, full-width digits, ligatures)
/// is one password, as NIST SP 800-63B asks.
/// </summary>
internal static class PasswordText
{
    /// <summary>The normalised form; text that is not valid Unicode (a lone surrogate) is returned as it is.</summary>
    public static string Normalize(string? password)
    {
        if (string.IsNullOrEmpty(password))
        {
            return "";
        }

        try
        {
            return password.Normalize(NormalizationForm.FormKC);
        }
        catch (ArgumentException)
        {
            return password;
        }
    }

    /// <summary>Whether <paramref name="password"/> is well-formed Unicode (no lone surrogates).</summary>
    public static bool IsWellFormed(string password)
    {
        var rest = password.AsSpan();
        while (!rest.IsEmpty)
        {
            if (Rune.DecodeFromUtf16(rest, out _, out var consumed) != System.Buffers.OperationStatus.Done)
            {
                return false;
            }

            rest = rest[consumed..];
        }

        return true;
    }

    /// <summary>Length in Unicode code points, so an emoji or a CJK character counts once.</summary>
    public static int CodePoints(string normalized)
    {
        var count = 0;
        foreach (var _ in normalized.EnumerateRunes())
        {
            count++;
        }

        return count;
    }

    /// <summary>UTF-8 of the normalised password; the caller clears the array when done.</summary>
    public static byte[] ToUtf8(string? password) => Encoding.UTF8.GetBytes(Normalize(password));

    /// <summary>True where this runtime really normalises (it does not in globalization-invariant mode).</summary>
    public static bool NormalizationWorks() => "\uFB01\u2460".Normalize(NormalizationForm.FormKC) == "fi1";
}
