using System.Collections.Immutable;
using System.IO;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Testing;
using RetryAnalyzers.Runtime;

namespace RetryAnalyzers.Tests.Verifiers;

/// <summary>The references every test compilation gets: net8.0, the real Polly packages, and our runtime library.</summary>
internal static class TestReferences
{
    /// <summary>
    /// net8.0 reference assemblies plus Polly 8.9.1 (v7 API, and Polly.Core through its dependency) and
    /// Polly.Contrib.WaitAndRetry 1.1.1 and OpenAI 2.1.0, resolved through NuGet. Microsoft.NETCore.App.Ref 8.0.31 because the
    /// registry copy reachable here lacks the 8.0.0 that <c>ReferenceAssemblies.Net.Net80</c> asks for.
    /// </summary>
    public static readonly ReferenceAssemblies Net80WithPolly =
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

    /// <summary>The runtime library the fixes rewrite onto (its net8.0 build).</summary>
    public static readonly MetadataReference Runtime = MetadataReference.CreateFromFile(typeof(JitteredBackoff).Assembly.Location);
}
