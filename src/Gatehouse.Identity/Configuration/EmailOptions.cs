namespace Gatehouse.Identity.Configuration;

/// <summary>The <c>Gatehouse:Email</c> section.</summary>
public sealed class EmailOptions
{
}
