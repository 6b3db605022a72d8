namespace Gatehouse.Identity.Configuration;

/// <summary>The <c>Gatehouse:Codes</c> section.</summary>
public sealed class CodeOptions
{
}
