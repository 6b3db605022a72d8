using System.Security.Cryptography;
using Gatehouse.Identity.Configuration;
using Gatehouse.Identity.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;
using OpenIddict.Server;

namespace Gatehouse.Identity.Security;

/// <summary>
/// The signing and encryption keys in use, loaded from the database at start-up. The newest key of
/// each use signs or encrypts; older keys within the retention period stay published so that tokens
/// they produced remain valid. A key older than the rotation period is replaced at the next start.
/// </summary>
public sealed partial class ServerKeyRing(IOptions<GatehouseOptions> options, TimeProvider time, ILogger<ServerKeyRing> logger)
{
    private const string EncryptionAlgorithm = SecurityAlgorithms.Aes256KW;
    internal const string CodeMacAlgorithm = SecurityAlgorithms.HmacSha256;

    private IReadOnlyList<SecurityKey>? _signingKeys;
    private IReadOnlyList<SecurityKey>? _encryptionKeys;
    private IReadOnlyList<ServerKey>? _codeMacKeys;

    /// <summary>The ids and retirement times of the keys last loaded, to compare with the database.</summary>
    private string? _loaded;
    private string? _signingAlgorithm;

    /// <summary>Signing keys, the active one first.</summary>
    public IReadOnlyList<SecurityKey> SigningKeys => _signingKeys ?? throw NotLoaded();

    /// <summary>Encryption keys, the active one first.</summary>
    public IReadOnlyList<SecurityKey> EncryptionKeys => _encryptionKeys ?? throw NotLoaded();

    public string SigningAlgorithm => _signingAlgorithm ?? throw NotLoaded();

    /// <summary>HMAC keys for one-time codes, the active one first; retired ones verify codes issued before.</summary>
    public IReadOnlyList<ServerKey> CodeMacKeys => _codeMacKeys ?? throw NotLoaded();

    public bool IsLoaded => _signingKeys is not null;

    /// <summary>Creates missing keys, rotates expired ones and loads the ring.</summary>
    public async Task LoadAsync(GatehouseDbContext db, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var now = time.GetUtcNow().UtcDateTime;
        var algorithm = settings.Tokens.SigningAlgorithm;

        var signing = await EnsureActiveKeyAsync(db, ServerKeyUse.Signing, algorithm, now, cancellationToken);
        var encryption = await EnsureActiveKeyAsync(db, ServerKeyUse.Encryption, EncryptionAlgorithm, now, cancellationToken);
        var codeMac = await EnsureActiveKeyAsync(db, ServerKeyUse.CodeMac, CodeMacAlgorithm, now, cancellationToken);

        var publishedSince = now - settings.Keys.RetentionPeriod;
        var keys = await db.ServerKeys.AsNoTracking()
            .Where(key => key.RetiredAt == null || key.RetiredAt > publishedSince)
            .ToListAsync(cancellationToken);

        _loaded = Fingerprint(keys.Select(key => (key.Id, key.RetiredAt)));
        _signingKeys = Order(keys, ServerKeyUse.Signing, signing).Select(ToSecurityKey).ToArray();
        _encryptionKeys = Order(keys, ServerKeyUse.Encryption, encryption).Select(ToSecurityKey).ToArray();
        _codeMacKeys = Order(keys, ServerKeyUse.CodeMac, codeMac).ToArray();
        _signingAlgorithm = algorithm;

        LogLoaded(logger, signing.Id, signing.Algorithm, _signingKeys.Count, _encryptionKeys.Count);
    }

