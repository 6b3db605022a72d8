using System.Globalization;
using Gatehouse.Identity.Accounts;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Gatehouse.Identity.Admin;

/// <summary>
/// Paging of admin lists: <c>page_size</c> (1 to <see cref="MaxPageSize"/>, default
/// <see cref="DefaultPageSize"/>) and an opaque <c>page_token</c> taken from the previous page's
/// <c>next_page_token</c>. Query values are read by hand so that a wrong one is a 400 naming it.
/// </summary>
public sealed class AdminQuery(IQueryCollection query)
{
    public const int DefaultPageSize = 50;
    public const int MaxPageSize = 200;
    private const int MaxValueLength = 256;

    private readonly Dictionary<string, string[]> _errors = new(StringComparer.Ordinal);

    public ProblemHttpResult? Problem => _errors.Count == 0
        ? null
        : AccountErrors.InvalidRequest.Problem($"{_errors.First().Key}: {_errors.First().Value[0]}", _errors);

    /// <summary>A single text value, or null when absent; repeated or overlong values are errors.</summary>
    public string? Text(string name)
    {
        if (!query.TryGetValue(name, out var values))
        {
            return null;
        }

        if (values.Count != 1 || values[0] is not { } value)
        {
            return Fail<string>(name, "must be given once.");
        }

        if (value.Length == 0 || value.Length > MaxValueLength || value.Any(char.IsControl))
        {
            return Fail<string>(name, $"must be 1 to {MaxValueLength} printable characters.");
        }

        return value;
    }

    public int PageSize()
    {
        var text = Text("page_size");
        if (text is null)
        {
            return DefaultPageSize;
        }

        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var size) || size is < 1 or > MaxPageSize)
        {
            Fail<string>("page_size", $"must be a whole number from 1 to {MaxPageSize}.");
            return DefaultPageSize;
        }

        return size;
    }

    public Guid? Guid(string name, string message)
    {
        var text = Text(name);
        if (text is null)
        {
            return null;
        }

        if (!System.Guid.TryParseExact(text, "D", out var id))
        {
            return Fail<Guid?>(name, message);
        }

        return id;
    }

    public DateTime? Time(string name)
    {
        var text = Text(name);
        if (text is null)
        {
            return null;
        }

        if (!DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time))
        {
            return Fail<DateTime?>(name, "is not a date and time (ISO 8601, for example 2026-01-31T12:00:00Z).");
        }

        return time.UtcDateTime;
    }

    public long? PositiveLong(string name, string message)
    {
        var text = Text(name);
        if (text is null)
        {
            return null;
        }

        if (!long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) || value < 1)
        {
            return Fail<long?>(name, message);
        }

        return value;
    }

    public void Fail(string name, string message) => _errors.TryAdd(name, [message]);

    private T? Fail<T>(string name, string message)
    {
        Fail(name, message);
        return default;
    }
}
