using System.Net.Mail;
using System.Reflection;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Gatehouse.Identity.Configuration;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace Gatehouse.Identity.Accounts;

/// <summary>A JSON request body of the account API that checks its own fields.</summary>
public interface IAccountRequest
{
    /// <summary>Adds one message per wrong field; the field names are the JSON names.</summary>
    void Check(FieldErrors errors);

    /// <summary>What per-account rate limits count this request against (an email or a flow), if anything.</summary>
    string? AccountKey => null;
}

/// <summary>The problems found in a request, by JSON field name.</summary>
public sealed class FieldErrors
{
    public const int MaxEmailLength = 254;

    /// <summary>
    /// What an accepted email address (and so a user name) is made of: printable ASCII. Internationalized
    /// addresses are refused at input rather than accepted and then undeliverable through a relay
    /// without SMTPUTF8; a domain can be given in its ASCII (punycode) form.
    /// </summary>
    public static readonly string EmailCharacters = new([.. Enumerable.Range(0x21, 0x7E - 0x21 + 1).Select(code => (char)code)]);

    private static readonly System.Buffers.SearchValues<char> EmailCharacterSet = System.Buffers.SearchValues.Create(EmailCharacters);
    public const int MaxPasswordLength = 1024;
    public const int MaxDisplayNameLength = 100;

    private readonly Dictionary<string, string[]> _errors = new(StringComparer.Ordinal);

    public bool Any => _errors.Count > 0;

    public void Add(string field, string message) => _errors.TryAdd(field, [message]);

    public ProblemHttpResult ToProblem()
    {
        var (field, messages) = _errors.First();
        return AccountErrors.InvalidRequest.Problem($"{field}: {messages[0]}", _errors);
    }

    public bool Required(string field, string? value)
    {
        if (value is null)
        {
            Add(field, "is required.");
            return false;
        }

        if (value.Length == 0)
        {
            Add(field, "must not be empty.");
            return false;
        }

        return true;
    }

    public void Email(string field, string? value)
    {
        if (!Required(field, value) || !Text(field, value!, MaxEmailLength))
        {
            return;
        }

        if (!MailAddress.TryCreate(value, out var address) || address.Address != value || !value.Contains('@', StringComparison.Ordinal)
            || value.Any(char.IsWhiteSpace))
        {
            Add(field, "is not an email address.");
        }
        else if (value.AsSpan().ContainsAnyExcept(EmailCharacterSet))
        {
            Add(field, "must be written in ASCII; for an internationalized domain, give its ASCII (xn--) form.");
        }
    }

    public void Password(string field, string? value)
    {
        if (Required(field, value))
        {
            Text(field, value!, MaxPasswordLength, allowControl: false);
        }
    }

    public void FlowId(string field, string? value)
    {
        if (Required(field, value) && !Guid.TryParseExact(value, "D", out _))
        {
            Add(field, "is not a flow id.");
        }
    }

    public void Code(string field, string? value)
    {
        if (Required(field, value) && (value!.Length > 32 || !value.All(char.IsAsciiLetterOrDigit)))
        {
            Add(field, "is not a code: letters and digits, at most 32.");
        }
    }

