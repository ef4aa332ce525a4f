// The hidden `complete` command behind the bash and zsh completion scripts (completion.h). Commands and
// options come from the same CommandRegistry as --help, so completion never lists a flag the parser refuses.

#include "completion.h"

#include "sources/sourceregistry.h"
#include "store/storenames.h"

#include <QDir>
#include <QFile>
#include <QRegularExpression>
#include <QUrl>

#include <algorithm>
#include <cstdio>

namespace chronoscope::cli {

namespace {

enum class ValueKind { None, Streams, Types, Files, Scripts };

// What an option's value is, read off its spec: the names and value names the commands use (commands.cpp,
// cmd_*.cpp). A value name that names a file (FILE, STORE, A.js...) gets file completion.
ValueKind kindOf(const OptionSpec& o)
{
    if (o.valueName.isEmpty())
        return ValueKind::None;
    if (o.name == QLatin1String("stream") || o.name == QLatin1String("streams") || o.name == QLatin1String("match"))
        return ValueKind::Streams;
    if (o.name == QLatin1String("type"))
        return ValueKind::Types;
    if (o.valueName.endsWith(QLatin1String(".js"), Qt::CaseInsensitive))
        return ValueKind::Scripts;
    if (o.valueName.contains(QLatin1String("FILE")) || o.valueName.contains(QLatin1String("STORE")) ||
        o.name == QLatin1String("output"))
        return ValueKind::Files;
    return ValueKind::None;
}

QStringList withPrefix(const QStringList& names, const QString& prefix)
{
    QStringList out;
    for (const QString& n : names)
        if (n.startsWith(prefix))
            out << n;
    return out;
}

// Only local files are read on Tab: a remote store would mean a network round trip (and perhaps a password).
QString localPath(const QString& uri)
{
    if (uri.startsWith(QLatin1String("file:"), Qt::CaseInsensitive))
        return QUrl(uri).toLocalFile();
    static const QRegularExpression scheme(QStringLiteral("^[A-Za-z][A-Za-z0-9+.-]*://"));
    if (scheme.match(uri).hasMatch())
        return {};
    return uri;
}

bool isSqliteFile(const QString& path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) && f.read(16) == QByteArray("SQLite format 3\0", 16);
}

// Stream (or type) names starting with `prefix`. Native stores: an index range scan (store/storenames.h).
// Foreign SQLite layouts are read in place by their reader (no import, nothing written); NDJSON files would
// need an import and remote stores a connection, so they get nothing.
QStringList namesFor(const QString& uri, store::NameTable table, const QString& prefix, QString* error)
{
    const QString path = localPath(uri);
    if (path.isEmpty()) {
        if (error)
            *error = QStringLiteral("names are completed from local store files only");
        return {};
    }
    bool notStore = false;
    if (const auto m = store::namesWithPrefix(path, table, prefix, kMaxCompletions, error, &notStore))
        return m->names;
    if (!notStore || table != store::NameTable::Streams || !isSqliteFile(path))
        return {};
    OpenOptions options;
    auto reader = openSource(path, options, error);
    if (!reader)
        return {};
    QList<QByteArray> names;
    for (const StreamInfo& s : reader->streams())
        if (s.stream.startsWith(prefix))
            names << s.stream.toUtf8();
    std::sort(names.begin(), names.end()); // byte order, as SQLite's BINARY collation
    QStringList out;
    for (qsizetype i = 0; i < names.size(); ++i) {
        if (names.size() > kMaxCompletions && i >= kMaxCompletions - 1 && i != names.size() - 1)
            continue;
        out << QString::fromUtf8(names[i]);
    }
    return out;
}

QStringList commandNames()
{
    QStringList names;
    for (const CommandSpec& c : CommandRegistry::all())
        names << c.name;
    names << QStringLiteral("help");
    names.sort();
    return names;
}

QStringList valueCandidates(ValueKind kind, const QString& typed, const QString& insertPrefix, const QString& uri)
{
    switch (kind) {
    case ValueKind::None:
        return {QStringLiteral("none")};
    case ValueKind::Files:
        return {QStringLiteral("files")};
    case ValueKind::Scripts:
        return {QStringLiteral("files *.js")};
    case ValueKind::Streams:
    case ValueKind::Types: {
        const QString prefix = shellUnquote(typed);
        // A glob already typed (--match 'pay*') is the user's own pattern: nothing to add to it.
        if (uri.isEmpty() || prefix.contains(u'*') || prefix.contains(u'?') || prefix.contains(u'['))
            return {QStringLiteral("none")};
        QStringList out{QStringLiteral("words")};
        const auto table = kind == ValueKind::Streams ? store::NameTable::Streams : store::NameTable::Types;
        for (const QString& n : namesFor(uri, table, prefix, nullptr))
            if (!n.contains(u'\n'))
                out << insertPrefix + n;
        return out;
    }
    }
    return {QStringLiteral("none")};
}

} // namespace

