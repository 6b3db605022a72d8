using System.Text.Json.Serialization;

namespace Gatehouse.Identity.Accounts;

// The JSON bodies of the account API. Field names are snake_case, as in OAuth.

public sealed record SignUpRequest(
    [property: JsonPropertyName("email")] string? Email,
    [property: JsonPropertyName("password")] string? Password,
    [property: JsonPropertyName("display_name")] string? DisplayName) : IAccountRequest
{
    public void Check(FieldErrors errors)
    {
        errors.Email("email", Email);
        errors.Password("password", Password);
        if (DisplayName is not null)
        {
            errors.DisplayName("display_name", DisplayName);
        }
    }

    public string? AccountKey => Email;
}

public sealed record SendCodeRequest([property: JsonPropertyName("flow_id")] string? FlowId) : IAccountRequest
{
    public void Check(FieldErrors errors) => errors.FlowId("flow_id", FlowId);

    public string? AccountKey => FlowId;
}

public sealed record ConfirmEmailRequest(
    [property: JsonPropertyName("flow_id")] string? FlowId,
    [property: JsonPropertyName("code")] string? Code) : IAccountRequest
{
    public void Check(FieldErrors errors)
    {
        errors.FlowId("flow_id", FlowId);
        errors.Code("code", Code);
    }

    public string? AccountKey => FlowId;
}

public sealed record SignInRequest(
    [property: JsonPropertyName("email")] string? Email,
    [property: JsonPropertyName("password")] string? Password) : IAccountRequest
{
    public void Check(FieldErrors errors)
    {
        errors.Email("email", Email);
        errors.Password("password", Password);
    }

    public string? AccountKey => Email;
}

public sealed record ResetPasswordRequest([property: JsonPropertyName("email")] string? Email) : IAccountRequest
{
    public void Check(FieldErrors errors) => errors.Email("email", Email);

    public string? AccountKey => Email;
}

public sealed record ConfirmResetRequest(
    [property: JsonPropertyName("flow_id")] string? FlowId,
    [property: JsonPropertyName("code")] string? Code,
    [property: JsonPropertyName("new_password")] string? NewPassword) : IAccountRequest
{
    public void Check(FieldErrors errors)
    {
        errors.FlowId("flow_id", FlowId);
        errors.Code("code", Code);
        errors.Password("new_password", NewPassword);
    }

    public string? AccountKey => FlowId;
}

public sealed record UpdatePasswordRequest(
    [property: JsonPropertyName("current_password")] string? CurrentPassword,
    [property: JsonPropertyName("new_password")] string? NewPassword) : IAccountRequest
{
    public void Check(FieldErrors errors)
    {
        errors.Password("current_password", CurrentPassword);
        errors.Password("new_password", NewPassword);
    }
}

public sealed record RefreshTokensRequest([property: JsonPropertyName("refresh_token")] string? RefreshToken) : IAccountRequest
{
    public void Check(FieldErrors errors) => errors.Token("refresh_token", RefreshToken);
}

public sealed record ChangeEmailRequest(
    [property: JsonPropertyName("new_email")] string? NewEmail,
    [property: JsonPropertyName("password")] string? Password) : IAccountRequest
{
    public void Check(FieldErrors errors)
    {
        errors.Email("new_email", NewEmail);
        errors.Password("password", Password);
    }

    /// <summary>Counted against the address the codes would go to, so no address can be flooded with them.</summary>
    public string? AccountKey => NewEmail;
}

public sealed record DeleteAccountRequest([property: JsonPropertyName("password")] string? Password) : IAccountRequest
{
    public void Check(FieldErrors errors) => errors.Password("password", Password);
}

/// <summary>A short-lived access JWT and a rotating refresh token.</summary>
public sealed record TokenPair(
    [property: JsonPropertyName("access_token")] string AccessToken,
    [property: JsonPropertyName("token_type")] string TokenType,
    [property: JsonPropertyName("expires_in")] long ExpiresIn,
    [property: JsonPropertyName("refresh_token")] string RefreshToken,
    [property: JsonPropertyName("refresh_token_expires_in")] long RefreshTokenExpiresIn);

/// <summary>
/// A started flow (sign-up, reset or email change). The answer is the same whether or not the email belongs to an
/// account, so it tells nothing about who is registered.
/// </summary>
public sealed record FlowStarted(
    [property: JsonPropertyName("flow_id")] string FlowId,
    [property: JsonPropertyName("expires_at")] DateTimeOffset ExpiresAt);
