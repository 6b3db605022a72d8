using Gatehouse.Identity.Configuration;
using Gatehouse.Identity.Email;

namespace Gatehouse.Identity.Extensions;

internal static class EmailExtensions
{
    /// <summary>Account messages through the outbox: over SMTP when a host is configured, to the pickup folder otherwise.</summary>
    public static IServiceCollection AddGatehouseEmail(this IServiceCollection services, GatehouseOptions settings)
    {
        if (settings.Email.UsesSmtp)
        {
            services.AddSingleton<IEmailSender, SmtpEmailSender>();
        }
        else
        {
            services.AddSingleton<PickupFolderEmailSender>();
            services.AddSingleton<IEmailSender>(provider => provider.GetRequiredService<PickupFolderEmailSender>());
        }

        services.AddSingleton<EmailOutbox>();
        services.AddHostedService(provider => provider.GetRequiredService<EmailOutbox>());
        services.AddSingleton<IAccountMailer, AccountMailer>();
        return services;
    }
}
