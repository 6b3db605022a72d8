using Gatehouse.Identity.Codes;
using Gatehouse.Identity.Configuration;

namespace Gatehouse.Identity.Extensions;

internal static class CodesExtensions
{
    /// <summary>One-time codes, kept in Redis when it is configured and in process memory otherwise.</summary>
    public static IServiceCollection AddGatehouseCodes(this IServiceCollection services, StorageSettings storage)
    {
        if (storage.UsesRedis)
        {
            services.AddSingleton<IVerificationCodeStore, RedisVerificationCodeStore>();
        }
        else
        {
            services.AddSingleton<IVerificationCodeStore, MemoryVerificationCodeStore>();
        }

        services.AddSingleton<IVerificationCodes, VerificationCodes>();
        return services;
    }
}
