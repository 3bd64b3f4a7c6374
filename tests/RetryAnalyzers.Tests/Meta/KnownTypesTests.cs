using System;
using System.Linq;
using System.Reflection;

namespace RetryAnalyzers.Tests.Meta;

/// <summary>The analyzers find types by metadata name; each name must exist in the real assembly it stands for.</summary>
public sealed class KnownTypesTests
{
    public static TheoryData<string> Names()
    {
        var data = new TheoryData<string>();
        foreach (var field in typeof(KnownTypes).GetFields(BindingFlags.Public | BindingFlags.Static).Where(f => f.IsLiteral))
        {
            data.Add((string)field.GetRawConstantValue()!);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void MetadataName_ResolvesInTheRealAssembly(string metadataName)
    {
        Assembly[] assemblies =
        [
            typeof(Polly.Policy).Assembly,                           // Polly (v7 API)
            typeof(Polly.ResiliencePipeline).Assembly,               // Polly.Core (v8)
            typeof(Polly.Contrib.WaitAndRetry.Backoff).Assembly,     // Polly.Contrib.WaitAndRetry
            typeof(RetryAnalyzers.Runtime.JitteredBackoff).Assembly, // our runtime library
            typeof(System.Net.Http.HttpResponseMessage).Assembly,
            typeof(System.Net.HttpStatusCode).Assembly,
            typeof(System.Security.Cryptography.RandomNumberGenerator).Assembly,
            typeof(object).Assembly,
            typeof(System.Threading.Tasks.Parallel).Assembly,
            typeof(System.Linq.Enumerable).Assembly,
            typeof(System.Net.Http.Json.HttpClientJsonExtensions).Assembly,
            typeof(System.Threading.SemaphoreSlim).Assembly,
            typeof(System.Threading.RateLimiting.RateLimiter).Assembly,
            typeof(System.ClientModel.ApiKeyCredential).Assembly,        // System.ClientModel (OpenAI's)
            typeof(OpenAI.OpenAIClientOptions).Assembly,                 // OpenAI
            typeof(Azure.AzureKeyCredential).Assembly,                   // Azure.Core
            typeof(System.Net.Http.Headers.HttpHeaders).Assembly,
        ];

        var found = assemblies.Select(a => a.GetType(metadataName, throwOnError: false)).FirstOrDefault(t => t is not null);
        Assert.True(found is not null, $"{metadataName} is not a type of any referenced assembly");
    }

    /// <summary>No name is kept that no analyzer or fix looks up (a dead name hides a rule that silently stopped matching).</summary>
    [Fact]
    public void EveryName_IsUsedBySourceCode()
    {
        var sources = string.Join("\n", new[] { "RetryAnalyzers", "RetryAnalyzers.CodeFixes" }
            .SelectMany(project => System.IO.Directory.GetFiles(System.IO.Path.Combine(RepositoryFiles.Root, "src", project), "*.cs", System.IO.SearchOption.AllDirectories))
            .Where(file => !file.Contains(System.IO.Path.DirectorySeparatorChar + "obj" + System.IO.Path.DirectorySeparatorChar, StringComparison.Ordinal))
            .Select(System.IO.File.ReadAllText));
        var unused = typeof(KnownTypes).GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f.IsLiteral && !sources.Contains("KnownTypes." + f.Name, StringComparison.Ordinal))
            .Select(f => f.Name)
            .ToList();
        Assert.Empty(unused);
    }
}
