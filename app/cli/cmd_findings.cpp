// findings URI [--story FILE] [--limit N] [--min-score S]: what is unusual in a store, ranked
// (docs/findings.md)
#include "commands.h"

#include "findings/findings.h"

namespace chronoscope::cli {

namespace {

int runFindings(Invocation& inv)
{
    const std::optional<qint64> limit = inv.integer(QStringLiteral("limit"), -1, 0);
    if (!limit) return ExitUsage;
    double minScore = 0;
    if (inv.has(QStringLiteral("min-score"))) {
        bool ok = false;
        minScore = inv.value(QStringLiteral("min-score")).toDouble(&ok);
        if (!ok || minScore < 0 || minScore > 100)
            return inv.usageError(QStringLiteral("--min-score takes a number from 0 to 100, not '%1'")
                                      .arg(inv.value(QStringLiteral("min-score"))));
    }
    FindingsOptions options;
    if (inv.has(QStringLiteral("story"))) {
        QString error;
        if (!loadStoryTones(inv.value(QStringLiteral("story")), &options.tones, &error))
            return inv.inputError(error);
    }
    int exit = ExitOk;
    auto reader = inv.openReader(inv.positional().first(), &exit);
    if (!reader) return exit;
    QList<Finding> found;
    QString error;
    const CancelToken cancel = cancelOnInterrupt();
    const bool ok = computeFindings(*reader, options, &found,
                                    inv.wantsProgress() ? stderrProgress() : ProgressFn(), cancel, &error);
    endProgress();
    if (cancel.isCancelled()) return ExitInput; // main ends with the signal's exit code
    if (!ok) return inv.inputError(error);
    int rank = 0;
    for (const Finding& f : found) {
        if (f.score < minScore) continue;
        if (*limit >= 0 && rank >= *limit) break;
        writeLine(findingToJson(f, ++rank));
    }
    flushOut();
    if (outputFailed())
        return inv.inputError(
            QStringLiteral("writing the findings to stdout failed (%1)").arg(outputError()));
    return ExitOk;
}

const CommandRegistration findingsCommand(
    {QStringLiteral("findings"),
     QStringLiteral("what is unusual in a store: failure bursts, silences, retries, integrity faults, slow "
                    "chains (NDJSON, ranked)"),
     QStringLiteral("findings URI [--story FILE] [--limit N] [--min-score S]"),
     QStringLiteral(
         "Reads the store once and prints one JSON object per finding, best first: rank, kind, rule, score\n"
         "(0-100), title, explanation, subjects, from, to, firstPosition, lastPosition, eventCount, "
         "positions,\n"
         "streamCount, streams, correlation. The rules, scores and thresholds are in docs/findings.md."),
     1,
     1,
     {{QStringLiteral("story"), QStringLiteral("FILE"),
       QStringLiteral("a story file whose glossary tones mark event types as bad (failure-like)")},
      {QStringLiteral("limit"), QStringLiteral("N"), QStringLiteral("print at most N findings")},
      {QStringLiteral("min-score"), QStringLiteral("S"),
       QStringLiteral("print only findings scoring at least S")},
      {QStringLiteral("progress"),
       {},
       QStringLiteral("report progress on stderr even when it is not a terminal")}},
     runFindings});

} // namespace

} // namespace chronoscope::cli