    /// <summary>
    /// How the loaded ring stands against the database: current; stale (keys were rotated elsewhere, or a
    /// retired key's publication has ended); or due for rotation (an active key reached its rotation
    /// period, or the configured algorithm changed), which the next <see cref="LoadAsync"/> carries out.
    /// </summary>
    public async Task<KeyRingState> CompareAsync(GatehouseDbContext db, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var now = time.GetUtcNow().UtcDateTime;
        var publishedSince = now - settings.Keys.RetentionPeriod;
        var stored = await db.ServerKeys.AsNoTracking()
            .Where(key => key.RetiredAt == null || key.RetiredAt > publishedSince)
            .Select(key => new { key.Id, key.Use, key.Algorithm, key.CreatedAt, key.RetiredAt })
            .ToListAsync(cancellationToken);

        foreach (var (use, algorithm) in new[]
                 {
                     (ServerKeyUse.Signing, settings.Tokens.SigningAlgorithm),
                     (ServerKeyUse.Encryption, EncryptionAlgorithm),
                     (ServerKeyUse.CodeMac, CodeMacAlgorithm),
                 })
        {
            var active = stored.Where(key => key.Use == use && key.RetiredAt == null).MaxBy(key => key.CreatedAt);
            if (NeedsNewKey(active?.Algorithm, active?.CreatedAt, algorithm, now))
            {
                return KeyRingState.RotationDue;
            }
        }

        return Fingerprint(stored.Select(key => (key.Id, key.RetiredAt))) == _loaded ? KeyRingState.Current : KeyRingState.Stale;
    }

    /// <summary>Whether the active key of a use (null when there is none) must be replaced now.</summary>
    private bool NeedsNewKey(string? activeAlgorithm, DateTime? activeSince, string algorithm, DateTime now) =>
        activeAlgorithm != algorithm || now - activeSince >= options.Value.Keys.RotationPeriod;

    private static string Fingerprint(IEnumerable<(string Id, DateTime? RetiredAt)> keys) =>
        string.Join(';', keys.Select(key => key.Id + "@" + key.RetiredAt?.Ticks).Order(StringComparer.Ordinal));

    /// <summary>Retires the active keys and creates new ones; the retired keys stay published.</summary>
    public async Task RotateAsync(GatehouseDbContext db, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow().UtcDateTime;
        await foreach (var key in db.ServerKeys.Where(key => key.RetiredAt == null).AsAsyncEnumerable().WithCancellation(cancellationToken))
        {
            key.RetiredAt = now;
        }

        await db.SaveChangesAsync(cancellationToken);
        await LoadAsync(db, cancellationToken);
    }

    /// <summary>
    /// Retires the active signing key and stores a new one (same algorithm) as the active one. The
    /// retired key stays published for the retention period, so tokens it signed stay verifiable until
    /// they expire. The caller announces the change through <see cref="ISigningKeyChanges"/>, which
    /// reloads the ring on every node, this one included.
    /// </summary>
    public async Task<ServerKey> RotateSigningKeyAsync(GatehouseDbContext db, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow().UtcDateTime;
        await foreach (var key in db.ServerKeys.Where(key => key.Use == ServerKeyUse.Signing && key.RetiredAt == null)
                           .AsAsyncEnumerable().WithCancellation(cancellationToken))
        {
            key.RetiredAt = now;
        }

        var created = Generate(ServerKeyUse.Signing, options.Value.Tokens.SigningAlgorithm, now);
        db.ServerKeys.Add(created);
        await db.SaveChangesAsync(cancellationToken);
        LogCreated(logger, created.Id, ServerKeyUse.Signing, created.Algorithm, "rotated on request");
        return created;
    }

    /// <summary>Until when a key retired at <paramref name="retiredAt"/> stays published.</summary>
    public DateTime PublishedUntil(DateTime retiredAt) => retiredAt + options.Value.Keys.RetentionPeriod;

    private async Task<ServerKey> EnsureActiveKeyAsync(GatehouseDbContext db, ServerKeyUse use, string algorithm, DateTime now, CancellationToken cancellationToken)
    {
        var active = await db.ServerKeys
            .Where(key => key.Use == use && key.RetiredAt == null)
            .ToListAsync(cancellationToken);

        // Several nodes starting at once may each create a key; the newest wins and the others are
        // retired on the next start, while still being published, so no token is ever orphaned.
        var current = active.OrderByDescending(key => key.CreatedAt).ThenBy(key => key.Id, StringComparer.Ordinal).FirstOrDefault();
        if (current is not null && !NeedsNewKey(current.Algorithm, current.CreatedAt, algorithm, now))
        {
            foreach (var other in active.Where(key => key != current))
            {
                other.RetiredAt ??= now;
            }

            await db.SaveChangesAsync(cancellationToken);
            return current;
        }

        foreach (var old in active)
        {
            old.RetiredAt = now;
        }

        var created = Generate(use, algorithm, now);
        db.ServerKeys.Add(created);
        await db.SaveChangesAsync(cancellationToken);
        LogCreated(logger, created.Id, use, algorithm, current is null ? "none existed" : current.Algorithm != algorithm ? "algorithm changed" : "rotation period reached");
        return created;
    }

