using System.Collections.Immutable;
using Microsoft.Extensions.Caching.Memory;
using OpenIddict.Abstractions;

namespace Gatehouse.Identity.Connect;

/// <summary>
/// Which audiences a set of scopes grants. Read on every token request, changed rarely: the answer
/// per scope is kept for a minute, so a scope edited through the admin API applies within a minute.
/// </summary>
public sealed class ScopeResourceCatalog(IMemoryCache cache)
{
    private static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(1);

    public async ValueTask<IReadOnlyCollection<string>> GetResourcesAsync(
        ImmutableArray<string> scopes, IOpenIddictScopeManager scopeManager, CancellationToken cancellationToken)
    {
        var resources = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var scope in scopes)
        {
            var key = "gatehouse:scope-resources:" + scope;
            if (!cache.TryGetValue(key, out ImmutableArray<string> forScope))
            {
                var entity = await scopeManager.FindByNameAsync(scope, cancellationToken);
                forScope = entity is null ? [] : await scopeManager.GetResourcesAsync(entity, cancellationToken);
                cache.Set(key, forScope, Lifetime);
            }

            resources.UnionWith(forScope);
        }

        return resources;
    }
}
