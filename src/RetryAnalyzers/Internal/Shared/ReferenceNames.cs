using System.Collections.Generic;
using System.IO;
using Microsoft.CodeAnalysis;

namespace RetryAnalyzers.Internal;

/// <summary>
/// The assembly names a compilation references, read from the reference file names (project references by their
/// assembly name): nothing is loaded or bound, unlike <see cref="Compilation.ReferencedAssemblyNames"/>, which reads every
/// reference's metadata. For the "register nothing when the library is absent" test at compilation start.
/// </summary>
internal static class ReferenceNames
{
    /// <summary>Every referenced assembly's simple name (<c>Polly.Core</c>, <c>OpenAI</c>), in reference order.</summary>
    public static IEnumerable<string> Of(Compilation compilation)
    {
        foreach (var reference in compilation.ExternalReferences) // not References: its #r directives bind every reference
        {
            var name = reference switch
            {
                PortableExecutableReference { FilePath: { } path } => Path.GetFileNameWithoutExtension(path),
                CompilationReference project => project.Compilation.AssemblyName,
                _ => null,
            };
            if (name is not null)
            {
                yield return name;
            }
        }
    }
}
