using Microsoft.Playwright;

namespace Gatehouse.Identity.Tests.Infrastructure;

/// <summary>
/// The identity service on a real Kestrel socket and a headless Chromium (the system's package,
/// located by <c>GATEHOUSE_CHROMIUM</c> or the Debian path) driven by Playwright.
/// </summary>
public class BrowserSession : IAsyncLifetime
{
    private static readonly string[] CandidatePaths = ["/usr/lib/chromium/chromium", "/usr/bin/chromium", "/usr/bin/chromium-browser"];

    private TestStorage? _storage;
    private GatehouseApp? _app;
    private IPlaywright? _playwright;
    private IBrowser? _browser;

    public GatehouseApp App => _app ?? throw new InvalidOperationException("Session not initialized.");

    public Uri BaseAddress => App.ClientOptions.BaseAddress;

    public IBrowser Browser => _browser ?? throw new InvalidOperationException("Session not initialized.");

    protected virtual IReadOnlyDictionary<string, string?>? Overrides => null;

    public static string ChromiumPath =>
        Environment.GetEnvironmentVariable("GATEHOUSE_CHROMIUM") is { Length: > 0 } configured
            ? configured
            : CandidatePaths.FirstOrDefault(File.Exists)
              ?? throw new InvalidOperationException(
                  "Chromium was not found: install Debian's chromium package or set GATEHOUSE_CHROMIUM.");

    public virtual async ValueTask InitializeAsync()
    {
        _storage = await TestStorage.CreateAsync();
        _app = new GatehouseApp(_storage, Overrides);
        _app.UseKestrel(0);
        _app.StartServer();

        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
        });
    }

    /// <summary>A fresh browser context (own cookies) with one page that records console errors.</summary>
    public async Task<BrowserPage> OpenAsync()
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = BaseAddress.ToString() });
        context.SetDefaultTimeout(60_000);
        var page = await context.NewPageAsync();
        var result = new BrowserPage(context, page);
        page.Console += (_, message) =>
        {
            if (message.Type == "error")
            {
                result.ConsoleErrors.Add(message.Text);
            }
        };
        return result;
    }

    public virtual async ValueTask DisposeAsync()
    {
        if (_browser is not null)
        {
            await _browser.DisposeAsync();
        }

        _playwright?.Dispose();
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }

        if (_storage is not null)
        {
            await _storage.DisposeAsync();
        }
    }
}

/// <summary>One browser tab in its own context.</summary>
public sealed class BrowserPage(IBrowserContext context, IPage page) : IAsyncDisposable
{
    public IPage Page => page;

    public IBrowserContext Context => context;

    public List<string> ConsoleErrors { get; } = [];

    public ValueTask DisposeAsync() => context.DisposeAsync();
}

/// <summary>Waiting for a page to arrive somewhere.</summary>
public static class PageArrival
{
    /// <summary>
    /// Waits until the page's address satisfies <paramref name="arrived"/>, that is until the navigation
    /// has committed, without waiting for load events: Playwright's <c>WaitForURLAsync</c> also waits for
    /// one, and under load that wait now and then ran out although the page was already there.
    /// Callers then wait for what they need on the page with auto-waiting locators.
    /// </summary>
    public static async Task UntilUrlAsync(this IPage page, Func<Uri, bool> arrived)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (!arrived(new Uri(page.Url)))
        {
            Assert.True(DateTime.UtcNow < deadline, $"the page did not arrive within 60 s; it is at {page.Url}");
            await Task.Delay(50, TestContext.Current.CancellationToken);
        }
    }
}
