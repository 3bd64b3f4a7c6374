using System;
using System.IO;

namespace RetryAnalyzers.Testing;

/// <summary>Where the tools write their reports: the folder holding RetryAnalyzers.sln, found by walking up from the running binary.</summary>
public static class RepositoryRoot
{
    /// <summary>The repository root, or the current directory when no RetryAnalyzers.sln is above the binary.</summary>
    public static string Find()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "RetryAnalyzers.sln")))
            {
                return directory.FullName;
            }
        }

        return Directory.GetCurrentDirectory();
    }
}
