#include "commands.h"

#include "sources/sourceregistry.h"

#include <QElapsedTimer>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QMutex>

#include <charconv>
#include <csignal>
#include <limits>
#include <cstdio>
#include <map>
#include <unistd.h>

namespace chronoscope::cli {

namespace {

std::map<QString, CommandSpec>& registry()
{
    static std::map<QString, CommandSpec> commands;
    return commands;
}

std::multimap<QString, CommandExtension>& extensions()
{
    static std::multimap<QString, CommandExtension> ext;
    return ext;
}

bool g_pretty = false;

QByteArray& outBuffer()
{
    static QByteArray buffer = [] {
        QByteArray b;
        b.reserve((1 << 20) + 65536);
        return b;
    }();
    return buffer;
}

// A function, not a static: commands call the option helpers during static initialisation.
QString timeHelp() { return QStringLiteral("ISO 8601 (2026-03-03T13:45:00Z, offsets allowed) or epoch seconds/ms"); }

} // namespace

bool CommandRegistry::add(CommandSpec spec)
{
    const QString name = spec.name;
    return registry().emplace(name, std::move(spec)).second;
}

bool CommandRegistry::extend(CommandExtension extension)
{
    const QString name = extension.command;
    extensions().emplace(name, std::move(extension));
    return true;
}

QList<CommandSpec> CommandRegistry::all()
{
    QList<CommandSpec> out;
    for (const auto& [name, spec] : registry())
        out.append(*find(name));
    return out;
}

std::optional<CommandSpec> CommandRegistry::find(const QString& name)
{
    const auto it = registry().find(name);
    if (it == registry().end())
        return std::nullopt;
    CommandSpec spec = it->second;
    // Extensions register in static initialisers of other files, in any order: merge them here.
    const auto [begin, end] = extensions().equal_range(name);
    if (begin == end)
        return spec;
    std::vector<std::function<std::optional<int>(Invocation&)>> handlers;
    for (auto e = begin; e != end; ++e) {
        spec.options += e->second.options;
        if (e->second.handler)
            handlers.push_back(e->second.handler);
    }
    auto own = spec.run;
    spec.run = [handlers, own](Invocation& inv) -> int {
        for (const auto& h : handlers)
            if (const std::optional<int> rc = h(inv))
                return *rc;
        return own(inv);
    };
    return spec;
}

// ---- Invocation -----------------------------------------------------------------------------------

QString Invocation::value(const QString& option) const
{
    const QStringList v = m_values.value(option);
    return v.isEmpty() ? QString() : v.last();
}

QStringList Invocation::values(const QString& option) const
{
    QStringList out;
    for (const QString& v : m_values.value(option))
        for (const QString& part : v.split(u',', Qt::SkipEmptyParts))
            out << part.trimmed();
    return out;
}

int Invocation::usageError(const QString& message) const
{
    std::fprintf(stderr, "chronoscope-cli %s: %s\nRun 'chronoscope-cli %s --help' for its options.\n",
                 qPrintable(m_spec.name), qPrintable(message), qPrintable(m_spec.name));
    return ExitUsage;
}

int Invocation::inputError(const QString& message) const
{
    std::fprintf(stderr, "chronoscope-cli %s: %s\n", qPrintable(m_spec.name), qPrintable(message));
    return ExitInput;
}

std::optional<qint64> Invocation::integer(const QString& option, qint64 fallback, qint64 min)
{
    if (!has(option))
        return fallback;
    bool ok = false;
    const QString text = value(option).trimmed();
    const qint64 v = text.toLongLong(&ok);
    if (!ok) {
        usageError(QStringLiteral("--%1: '%2' is not a whole number").arg(option, text));
        return std::nullopt;
    }
    if (v < min) {
        usageError(QStringLiteral("--%1: %2 is less than %3").arg(option, text).arg(min));
        return std::nullopt;
    }
    return v;
}

std::optional<TimeMs> Invocation::time(const QString& option)
{
    if (!has(option))
        return kNoTime;
    const QString text = value(option);
    QString why;
    const std::optional<TimeMs> t = parseTime(text, &why);
    if (!t) {
        usageError(QStringLiteral("--%1: '%2' is not a time: %3").arg(option, text, why));
        return std::nullopt;
    }
    return t;
}

std::optional<Point> Invocation::point(const QString& prefix)
{
    const QString v = prefix + QStringLiteral("-version"), p = prefix + QStringLiteral("-position"),
                  t = prefix + QStringLiteral("-time");
    const int given = int(has(v)) + int(has(p)) + int(has(t));
    if (given > 1) {
        usageError(QStringLiteral("give only one of --%1, --%2 and --%3").arg(v, p, t));
        return std::nullopt;
    }
    if (has(v)) {
        const auto n = integer(v, 0, std::numeric_limits<qint64>::min());
        return n ? std::optional<Point>(Point::atVersion(*n)) : std::nullopt;
    }
    if (has(p)) {
        const auto n = integer(p, 0, std::numeric_limits<qint64>::min());
        return n ? std::optional<Point>(Point::atPosition(*n)) : std::nullopt;
    }
    if (has(t)) {
        const auto n = time(t);
        return n ? std::optional<Point>(Point::atTime(*n)) : std::nullopt;
    }
    return Point::end();
}

std::optional<EventQuery> Invocation::eventQuery()
{
    EventQuery q;
    q.stream = value(QStringLiteral("stream"));
    q.types = values(QStringLiteral("type"));
    const auto from = integer(QStringLiteral("from-position"), 0, std::numeric_limits<qint64>::min());
    const auto to = integer(QStringLiteral("to-position"), kNoLimit, std::numeric_limits<qint64>::min());
    const auto since = time(QStringLiteral("since"));
    const auto until = time(QStringLiteral("until"));
    const auto limit = integer(QStringLiteral("limit"), -1, 0);
    if (!from || !to || !since || !until || !limit)
        return std::nullopt;
    q.fromPosition = *from;
    q.toPosition = *to;
    q.since = *since;
    q.until = *until;
    q.limit = *limit;
    return q;
}

bool Invocation::wantsProgress() const
{
    return has(QStringLiteral("progress")) || isatty(STDERR_FILENO);
}

std::unique_ptr<EventReader> Invocation::openReader(const QString& uri, int* exit)
{
    OpenOptions options;
    if (wantsProgress())
        options.progress = stderrProgress();
    QString error;
    std::unique_ptr<EventReader> reader = openSource(uri, options, &error);
    endProgress();
    if (!reader) {
        *exit = inputError(error.isEmpty() ? QStringLiteral("%1: could not be opened").arg(redactUri(uri)) : error);
        return nullptr;
    }
    *exit = ExitOk;
    return reader;
}

// ---- shared option sets -----------------------------------------------------------------------------

QList<OptionSpec> eventFilterOptions()
{
    return {
        {QStringLiteral("stream"), QStringLiteral("S"), QStringLiteral("only the events of stream S")},
        {QStringLiteral("type"), QStringLiteral("T"), QStringLiteral("only events of type T (repeat or comma-separate for several)"), true},
        {QStringLiteral("from-position"), QStringLiteral("N"), QStringLiteral("only events at global position N or later")},
        {QStringLiteral("to-position"), QStringLiteral("N"), QStringLiteral("only events at global position N or earlier")},
        {QStringLiteral("since"), QStringLiteral("T"), QStringLiteral("only events at time T or later: ") + timeHelp()},
        {QStringLiteral("until"), QStringLiteral("T"), QStringLiteral("only events at time T or earlier")},
        {QStringLiteral("limit"), QStringLiteral("N"), QStringLiteral("at most N events")},
    };
}

QList<OptionSpec> pointOptions(const QString& prefix, const QString& what)
{
    return {
        {prefix + QStringLiteral("-version"), QStringLiteral("V"),
         QStringLiteral("%1 after the stream's last event with version <= V").arg(what)},
        {prefix + QStringLiteral("-position"), QStringLiteral("P"),
         QStringLiteral("%1 after the stream's last event at global position <= P").arg(what)},
        {prefix + QStringLiteral("-time"), QStringLiteral("T"),
         QStringLiteral("%1 after the stream's last event at time <= T (%2)").arg(what, timeHelp())},
    };
}

// ---- output ------------------------------------------------------------------------------------------

void writeOut(QByteArrayView bytes)
{
    QByteArray& b = outBuffer();
    b.append(bytes);
    if (b.size() >= (1 << 20))
        flushOut();
}

void writeLine(QByteArrayView bytes)
{
    QByteArray& b = outBuffer();
    b.append(bytes);
    b.append('\n');
    if (b.size() >= (1 << 20))
        flushOut();
}

QByteArray& outputBuffer() { return outBuffer(); }

void flushIfFull()
{
    if (outBuffer().size() >= (1 << 20))
        flushOut();
}

void flushOut()
{
    QByteArray& b = outBuffer();
    if (!b.isEmpty()) {
        std::fwrite(b.constData(), 1, size_t(b.size()), stdout);
        b.resize(0); // keeps the capacity
    }
    std::fflush(stdout);
}

void appendJsonTime(QByteArray& out, TimeMs t)
{
    if (t == kNoTime) {
        out += "null";
        return;
    }
    // formatTime() per value is measurable on 200,000-line outputs: reuse the date part of recent days
    // (a small direct-mapped cache: first and last times of a line are usually on different days).
    struct DayCache
    {
        qint64 day = std::numeric_limits<qint64>::min();
        QByteArray date;
    };
    static DayCache cache[16];
    qint64 day = t / 86400000;
    qint64 ms = t % 86400000;
    if (ms < 0) {
        ms += 86400000;
        --day;
    }
    DayCache& c = cache[quint64(day) % 16];
    if (c.day != day) {
        c.day = day;
        c.date = formatTime(day * 86400000).left(11).toLatin1(); // "2026-03-02T"
    }
    const QByteArray& cachedDate = c.date;
    char buf[16];
    const int hh = int(ms / 3600000), mi = int(ms / 60000 % 60), ss = int(ms / 1000 % 60), mss = int(ms % 1000);
    buf[0] = char('0' + hh / 10); buf[1] = char('0' + hh % 10); buf[2] = ':';
    buf[3] = char('0' + mi / 10); buf[4] = char('0' + mi % 10); buf[5] = ':';
    buf[6] = char('0' + ss / 10); buf[7] = char('0' + ss % 10); buf[8] = '.';
    buf[9] = char('0' + mss / 100); buf[10] = char('0' + mss / 10 % 10); buf[11] = char('0' + mss % 10);
    buf[12] = 'Z';
    out += '"';
    out += cachedDate;
    out.append(buf, 13);
    out += '"';
}

void appendInt(QByteArray& out, qint64 v)
{
    char buf[24];
    const auto r = std::to_chars(buf, buf + sizeof buf, v);
    out.append(buf, r.ptr - buf);
}

void setPretty(bool pretty) { g_pretty = pretty; }

void writeJsonLine(const QByteArray& compactJson)
{
    if (!g_pretty) {
        writeLine(compactJson);
        return;
    }
    const QJsonDocument doc = QJsonDocument::fromJson(compactJson);
    writeLine(doc.isNull() ? compactJson : doc.toJson(QJsonDocument::Indented).trimmed());
}

QByteArray jsonText(const QJsonValue& value)
{
    const QJsonDocument::JsonFormat fmt = g_pretty ? QJsonDocument::Indented : QJsonDocument::Compact;
    QByteArray out;
    if (value.isObject())
        out = QJsonDocument(value.toObject()).toJson(fmt);
    else if (value.isArray())
        out = QJsonDocument(value.toArray()).toJson(fmt);
    else {
        out = QJsonDocument(QJsonArray{value}).toJson(QJsonDocument::Compact);
        out = out.mid(1, out.size() - 2);
    }
    while (out.endsWith('\n'))
        out.chop(1);
    return out;
}

namespace {
struct ProgressState
{
    QElapsedTimer timer;
    bool shown = false;
    QMutex mutex;
};
ProgressState& progressState()
{
    static ProgressState s;
    return s;
}
} // namespace

std::function<void(qint64, qint64, const QString&)> stderrProgress()
{
    return [](qint64 done, qint64 total, const QString& what) {
        ProgressState& s = progressState();
        QMutexLocker lock(&s.mutex);
        if (s.timer.isValid() && s.timer.elapsed() < 100 && done != total)
            return;
        s.timer.start();
        s.shown = true;
        if (total > 0)
            std::fprintf(stderr, "\r%s: %3d%% (%lld / %lld)   ", qPrintable(what), int(done * 100 / total),
                         static_cast<long long>(done), static_cast<long long>(total));
        else
            std::fprintf(stderr, "\r%s: %lld   ", qPrintable(what), static_cast<long long>(done));
        std::fflush(stderr);
    };
}

namespace {
CancelToken* g_interruptToken = nullptr;
extern "C" void onInterrupt(int)
{
    // CancelToken::cancel is a lock-free atomic store: safe in a signal handler.
    if (g_interruptToken)
        g_interruptToken->cancel();
}
} // namespace

CancelToken cancelOnInterrupt()
{
    static CancelToken token;
    g_interruptToken = &token;
    std::signal(SIGINT, onInterrupt);
    std::signal(SIGTERM, onInterrupt);
    return token;
}

void endProgress()
{
    ProgressState& s = progressState();
    QMutexLocker lock(&s.mutex);
    if (s.shown) {
        std::fputc('\n', stderr);
        s.shown = false;
    }
}

} // namespace chronoscope::cli
