using Microsoft.AspNetCore.Identity;

namespace Gatehouse.Identity.Passwords;

/// <summary>Why a password was refused, with stable codes a client can switch on.</summary>
public static class PasswordErrors
{
    public const string TooShortCode = "password_too_short";
    public const string TooLongCode = "password_too_long";
    public const string CommonCode = "password_common";
    public const string BreachedCode = "password_breached";
    public const string MalformedCode = "password_malformed";

    public static IdentityError TooShort(int minLength) => new()
    {
        Code = TooShortCode,
        Description = $"Use at least {minLength} characters.",
    };

    public static IdentityError TooLong(int maxLength) => new()
    {
        Code = TooLongCode,
        Description = $"Use at most {maxLength} characters.",
    };

    public static IdentityError Common() => new()
    {
        Code = CommonCode,
        Description = "This password is one of the most commonly used; choose one that is harder to guess.",
    };

    public static IdentityError Breached() => new()
    {
        Code = BreachedCode,
        Description = "This password has appeared in a data breach, so attackers try it first; choose another.",
    };

    public static IdentityError Malformed() => new()
    {
        Code = MalformedCode,
        Description = "The password contains text that is not valid Unicode.",
    };
}
