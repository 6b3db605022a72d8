namespace Gatehouse.Identity.Configuration;

/// <summary>The <c>Gatehouse:Accounts</c> section.</summary>
public sealed class AccountOptions
{
}
