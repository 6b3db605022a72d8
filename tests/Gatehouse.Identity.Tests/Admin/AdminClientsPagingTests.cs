using System.Collections.Concurrent;
using System.Data.Common;
using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Gatehouse.Identity.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace Gatehouse.Identity.Tests.Admin;

/// <summary>
/// The client list on a database of its own, so every client in it is known: pages cover every client
/// exactly once, filters hold across pages, and a page reads about a page of rows, not the table.
/// </summary>
public sealed class AdminClientsPagingTests(ClientListFixture fixture) : IClassFixture<ClientListFixture>
{
    private static readonly SemaphoreSlim Seeding = new(1, 1);
    private static readonly Dictionary<ClientListFixture, Dictionary<string, string>> Seeded = [];

    [Fact]
    public async Task Pages_ShowEveryClientExactlyOnce_InClientIdOrder()
    {
        var admin = AdminApi.Console(fixture.App);
        var created = await SeedAsync(admin);

        var whole = await ListAsync(admin, "page_size=200");
        foreach (var pageSize in new[] { 1, 3, 7 })
        {
            var paged = await ReadAllPagesAsync(admin, "", pageSize);
            Assert.Equal(whole.Select(Id), paged.Select(Id));
        }

        Assert.Equal(whole.Select(Id).Distinct().Count(), whole.Count);
        Assert.Equal(whole.Select(Id).Order(StringComparer.Ordinal), whole.Select(Id));
        Assert.Superset(created.Keys.ToHashSet(), whole.Select(Id).ToHashSet());
        Assert.True(whole.Count > 20, "more clients than several pages");
    }

    [Theory]
    [InlineData("type=public")]
    [InlineData("type=confidential")]
    [InlineData("kind=spa")]
    [InlineData("kind=native")]
    [InlineData("kind=web")]
    [InlineData("kind=service")]
    [InlineData("type=public&kind=native")]
    [InlineData("type=confidential&kind=native")]
    public async Task Filters_HoldAcrossPages(string filter)
    {
        var admin = AdminApi.Console(fixture.App);
        var created = await SeedAsync(admin);
        var whole = await ListAsync(admin, "page_size=200");
        var conditions = filter.Split('&').Select(part => part.Split('=')).ToList();
        var expected = whole.Where(client => conditions.All(c => client.GetProperty(c[0]).GetString() == c[1])).Select(Id).ToList();

        var paged = await ReadAllPagesAsync(admin, filter, 2);

        Assert.Equal(expected, paged.Select(Id));
        foreach (var (clientId, kind) in created)
        {
            var matches = conditions.All(c => c[0] == "kind" ? kind == c[1] : c[1] == (kind is "spa" or "native" ? "public" : "confidential"));
            Assert.Equal(matches, expected.Contains(clientId));
        }
    }

    [Fact]
    public async Task Page_ReadsOnlyAPageOfRows_NotTheWholeTable()
    {
        var admin = AdminApi.Console(fixture.App);
        await SeedAsync(admin);
        var total = (await ListAsync(admin, "page_size=200")).Count;
        var first = await AdminApi.ExpectAsync(await admin.GetAsync("/admin/clients?page_size=3"), HttpStatusCode.OK);
        var second = first.GetProperty("next_page_token").GetString();

        var before = fixture.Rows.Count(fixture.App.Services);
        var page = await AdminApi.ExpectAsync(await admin.GetAsync("/admin/clients?page_size=3&page_token=" + second), HttpStatusCode.OK);
        var read = fixture.Rows.Count(fixture.App.Services) - before;

        Assert.Equal(3, page.GetProperty("clients").GetArrayLength());
        Assert.True(total > 20, $"only {total} clients");
        // The page, the one row that shows another page follows, and the read that finds the batch ended:
        // one query of four rows. A list that loaded the table would read every client.
        Assert.Equal(3 + 1 + 1, read);
    }

    private static string Id(JsonElement client) => client.GetProperty("client_id").GetString()!;

    private static async Task<List<JsonElement>> ListAsync(AdminApi admin, string query)
    {
        var page = await AdminApi.ExpectAsync(await admin.GetAsync("/admin/clients?" + query), HttpStatusCode.OK);
        Assert.Equal(JsonValueKind.Null, page.GetProperty("next_page_token").ValueKind);
        return [.. page.GetProperty("clients").EnumerateArray()];
    }

