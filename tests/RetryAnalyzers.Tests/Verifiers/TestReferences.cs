using System;
using System.Collections.Immutable;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Testing;
using RetryAnalyzers.Runtime;

namespace RetryAnalyzers.Tests.Verifiers;

/// <summary>
/// Every reference set a test compilation can get, in one place: net8.0, the real Polly / SDK packages, our runtime
/// library, and the few extra packages single tests need. All sets are resolved through NuGet once, one after the
/// other, before the first test compiles anything (<see cref="EnsureResolvedAsync"/>).
/// </summary>
/// <remarks>
/// Why resolved up front, one at a time: the testing library resolves each <see cref="ReferenceAssemblies"/>
/// instance on first use, downloading missing packages into one shared temp folder. Two sets resolved at once by
/// tests running in parallel race on that folder; on an empty NuGet cache the loser sees a half-extracted package,
/// records it as "has no compile-time assets" for the rest of the process, and its test fails with CS0246. A warm
/// cache hid this; a fresh machine failed every time.
/// </remarks>
internal static class TestReferences
{
    /// <summary>
    /// net8.0 reference assemblies plus Polly 8.9.1 (v7 API, and Polly.Core through its dependency) and
    /// Polly.Contrib.WaitAndRetry 1.1.1 and OpenAI 2.1.0. Microsoft.NETCore.App.Ref 8.0.31 because the
    /// registry copy reachable here lacks the 8.0.0 that <c>ReferenceAssemblies.Net.Net80</c> asks for.
    /// </summary>
    public static readonly ReferenceAssemblies Net80WithPolly = CreateNet80WithPolly();

    /// <summary><see cref="Net80WithPolly"/> + xunit attributes, for "test code is quiet" cases.</summary>
    public static readonly ReferenceAssemblies WithXunit = With("xunit.extensibility.core", "2.9.3");

    /// <summary><see cref="Net80WithPolly"/> + <c>IConfiguration</c>, for keys read from configuration.</summary>
    public static readonly ReferenceAssemblies WithConfiguration = With("Microsoft.Extensions.Configuration.Abstractions", "8.0.0");

    /// <summary><see cref="Net80WithPolly"/> + Azure.Core (<c>AzureKeyCredential</c>).</summary>
    public static readonly ReferenceAssemblies WithAzureCore = With("Azure.Core", "1.44.1");

    /// <summary><see cref="Net80WithPolly"/> + Microsoft.Extensions.AI (<c>IChatClient</c>, <c>IEmbeddingGenerator</c>).</summary>
    public static readonly ReferenceAssemblies WithExtensionsAI = With("Microsoft.Extensions.AI.Abstractions", "10.5.1");

    /// <summary>
    /// <see cref="Net80WithPolly"/> + the HTTP resilience packages users register retries with: Polly.Extensions.Http 3.0.0
    /// (<c>HttpPolicyExtensions.HandleTransientHttpError</c>), Microsoft.Extensions.Http.Polly 8.0.8 (<c>AddPolicyHandler</c>)
    /// and Microsoft.Extensions.Http.Resilience 9.0.0 (<c>AddStandardResilienceHandler</c>, <c>HttpRetryStrategyOptions</c>).
    /// </summary>
    public static readonly ReferenceAssemblies WithHttpResilience = Net80WithPolly.AddPackages(ImmutableArray.Create(
        new PackageIdentity("Polly.Extensions.Http", "3.0.0"),
        new PackageIdentity("Microsoft.Extensions.Http.Polly", "8.0.8"),
        new PackageIdentity("Microsoft.Extensions.Http.Resilience", "9.0.0")));

    /// <summary>The runtime library the fixes rewrite onto (its net8.0 build).</summary>
    public static readonly MetadataReference Runtime = MetadataReference.CreateFromFile(typeof(JitteredBackoff).Assembly.Location);

    private static readonly ImmutableArray<ReferenceAssemblies> All =
        ImmutableArray.Create(Net80WithPolly, WithXunit, WithConfiguration, WithAzureCore, WithExtensionsAI, WithHttpResilience);

    private static readonly Lazy<Task> Resolved = new(ResolveAllAsync, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>Completes when every set above is resolved (the first caller resolves them, in sequence).</summary>
    public static Task EnsureResolvedAsync() => Resolved.Value;

    /// <summary>True for the sets declared here: tests may not build reference sets of their own.</summary>
    public static bool IsKnown(ReferenceAssemblies references) => All.Contains(references);

    private static ReferenceAssemblies CreateNet80WithPolly() =>
        new ReferenceAssemblies("net8.0", new PackageIdentity("Microsoft.NETCore.App.Ref", "8.0.31"), Path.Combine("ref", "net8.0"))
            .AddPackages(ImmutableArray.Create(
                new PackageIdentity("Polly", "8.9.1"),
                new PackageIdentity("Polly.Core", "8.9.1"),
                new PackageIdentity("Polly.Contrib.WaitAndRetry", "1.1.1"),
                new PackageIdentity("OpenAI", "2.1.0"),
                // OpenAI's graph asks for System.Memory.Data >= 1.0.2, which the registry copy here lacks: pin one it has.
                new PackageIdentity("System.ClientModel", "1.2.1"),
                new PackageIdentity("System.Memory.Data", "6.0.1"),
                new PackageIdentity("System.Threading.RateLimiting", "8.0.0"))); // the runtime library's TokenBudget is a RateLimiter

    private static ReferenceAssemblies With(string id, string version) =>
        Net80WithPolly.AddPackages(ImmutableArray.Create(new PackageIdentity(id, version)));

    private static async Task ResolveAllAsync()
    {
        var downloadedBefore = DownloadedAtTestTime();
        foreach (var references in All)
        {
            var resolved = await references.ResolveAsync(LanguageNames.CSharp, CancellationToken.None).ConfigureAwait(false);
            if (resolved.IsDefaultOrEmpty)
            {
                throw new InvalidOperationException($"No reference assemblies resolved for {string.Join(", ", references.Packages)}.");
            }
        }

        var downloaded = DownloadedAtTestTime().Except(downloadedBefore).ToList();
        if (downloaded.Count > 0)
        {
            throw new InvalidOperationException(
                "The verifiers had to download " + string.Join(", ", downloaded) + " at test time, which leaves it out of this run's " +
                "references: add it as a <PackageDownload> with that exact version to RetryAnalyzers.Tests.csproj.");
        }
    }

    /// <summary>
    /// Packages the testing library downloaded from a feed itself: it keeps those in a NuGet-cache layout under the temp
    /// folder (<c>test-packages/&lt;id&gt;/&lt;version&gt;/&lt;id&gt;.&lt;version&gt;.nupkg.sha512</c>); packages it found in the NuGet
    /// packages folder have no such file.
    /// </summary>
    private static ImmutableHashSet<string> DownloadedAtTestTime()
    {
        var folder = Path.Combine(Path.GetTempPath(), "test-packages");
        return Directory.Exists(folder)
            ? Directory.EnumerateFiles(folder, "*.nupkg.sha512", SearchOption.AllDirectories)
                .Select(file => Path.GetFileName(file).Replace(".nupkg.sha512", string.Empty))
                .ToImmutableHashSet()
            : ImmutableHashSet<string>.Empty;
    }
}
