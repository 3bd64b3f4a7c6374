using System.Text;

namespace SeedOrchestrator;

/// <summary>The report the orchestrator splits: a long, deterministic text (about 74,000 tokens per chunk).</summary>
internal static class Report
{
    private const int ChunkCharacters = 295_000;

    private static readonly string[] Sentences =
    [
        "Revenue in the northern region grew for the third quarter in a row, driven by the new service contracts.",
        "The audit committee asked for a second review of the supplier agreements signed in the spring.",
        "Staff turnover in the support centre fell after the schedule changes agreed with the works council.",
        "Two of the five planned warehouse upgrades slipped to next year because of delayed permits.",
        "The board approved the pilot with the regional hospital network, subject to the data-protection review.",
    ];

    public static IReadOnlyList<string> Chunks(int count)
    {
        var chunks = new List<string>(count);
        for (var i = 0; i < count; i++)
        {
            var text = new StringBuilder(ChunkCharacters + 200).Append("Part ").Append(i + 1).Append(" of ").Append(count).Append(".\n");
            for (var n = 0; text.Length < ChunkCharacters; n++)
            {
                text.Append(Sentences[(n + i) % Sentences.Length]).Append(n % 7 == 6 ? "\n" : " ");
            }

            chunks.Add(text.ToString(0, ChunkCharacters));
        }

        return chunks;
    }
}
