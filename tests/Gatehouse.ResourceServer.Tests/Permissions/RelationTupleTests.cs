using Gatehouse.ResourceServer.Permissions;

namespace Gatehouse.ResourceServer.Tests.Permissions;

public sealed class RelationTupleTests
{
    [Theory]
    [InlineData("image:42#write@user:7")]
    [InlineData("image:42#read@group:editors#member")]
    [InlineData("group:editors#member@user:3f2b6c1e-0d4a-4c55-9a43-8f0e5f6f1b2a")]
    [InlineData("album:a.b-c_d#owner@user:client|svc")]
    public void CanonicalForm_RoundTrips(string text)
    {
        var tuple = RelationTuple.Parse(text);

        Assert.Equal(text, tuple.ToString());
    }

    [Fact]
    public void Parse_ReadsEveryPart()
    {
        var tuple = RelationTuple.Parse("image:42#read@group:editors#member");

        Assert.Equal(new RelationTuple("image", "42", "read", PermissionSubject.ForGroup("editors")), tuple);
    }

    [Theory]
    [InlineData("")]
    [InlineData("image:42#write")]
    [InlineData("image#write@user:7")]
    [InlineData("image:42#write@robot:7")]
    [InlineData("image:42#write@group:editors")]
    [InlineData("image:42#write@user:7#member")]
    [InlineData("image:4 2#write@user:7")]
    [InlineData("image:42#write@user:7; DROP TABLE permission_tuples")]
    [InlineData("image:42#wr'ite@user:7")]
    public void MalformedTuple_IsRefusedWithAReason(string text)
    {
        Assert.False(RelationTuple.TryParse(text, out _, out var problem));
        Assert.False(string.IsNullOrEmpty(problem));
        Assert.Throws<FormatException>(() => RelationTuple.Parse(text));
    }
}