    private static async Task<List<JsonElement>> ReadAllPagesAsync(AdminApi admin, string filter, int pageSize)
    {
        var all = new List<JsonElement>();
        string? token = null;
        do
        {
            var query = $"/admin/clients?page_size={pageSize}&{filter}" + (token is null ? "" : "&page_token=" + token);
            var page = await AdminApi.ExpectAsync(await admin.GetAsync(query), HttpStatusCode.OK);
            var clients = page.GetProperty("clients").EnumerateArray().ToList();
            token = page.GetProperty("next_page_token").GetString();
            Assert.InRange(clients.Count, token is null ? 0 : pageSize, pageSize); // only the last page may be short
            all.AddRange(clients);
        }
        while (token is not null);

        return all;
    }

    /// <summary>Registers, once per node, clients of every kind with ids that sort between the configured ones.</summary>
    private async Task<Dictionary<string, string>> SeedAsync(AdminApi admin)
    {
        await Seeding.WaitAsync(TestContext.Current.CancellationToken);
        try
        {
            if (Seeded.TryGetValue(fixture, out var existing))
            {
                return existing;
            }

            var created = new Dictionary<string, string>();
            for (var i = 0; i < 6; i++)
            {
                foreach (var (kind, prefix) in new[] { ("spa", "a"), ("native", "m"), ("web", "Z"), ("service", "s") })
                {
                    var clientId = AdminApi.NewClientId($"{prefix}-{kind}-{i}");
                    var body = kind switch
                    {
                        "spa" => AdminApi.SpaClient(clientId, $"https://{clientId}.example/cb", $"https://{clientId}.example/out"),
                        "native" => AdminApi.SpaClient(clientId, "com.example.native:/callback", "com.example.native:/out"),
                        "web" => new Dictionary<string, object?>
                        {
                            ["client_id"] = clientId,
                            ["type"] = "confidential",
                            ["grant_types"] = new[] { "authorization_code" },
                            ["scopes"] = new[] { "openid", "images.read" },
                            ["redirect_uris"] = new[] { $"https://{clientId}.example/cb" },
                        },
                        _ => AdminApi.ServiceClient(clientId),
                    };
                    await AdminApi.ExpectAsync(await admin.PostAsync("/admin/clients", body), HttpStatusCode.Created);
                    created[clientId] = kind;
                }
            }

            Seeded[fixture] = created;
            return created;
        }
        finally
        {
            Seeding.Release();
        }
    }
}

/// <summary>An admin node whose reads of the OpenIddict applications table are counted from its start.</summary>
public sealed class ClientListFixture : AdminFixture
{
    public ApplicationRowsRead Rows { get; } = new();

    public override async ValueTask DisposeAsync()
    {
        Rows.Dispose();
        await base.DisposeAsync();
    }
}

/// <summary>
/// Counts the rows EF Core reads from the OpenIddict applications table, per database, through EF Core's
/// diagnostic event for every data reader it disposes. Listening from before a node starts matters: EF Core
/// stops asking whether anyone listens for a while after it found nobody did.
/// </summary>
public sealed class ApplicationRowsRead : IObserver<DiagnosticListener>, IObserver<KeyValuePair<string, object?>>, IDisposable
{
    private readonly ConcurrentDictionary<(string DataSource, string Database), int> _rows = new();
    private readonly List<IDisposable> _subscriptions = [];
    private readonly IDisposable _listeners;

    public ApplicationRowsRead() => _listeners = DiagnosticListener.AllListeners.Subscribe(this);

    /// <summary>Reads (rows, and the last read of each reader that found none) so far from the database of the node <paramref name="services"/> belongs to.</summary>
    public int Count(IServiceProvider services)
    {
        using var scope = services.CreateScope();
        var connection = scope.ServiceProvider.GetRequiredService<GatehouseDbContext>().Database.GetDbConnection();
        return _rows.GetValueOrDefault(KeyOf(connection));
    }

    public void OnNext(DiagnosticListener listener)
    {
        if (listener.Name == DbLoggerCategory.Name)
        {
            lock (_subscriptions)
            {
                _subscriptions.Add(listener.Subscribe(this, name => name == RelationalEventId.DataReaderDisposing.Name));
            }
        }
    }

    public void OnNext(KeyValuePair<string, object?> value)
    {
        if (value.Value is DataReaderDisposingEventData { Command: { Connection: { } connection } command } data
            && command.CommandText.Contains("oidc_applications", StringComparison.Ordinal))
        {
            _rows.AddOrUpdate(KeyOf(connection), data.ReadCount, (_, count) => count + data.ReadCount);
        }
    }

    public void OnCompleted()
    {
    }

    public void OnError(Exception error)
    {
    }

    public void Dispose()
    {
        _listeners.Dispose();
        lock (_subscriptions)
        {
            _subscriptions.ForEach(subscription => subscription.Dispose());
        }
    }

    private static (string, string) KeyOf(DbConnection connection) => (connection.DataSource, connection.Database);
}