    public void Token(string field, string? value)
    {
        if (Required(field, value) && (value!.Length > 200 || !value.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_')))
        {
            Add(field, "is not a token.");
        }
    }

    /// <summary>
    /// A person's display name, as sign-up and the profile take it: text by <see cref="Text"/>, and no code
    /// point that Unicode has not assigned (nothing a font can show, and what it means may change later).
    /// </summary>
    public void DisplayName(string field, string value)
    {
        if (Text(field, value, MaxDisplayNameLength)
            && value.EnumerateRunes().Any(rune => Rune.GetUnicodeCategory(rune) == System.Globalization.UnicodeCategory.OtherNotAssigned))
        {
            Add(field, "contains characters that Unicode has not assigned.");
        }
    }

    /// <summary>A display name as it is stored: Unicode-normalized (form C), and an empty one is no name.</summary>
    public static string? StoredDisplayName(string? value) => string.IsNullOrEmpty(value) ? null : value.Normalize();

    /// <summary>Well-formed Unicode (no lone surrogates, no U+FFFD left by a broken encoding), no control characters, at most <paramref name="max"/> characters.</summary>
    public bool Text(string field, string value, int max, bool allowControl = false)
    {
        if (value.Length > max)
        {
            Add(field, $"is longer than {max} characters.");
            return false;
        }

        if (!IsWellFormed(value))
        {
            Add(field, "is not well-formed Unicode.");
            return false;
        }

        if (!allowControl && value.Any(c => char.IsControl(c) || c is '\u2028' or '\u2029'))
        {
            Add(field, "contains control characters.");
            return false;
        }

        return true;
    }

    private static bool IsWellFormed(string value)
    {
        for (var i = 0; i < value.Length; i++)
        {
            if (char.IsHighSurrogate(value[i]) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(value[i]) || value[i] is '\uFFFD' or '\uFFFE' or '\uFFFF')
            {
                return false;
            }
        }

        return true;
    }
}

/// <summary>Marks <see cref="JsonBody{T}"/> so one endpoint filter can answer for every body that failed.</summary>
public interface IJsonBody
{
    ProblemHttpResult? Problem { get; }

    string? AccountKey { get; }
}

/// <summary>
/// A JSON body read with a hard size limit and strict rules (no unknown or repeated members, no
/// comments), then checked field by field. Anything wrong becomes a problem that names the field,
/// instead of the framework's bare 400 or a 500.
/// </summary>
public sealed class JsonBody<T> : IJsonBody where T : class, IAccountRequest
{
    internal static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.General)
    {
        AllowDuplicateProperties = false,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        MaxDepth = 8,
        PropertyNameCaseInsensitive = false,
    };

    private JsonBody(T? value, ProblemHttpResult? problem)
    {
        Value = value;
        Problem = problem;
    }

    public T? Value { get; }

    public ProblemHttpResult? Problem { get; }

    public string? AccountKey => Value?.AccountKey;

    public static async ValueTask<JsonBody<T>> BindAsync(HttpContext http, ParameterInfo parameter)
    {
        var (body, problem) = await ReadAsync(http);
        if (problem is not null)
        {
            return Fail(problem);
        }

        var (value, invalid) = Parse(body.Span);
        if (invalid is not null)
        {
            return Fail(invalid);
        }

        var errors = new FieldErrors();
        value!.Check(errors);
        return errors.Any ? Fail(errors.ToProblem()) : new JsonBody<T>(value, null);
    }

    /// <summary>The whole body of a JSON request, read up to the configured limit, or why it cannot be.</summary>
    internal static async ValueTask<(ReadOnlyMemory<byte> Body, ProblemHttpResult? Problem)> ReadAsync(HttpContext http)
    {
        var request = http.Request;
        var limit = http.RequestServices.GetRequiredService<IOptions<GatehouseOptions>>().Value.Accounts.MaxBodyBytes;
        if (!request.HasJsonContentType())
        {
            return (default, AccountErrors.UnsupportedMediaType.Problem("Send the body as application/json."));
        }

        if (request.ContentLength > limit)
        {
            return (default, AccountErrors.PayloadTooLarge.Problem($"The body is larger than {limit} bytes."));
        }

        var buffer = new MemoryStream();
        var chunk = new byte[4096];
        int read;
        try
        {
            while ((read = await request.Body.ReadAsync(chunk, http.RequestAborted)) > 0)
            {
                if (buffer.Length + read > limit)
                {
                    return (default, AccountErrors.PayloadTooLarge.Problem($"The body is larger than {limit} bytes."));
                }

                buffer.Write(chunk, 0, read);
            }
        }
        catch (BadHttpRequestException exception)
        {
            return (default, AccountErrors.InvalidRequest.Problem("The body could not be read: " + exception.Message));
        }

        return buffer.Length == 0
            ? (default, AccountErrors.InvalidRequest.Problem("The body is empty; send a JSON object."))
            : (buffer.GetBuffer().AsMemory(0, (int)buffer.Length), null);
    }

    /// <summary>
    /// The request a body stands for, before its fields are checked, or a problem naming the member that is
    /// of the wrong type, unknown or repeated (or saying that the body is no JSON object).
    /// </summary>
    internal static (T? Value, ProblemHttpResult? Problem) Parse(ReadOnlySpan<byte> body)
    {
        T? value;
        try
        {
            value = JsonSerializer.Deserialize<T>(body, Options);
        }
        catch (JsonException exception)
        {
            var field = FieldOf(exception.Path);
            var detail = field is null
                ? "The body is not valid JSON for this request."
                : $"{field}: has the wrong type or is not valid JSON here.";
            if (exception.Message.Contains("could not be mapped", StringComparison.Ordinal) || exception.Message.Contains("Duplicate", StringComparison.OrdinalIgnoreCase))
            {
                detail = field is null ? exception.Message : $"{field}: {Describe(exception)}";
            }

            return (null, AccountErrors.InvalidRequest.Problem(detail,
                field is null ? null : new Dictionary<string, string[]> { [field] = [detail[(field.Length + 2)..]] }));
        }
        catch (InvalidOperationException)
        {
            return (null, AccountErrors.InvalidRequest.Problem("The body contains text that is not well-formed Unicode."));
        }

        return value is null ? (null, AccountErrors.InvalidRequest.Problem("The body must be a JSON object.")) : (value, null);
    }

    private static JsonBody<T> Fail(ProblemHttpResult problem) => new(null, problem);

    private static string Describe(JsonException exception) =>
        exception.Message.Contains("Duplicate", StringComparison.OrdinalIgnoreCase) ? "is present more than once." : "is not a member of this request.";

    /// <summary>"$.email" becomes "email"; the root or an unknown path gives null.</summary>
    private static string? FieldOf(string? path)
    {
        if (string.IsNullOrEmpty(path) || path == "$")
        {
            return null;
        }

        var field = path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : path.TrimStart('$');
        if (field.StartsWith("['", StringComparison.Ordinal) && field.EndsWith("']", StringComparison.Ordinal))
        {
            field = field[2..^2];
        }

        var builder = new StringBuilder(field.Length);
        foreach (var c in field.TakeWhile(c => c is not ('.' or '[')))
        {
            builder.Append(c);
        }

        return builder.Length == 0 ? null : builder.ToString();
    }
}