    private static IEnumerable<ServerKey> Order(List<ServerKey> keys, ServerKeyUse use, ServerKey active) =>
        keys.Where(key => key.Use == use)
            .OrderByDescending(key => key.Id == active.Id)
            .ThenByDescending(key => key.CreatedAt);

    internal static ServerKey Generate(ServerKeyUse use, string algorithm, DateTime now)
    {
        byte[] material = algorithm switch
        {
            SigningAlgorithms.ES256 => ExportEcdsa(),
            SigningAlgorithms.RS256 => ExportRsa(),
            EncryptionAlgorithm or CodeMacAlgorithm => RandomNumberGenerator.GetBytes(32),
            _ => throw new InvalidOperationException($"No key generator for algorithm '{algorithm}'."),
        };

        return new ServerKey
        {
            Id = Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(16)),
            Use = use,
            Algorithm = algorithm,
            Material = material,
            CreatedAt = now,
        };

        static byte[] ExportEcdsa()
        {
            using var ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            return ecdsa.ExportPkcs8PrivateKey();
        }

        static byte[] ExportRsa()
        {
            using var rsa = RSA.Create(3072);
            return rsa.ExportPkcs8PrivateKey();
        }
    }

    internal static SecurityKey ToSecurityKey(ServerKey key)
    {
        switch (key.Algorithm)
        {
            case SigningAlgorithms.ES256:
                var ecdsa = ECDsa.Create();
                ecdsa.ImportPkcs8PrivateKey(key.Material, out _);
                return new ECDsaSecurityKey(ecdsa) { KeyId = key.Id };
            case SigningAlgorithms.RS256:
                var rsa = RSA.Create();
                rsa.ImportPkcs8PrivateKey(key.Material, out _);
                return new RsaSecurityKey(rsa) { KeyId = key.Id };
            case EncryptionAlgorithm:
                return new SymmetricSecurityKey(key.Material) { KeyId = key.Id };
            default:
                throw new InvalidOperationException($"Server key '{key.Id}' uses unknown algorithm '{key.Algorithm}'.");
        }
    }

    private static InvalidOperationException NotLoaded() =>
        new("The server key ring has not been loaded; the start-up initializer must run before the OpenID Connect server is used.");

    [LoggerMessage(EventId = 1100, Level = LogLevel.Information, Message = "Signing with key {KeyId} ({Algorithm}); {SigningCount} signing and {EncryptionCount} encryption keys published")]
    private static partial void LogLoaded(ILogger logger, string keyId, string algorithm, int signingCount, int encryptionCount);

    [LoggerMessage(EventId = 1101, Level = LogLevel.Warning, Message = "Created server key {KeyId} for {Use} ({Algorithm}): {Reason}")]
    private static partial void LogCreated(ILogger logger, string keyId, ServerKeyUse use, string algorithm, string reason);
}

/// <summary>Hands the loaded keys to OpenIddict when its options are first built.</summary>
internal sealed class ServerKeyRingOptionsSetup(ServerKeyRing ring) : IConfigureOptions<OpenIddictServerOptions>
{
    public void Configure(OpenIddictServerOptions options)
    {
        foreach (var key in ring.SigningKeys)
        {
            var algorithm = key is ECDsaSecurityKey ? SecurityAlgorithms.EcdsaSha256 : SecurityAlgorithms.RsaSha256;
            options.SigningCredentials.Add(new SigningCredentials(key, algorithm));
        }

        foreach (var key in ring.EncryptionKeys)
        {
            options.EncryptionCredentials.Add(new EncryptingCredentials(key, SecurityAlgorithms.Aes256KW, SecurityAlgorithms.Aes256CbcHmacSha512));
        }
    }
}

/// <summary>How a loaded key ring stands against the keys in the database.</summary>
public enum KeyRingState
{
    Current,
    Stale,
    RotationDue,
}
