using Gatehouse.ResourceServer.Revocation;
using Gatehouse.ResourceServer.Users;

namespace Gatehouse.Identity.Feeds;

/// <summary>The codecs of the two feeds the identity service publishes.</summary>
public static class FeedCodecs
{
    public static readonly FeedCodec<RevocationEvent> Revocations = new(
        revocation => revocation.ToJson(),
        RevocationEvent.TryParse,
        (revocation, id) => revocation with { Id = id },
        revocation => revocation.OccurredAt);

    public static readonly FeedCodec<UserEvent> Users = new(
        change => change.ToJson(),
        UserEvent.TryParse,
        (change, id) => change with { Id = id },
        change => change.OccurredAt);
}
