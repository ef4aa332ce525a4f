// import INPUT... -o STORE [--map-FIELD F]... [--force]
#include "commands.h"

#include "import/importer.h"
#include "util/filekind.h"

#include <QFileInfo>

namespace chronoscope::cli {

namespace {

/// "1048576", "64K", "64M", "1G" (binary multiples: K = 1024).
std::optional<qint64> byteSize(const QString& text)
{
    QString t = text.trimmed().toUpper();
    if (t.endsWith(u'B'))
        t.chop(1);
    qint64 unit = 1;
    if (t.endsWith(u'I'))
        t.chop(1); // MiB
    if (t.endsWith(u'K'))
        unit = 1024;
    else if (t.endsWith(u'M'))
        unit = 1024 * 1024;
    else if (t.endsWith(u'G'))
        unit = 1024LL * 1024 * 1024;
    if (unit > 1)
        t.chop(1);
    bool ok = false;
    const qint64 n = t.toLongLong(&ok);
    if (!ok || n < 0 || n > (qint64(1) << 40) / unit)
        return std::nullopt;
    return n * unit;
}

const char* const kMappedFields[] = {"stream", "type", "time", "version", "position", "id", "data", "metadata"};

int runImport(Invocation& inv)
{
    const QString output = inv.value(QStringLiteral("output"));
    if (output.isEmpty())
        return inv.usageError(QStringLiteral("give the store to create with -o STORE"));
    const QStringList inputs = inv.positional();
    for (const QString& in : inputs) {
        if (QFileInfo(in).absoluteFilePath() == QFileInfo(output).absoluteFilePath())
            return inv.usageError(QStringLiteral("%1 is both an input and the output").arg(in));
        if (!QFileInfo::exists(in))
            return inv.inputError(QStringLiteral("%1: no such file").arg(in));
    }
    const bool force = inv.has(QStringLiteral("force"));
    QString pathError;
    if (!checkOutputPath(output, force, &pathError))
        return inv.inputError(pathError);

    ImportOptions options;
    if (inv.has(QStringLiteral("max-event-size"))) {
        const std::optional<qint64> limit = byteSize(inv.value(QStringLiteral("max-event-size")));
        if (!limit || *limit < 1)
            return inv.usageError(QStringLiteral("--max-event-size: '%1' is not a size (bytes, or with K, M or G: 64M)")
                                      .arg(inv.value(QStringLiteral("max-event-size"))));
        options.maxEventBytes = *limit;
    }
    removeOutputOnInterrupt(output);
    for (const char* field : kMappedFields) {
        const QString flag = QStringLiteral("map-") + QLatin1String(field);
        if (inv.has(flag))
            options.mapping.insert(QLatin1String(field), inv.value(flag));
    }
    options.cancel = cancelOnInterrupt();
    if (inv.wantsProgress())
        options.progress = stderrProgress();

    ImportSummary summary;
    QString error;
    const bool ok = importFiles(inputs, output, options, &summary, &error, force);
    endProgress();
    if (!ok)
        return inv.inputError(error.isEmpty() ? QStringLiteral("import into %1 failed").arg(output) : error);

    QByteArray out = "{\"output\":";
    appendJsonString(out, output);
    out += ",\"inputs\":[";
    for (qsizetype i = 0; i < inputs.size(); ++i) {
        if (i)
            out += ',';
        appendJsonString(out, inputs[i]);
    }
    out += "],\"format\":";
    appendJsonString(out, summary.format);
    out += ",\"events\":" + QByteArray::number(summary.events);
    out += ",\"skipped\":" + QByteArray::number(summary.skipped);
    out += ",\"streams\":" + QByteArray::number(summary.streams);
    out += ",\"bytes\":" + QByteArray::number(summary.bytes);
    out += ",\"seconds\":" + QByteArray::number(summary.seconds, 'f', 3);
    out += ",\"mbPerSecond\":" +
           QByteArray::number(summary.seconds > 0 ? double(summary.bytes) / 1e6 / summary.seconds : 0.0, 'f', 1);
    out += ",\"cancelled\":";
    out += summary.cancelled ? "true" : "false";
    out += ",\"issues\":[";
    for (qsizetype i = 0; i < summary.issues.size(); ++i) {
        const auto& issue = summary.issues[i];
        if (i)
            out += ',';
        out += "{\"file\":";
        appendJsonString(out, issue.file);
        out += ",\"line\":" + QByteArray::number(issue.line) + ",\"message\":";
        appendJsonString(out, issue.message);
        out += '}';
    }
    out += "]}";
    writeJsonLine(out);
    return summary.cancelled ? ExitInput : ExitOk;
}

QList<OptionSpec> importOptions()
{
    QList<OptionSpec> o{{QStringLiteral("output"), QStringLiteral("STORE"),
                         QStringLiteral("the store file to create (required)"), false, u'o'}};
    for (const char* field : kMappedFields)
        o.append(OptionSpec{QStringLiteral("map-") + QLatin1String(field), QStringLiteral("F"),
                  QStringLiteral("read the event's %1 from field F (default: detected)").arg(QLatin1String(field))});
    o.append(OptionSpec{QStringLiteral("max-event-size"), QStringLiteral("SIZE"),
                        QStringLiteral("longest line or event read (default 64M; K, M, G suffixes): a longer line is "
                                       "skipped and listed in issues")});
    o.append(OptionSpec{QStringLiteral("force"), {}, QStringLiteral("overwrite STORE if it exists (a regular file only)")});
    o.append(OptionSpec{QStringLiteral("progress"), {}, QStringLiteral("report progress on stderr even when it is not a terminal")});
    return o;
}

const CommandRegistration importCommand({
    QStringLiteral("import"),
    QStringLiteral("index NDJSON / JSON array / CloudEvents files (optionally .gz) into a store file"),
    QStringLiteral("import INPUT... -o STORE [--map-stream F] [--map-type F] [--map-time F] [--map-version F] [--map-position F] "
                   "[--map-id F] [--map-data F] [--map-metadata F] [--max-event-size SIZE] [--force]"),
    QStringLiteral("Reads the inputs in order into one new store and prints a summary object: output, inputs,\n"
                   "format, events, skipped, streams, bytes, seconds, mbPerSecond, cancelled, issues[{file, line,\n"
                   "message}]. A malformed line is skipped and listed in issues; it does not stop the import."),
    1, -1, importOptions(), runImport});

} // namespace

} // namespace chronoscope::cli
