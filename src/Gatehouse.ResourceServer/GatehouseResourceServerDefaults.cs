namespace Gatehouse.ResourceServer;

/// <summary>Names the kit registers.</summary>
public static class GatehouseResourceServerDefaults
{
    /// <summary>The authentication scheme of Gatehouse access tokens (bearer).</summary>
    public const string AuthenticationScheme = "Gatehouse";

    /// <summary>Scope that lets a caller manage this service's object permissions.</summary>
    public const string PermissionsAdminScope = "permissions:admin";

    /// <summary>Prefix of the <c>type</c> of the kit's problem details, followed by the stable code (the identity service uses the same).</summary>
    public const string ProblemTypePrefix = "urn:gatehouse:problem:";

    /// <summary>Tag of the kit's health checks, so they count towards readiness.</summary>
    public const string ReadyTag = "ready";
}
