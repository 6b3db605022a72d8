using Gatehouse.ResourceServer.Permissions;

namespace Gatehouse.ResourceServer.Tests.Permissions;

/// <summary>Checks, listings, grants and revocations against a real database.</summary>
public sealed class ObjectPermissionsTests : IClassFixture<PermissionsHost>
{
    private readonly IObjectPermissions _permissions;
    private readonly string _run = Guid.NewGuid().ToString("N")[..8];

    public ObjectPermissionsTests(PermissionsHost host) => _permissions = host.Permissions;

    private string User(string name) => $"{name}-{_run}";

    private string Group(string name) => $"{name}-{_run}";

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    private Task<bool> GrantAsync(string tuple) => _permissions.GrantAsync(RelationTuple.Parse(tuple), Cancel);

    [Fact]
    public async Task DirectGrant_AllowsExactlyThatRelationOnThatObject()
    {
        var ann = User("ann");
        await GrantAsync($"image:{_run}-42#write@user:{ann}");

        Assert.True(await _permissions.CheckAsync(ann, "write", "image", $"{_run}-42", Cancel));
        Assert.False(await _permissions.CheckAsync(ann, "read", "image", $"{_run}-42", Cancel));
        Assert.False(await _permissions.CheckAsync(ann, "write", "image", $"{_run}-43", Cancel));
        Assert.False(await _permissions.CheckAsync(ann, "write", "album", $"{_run}-42", Cancel));
        Assert.False(await _permissions.CheckAsync(User("bob"), "write", "image", $"{_run}-42", Cancel));
    }

    [Fact]
    public async Task GrantToAGroup_ReachesMembers_ThroughNestedGroups()
    {
        var ann = User("ann");
        var editors = Group("editors");
        var staff = Group("staff");
        await GrantAsync($"group:{editors}#member@user:{ann}");
        await GrantAsync($"group:{staff}#member@group:{editors}#member");
        await GrantAsync($"image:{_run}-1#read@group:{staff}#member");

        Assert.True(await _permissions.CheckAsync(ann, "read", "image", $"{_run}-1", Cancel));
        Assert.False(await _permissions.CheckAsync(User("bob"), "read", "image", $"{_run}-1", Cancel));
        Assert.False(await _permissions.CheckAsync(ann, "write", "image", $"{_run}-1", Cancel));
    }

    [Fact]
    public async Task GroupCycle_EndsTheCheck()
    {
        var ann = User("ann");
        await GrantAsync($"group:{Group("a")}#member@group:{Group("b")}#member");
        await GrantAsync($"group:{Group("b")}#member@group:{Group("a")}#member");
        await GrantAsync($"group:{Group("a")}#member@user:{ann}");
        await GrantAsync($"image:{_run}-9#read@group:{Group("b")}#member");

        Assert.True(await _permissions.CheckAsync(ann, "read", "image", $"{_run}-9", Cancel));
        Assert.False(await _permissions.CheckAsync(ann, "write", "image", $"{_run}-9", Cancel));
    }

    [Fact]
    public async Task RevokedGrant_IsRefusedAtOnce_EvenAfterACachedAnswer()
    {
        var ann = User("ann");
        var tuple = RelationTuple.Parse($"image:{_run}-5#write@user:{ann}");
        Assert.True(await _permissions.GrantAsync(tuple, Cancel));
        Assert.True(await _permissions.CheckAsync(ann, "write", "image", $"{_run}-5", Cancel));

        Assert.True(await _permissions.RevokeAsync(tuple, Cancel));

        Assert.False(await _permissions.CheckAsync(ann, "write", "image", $"{_run}-5", Cancel));
        Assert.False(await _permissions.RevokeAsync(tuple, Cancel));
    }

    [Fact]
    public async Task LeavingAGroup_RemovesWhatTheGroupGranted()
    {
        var ann = User("ann");
        var membership = RelationTuple.Parse($"group:{Group("team")}#member@user:{ann}");
        await _permissions.GrantAsync(membership, Cancel);
        await GrantAsync($"image:{_run}-7#read@group:{Group("team")}#member");
        Assert.True(await _permissions.CheckAsync(ann, "read", "image", $"{_run}-7", Cancel));

        await _permissions.RevokeAsync(membership, Cancel);

        Assert.False(await _permissions.CheckAsync(ann, "read", "image", $"{_run}-7", Cancel));
    }

    [Fact]
    public async Task GrantingTwice_StoresOneTuple()
    {
        var tuple = $"image:{_run}-3#owner@user:{User("ann")}";

        Assert.True(await GrantAsync(tuple));
        Assert.False(await GrantAsync(tuple));

        var stored = await _permissions.ListTuplesAsync("image", $"{_run}-3", null, 0, 100, Cancel);
        Assert.Equal([tuple], stored.Select(row => row.Tuple.ToString()));
    }

    [Fact]
    public async Task ListObjects_GivesDirectAndGroupObjects_OnceEach()
    {
        var ann = User("ann");
        await GrantAsync($"group:{Group("viewers")}#member@user:{ann}");
        await GrantAsync($"photo:{_run}-b#read@user:{ann}");
        await GrantAsync($"photo:{_run}-a#read@group:{Group("viewers")}#member");
        await GrantAsync($"photo:{_run}-b#read@group:{Group("viewers")}#member");
        await GrantAsync($"photo:{_run}-c#write@user:{ann}");

        var objects = await _permissions.ListObjectsAsync(ann, "read", "photo", cancellationToken: Cancel);

        Assert.Equal([$"{_run}-a", $"{_run}-b"], objects);
    }

    [Theory]
    [InlineData("ann'; --", "read", "image", "1")]
    [InlineData("ann", "re ad", "image", "1")]
    [InlineData("ann", "read", "", "1")]
    public async Task CheckWithMalformedNames_IsDenied(string user, string relation, string type, string id)
    {
        Assert.False(await _permissions.CheckAsync(user, relation, type, id, Cancel));
    }
}
