using System.Diagnostics.CodeAnalysis;
using System.Text.RegularExpressions;

namespace Gatehouse.ResourceServer.Permissions;

/// <summary>
/// Who may do what to which object: <c>image:42#write@user:7</c> reads "user 7 has the write relation
/// on image 42"; <c>image:42#read@group:editors#member</c> gives it to every member of the group, and
/// <c>group:editors#member@user:7</c> makes user 7 a member. That string is the one canonical form
/// (logs, the management API, the command line).
/// </summary>
/// <param name="ObjectType">Kind of object, e.g. <c>image</c>.</param>
/// <param name="ObjectId">The object's id within its kind.</param>
/// <param name="Relation">What the subject may do or is, e.g. <c>read</c>, <c>write</c>, <c>owner</c>, <c>member</c>.</param>
/// <param name="Subject">A user, or the members of a group.</param>
public readonly partial record struct RelationTuple(string ObjectType, string ObjectId, string Relation, PermissionSubject Subject)
{
    /// <summary>The canonical form, <c>type:id#relation@subject</c>.</summary>
    public override string ToString() => $"{ObjectType}:{ObjectId}#{Relation}@{Subject}";

    /// <summary>Reads the canonical form; false (with a reason) for anything else.</summary>
    public static bool TryParse(string? text, out RelationTuple tuple, [NotNullWhen(false)] out string? problem)
    {
        tuple = default;
        if (string.IsNullOrEmpty(text) || text.Length > 600)
        {
            problem = "A permission is written 'type:id#relation@user:id' or '…@group:id#member'.";
            return false;
        }

        var match = TupleForm().Match(text);
        if (!match.Success)
        {
            problem = $"'{text}' is not a permission of the form 'type:id#relation@user:id' or '…@group:id#member'.";
            return false;
        }

        tuple = new RelationTuple(match.Groups["type"].Value, match.Groups["id"].Value, match.Groups["relation"].Value,
            new PermissionSubject(match.Groups["subjectType"].Value, match.Groups["subjectId"].Value));
        problem = null;
        return true;
    }

    /// <summary>Reads the canonical form; throws <see cref="FormatException"/> for anything else.</summary>
    public static RelationTuple Parse(string text) =>
        TryParse(text, out var tuple, out var problem) ? tuple : throw new FormatException(problem);

    /// <summary>Whether <paramref name="name"/> may be an object type or relation (letters, digits, <c>_ . -</c>, at most 64).</summary>
    public static bool IsName(string? name) => name is not null && Name().IsMatch(name);

    /// <summary>Whether <paramref name="id"/> may be an object or subject id (letters, digits, <c>_ . - |</c>, at most 128).</summary>
    public static bool IsId(string? id) => id is not null && Id().IsMatch(id);

    [GeneratedRegex(@"^(?<type>[A-Za-z0-9_.\-]{1,64}):(?<id>[A-Za-z0-9_.\-|]{1,128})#(?<relation>[A-Za-z0-9_.\-]{1,64})@(?:(?<subjectType>user):(?<subjectId>[A-Za-z0-9_.\-|]{1,128})|(?<subjectType>group):(?<subjectId>[A-Za-z0-9_.\-|]{1,128})#member)$")]
    private static partial Regex TupleForm();

    [GeneratedRegex(@"^[A-Za-z0-9_.\-]{1,64}$")]
    private static partial Regex Name();

    [GeneratedRegex(@"^[A-Za-z0-9_.\-|]{1,128}$")]
    private static partial Regex Id();
}

/// <summary>The subject of a permission: a user (<c>user:7</c>) or a group's members (<c>group:editors#member</c>).</summary>
/// <param name="Type"><see cref="User"/> or <see cref="Group"/>.</param>
/// <param name="Id">The user id (the token's <c>sub</c>) or the group id.</param>
public readonly record struct PermissionSubject(string Type, string Id)
{
    /// <summary>Subject type of a single user.</summary>
    public const string User = "user";

    /// <summary>Subject type of a group's members; also the object type of groups.</summary>
    public const string Group = "group";

    /// <summary>The relation that makes a subject part of a group.</summary>
    public const string Member = "member";

    /// <summary>A user.</summary>
    public static PermissionSubject ForUser(string userId) => new(User, userId);

    /// <summary>Every member of a group.</summary>
    public static PermissionSubject ForGroup(string groupId) => new(Group, groupId);

    /// <summary><c>user:7</c> or <c>group:editors#member</c>.</summary>
    public override string ToString() => Type == Group ? $"{Group}:{Id}#{Member}" : $"{Type}:{Id}";
}
