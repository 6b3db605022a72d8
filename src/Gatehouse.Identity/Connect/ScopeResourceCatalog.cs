using System.Collections.Immutable;
using Microsoft.Extensions.Caching.Memory;
using OpenIddict.Abstractions;

namespace Gatehouse.Identity.Connect;

/// <summary>
/// Which scopes exist in the scope store and which audiences they grant. Read on every token request,
/// changed rarely: the answer per scope is kept for a minute, so a scope edited through the admin API
/// applies within a minute. Shared by the OpenIddict handler and the client-credentials fast path, so
/// both derive the same audiences.
/// </summary>
public sealed class ScopeResourceCatalog(IMemoryCache cache, IServiceScopeFactory scopes)
{
    private static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(1);

    /// <summary>The stored scope named <paramref name="scope"/>, or null when the store has none.</summary>
    public async ValueTask<StoredScope?> FindAsync(string scope, CancellationToken cancellationToken)
    {
        var key = "gatehouse:scope-resources:" + scope;
        if (cache.TryGetValue(key, out StoredScope? known))
        {
            return known;
        }

        await using var serviceScope = scopes.CreateAsyncScope();
        var manager = serviceScope.ServiceProvider.GetRequiredService<IOpenIddictScopeManager>();
        var entity = await manager.FindByNameAsync(scope, cancellationToken);
        var found = entity is null ? null : new StoredScope(await manager.GetResourcesAsync(entity, cancellationToken));
        cache.Set(key, found, Lifetime);
        return found;
    }

    /// <summary>The union of the audiences of <paramref name="scopes"/>, in ordinal order; unknown scopes add none.</summary>
    public async ValueTask<IReadOnlyCollection<string>> GetResourcesAsync(IEnumerable<string> scopes, CancellationToken cancellationToken)
    {
        var resources = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var scope in scopes)
        {
            if (await FindAsync(scope, cancellationToken) is { } stored)
            {
                resources.UnionWith(stored.Resources);
            }
        }

        return resources;
    }
}

/// <summary>A scope as stored: the audiences a token carrying it is meant for.</summary>
public sealed record StoredScope(ImmutableArray<string> Resources);