QString shellUnquote(const QString& word)
{
    QString out;
    out.reserve(word.size());
    QChar quote;
    for (qsizetype i = 0; i < word.size(); ++i) {
        const QChar c = word[i];
        if (quote == u'\'') {
            if (c == u'\'')
                quote = QChar();
            else
                out += c;
        } else if (quote == u'"') {
            if (c == u'"')
                quote = QChar();
            else if (c == u'\\' && i + 1 < word.size() && QStringLiteral("\"\\$`").contains(word[i + 1]))
                out += word[++i];
            else
                out += c;
        } else if (c == u'\'' || c == u'"') {
            quote = c;
        } else if (c == u'\\' && i + 1 < word.size()) {
            out += word[++i];
        } else {
            out += c;
        }
    }
    if (out == QLatin1String("~") || out.startsWith(QLatin1String("~/")))
        out = QDir::homePath() + out.mid(1);
    return out;
}

QStringList completeLine(const QStringList& wordsIn)
{
    QStringList words = wordsIn;
    if (words.isEmpty())
        words << QString();
    const QString cur = words.takeLast();
    const QStringList before = words;

    if (before.isEmpty()) {
        if (cur.startsWith(u'-'))
            return QStringList{QStringLiteral("words")} + withPrefix({QStringLiteral("--help"), QStringLiteral("--version")}, cur);
        return QStringList{QStringLiteral("words")} + withPrefix(commandNames(), cur);
    }
    const QString& name = before.first();
    if (name == QLatin1String("help") || name == QLatin1String("--help") || name == QLatin1String("-h")) {
        if (before.size() == 1)
            return QStringList{QStringLiteral("words")} + withPrefix(commandNames(), cur);
        return {QStringLiteral("none")};
    }
    const std::optional<CommandSpec> spec = CommandRegistry::find(name);
    if (!spec)
        return {QStringLiteral("none")};
    const QList<OptionSpec> options = spec->options + globalOptions();
    auto findLong = [&](const QString& n) -> const OptionSpec* {
        for (const OptionSpec& o : options)
            if (o.name == n)
                return &o;
        return nullptr;
    };

    // Walk the words before the cursor as main.cpp's parser does: which options are given, which word is a
    // value, which are positional (the first one is the store the names come from).
    QStringList positional;
    QStringList given;
    const OptionSpec* pendingValue = nullptr;
    bool onlyPositional = false;
    for (qsizetype i = 1; i < before.size(); ++i) {
        const QString& w = before[i];
        if (pendingValue) {
            pendingValue = nullptr;
            continue;
        }
        if (onlyPositional || w == QLatin1String("-") || !w.startsWith(u'-')) {
            positional << shellUnquote(w);
            continue;
        }
        if (w == QLatin1String("--")) {
            onlyPositional = true;
            continue;
        }
        const OptionSpec* o = nullptr;
        if (w.startsWith(QLatin1String("--"))) {
            const qsizetype eq = w.indexOf(u'=');
            o = findLong(eq < 0 ? w.mid(2) : w.mid(2, eq - 2));
            if (o && eq >= 0) {
                given << o->name;
                continue;
            }
        } else if (w.size() == 2) {
            for (const OptionSpec& s : options)
                if (s.shortName == w[1])
                    o = &s;
        }
        if (!o)
            continue; // main.cpp will refuse it; completion just carries on
        given << o->name;
        if (!o->valueName.isEmpty())
            pendingValue = o;
    }
    const QString uri = positional.value(0);

    if (pendingValue)
        return valueCandidates(kindOf(*pendingValue), cur, {}, uri);
    if (!onlyPositional && cur.startsWith(QLatin1String("--")) && cur.contains(u'=')) {
        const qsizetype eq = cur.indexOf(u'=');
        const OptionSpec* o = findLong(cur.mid(2, eq - 2));
        if (!o || o->valueName.isEmpty())
            return {QStringLiteral("none")};
        return valueCandidates(kindOf(*o), cur.mid(eq + 1), cur.left(eq + 1), uri);
    }
    if (!onlyPositional && cur.startsWith(u'-') && cur != QLatin1String("-")) {
        QStringList out{QStringLiteral("words")};
        for (const OptionSpec& o : options) {
            const QString flag = QStringLiteral("--") + o.name;
            if (flag.startsWith(cur) && (o.repeatable || !given.contains(o.name)))
                out << flag;
        }
        return out;
    }
    if (spec->maxPositional < 0 || positional.size() < spec->maxPositional)
        return {QStringLiteral("files")};
    return {QStringLiteral("none")};
}

int runComplete(const QStringList& args)
{
    const QString what = args.value(0);
    QStringList lines;
    if (what == QLatin1String("line")) {
        lines = completeLine(args.mid(1));
    } else if ((what == QLatin1String("streams") || what == QLatin1String("types")) && args.size() >= 2 && args.size() <= 3) {
        QString error;
        const auto table = what == QLatin1String("streams") ? store::NameTable::Streams : store::NameTable::Types;
        lines = namesFor(args[1], table, args.value(2), &error);
        if (lines.isEmpty() && !error.isEmpty()) {
            std::fprintf(stderr, "chronoscope-cli complete: %s\n", qPrintable(error));
            return ExitInput;
        }
    } else {
        std::fprintf(stderr, "usage: chronoscope-cli complete line WORD... | streams URI [PREFIX] | types URI [PREFIX]\n");
        return ExitUsage;
    }
    QByteArray out;
    for (const QString& l : lines)
        if (!l.contains(u'\n'))
            out += l.toUtf8() + '\n';
    writeOut(out);
    return ExitOk;
}

} // namespace chronoscope::cli
