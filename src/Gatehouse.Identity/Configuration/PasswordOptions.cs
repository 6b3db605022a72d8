namespace Gatehouse.Identity.Configuration;

/// <summary>The <c>Gatehouse:Passwords</c> section.</summary>
public sealed class PasswordOptions
{
}
