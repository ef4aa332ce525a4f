#include "commands.h"

#include "json/mergepatch.h"
#include "sources/sourceregistry.h"

#include <QElapsedTimer>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QFile>
#include <QMutex>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <csignal>
#include <limits>
#include <cstdio>
#include <map>
#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>

#include <fcntl.h>
#include <poll.h>
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
    options.cancel = cancelOnInterrupt(); // indexing a file source stops (and removes its partial index) on a signal
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

namespace {
// The first error writing stdout (errno text); empty while writes succeed.
QString& outputErrorText()
{
    static QString text;
    return text;
}
} // namespace

void flushOut()
{
    QByteArray& b = outBuffer();
    if (!outputErrorText().isEmpty()) {
        b.resize(0); // the output is broken already: drop the rest instead of retrying every line
        return;
    }
    errno = 0;
    if (!b.isEmpty()) {
        const size_t n = std::fwrite(b.constData(), 1, size_t(b.size()), stdout);
        if (n != size_t(b.size()))
            outputErrorText() = QString::fromLocal8Bit(std::strerror(errno ? errno : EIO));
        b.resize(0); // keeps the capacity
    }
    if (outputErrorText().isEmpty() && (std::fflush(stdout) != 0 || std::ferror(stdout)))
        outputErrorText() = QString::fromLocal8Bit(std::strerror(errno ? errno : EIO));
}

bool outputFailed()
{
    return !outputErrorText().isEmpty();
}

QString outputError()
{
    return outputErrorText();
}

char* writeJsonTime(char* p, TimeMs t)
{
    if (t == kNoTime) {
        std::memcpy(p, "null", 4);
        return p + 4;
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
    const QByteArray& cachedDate = c.date; // at most 11 bytes (left(11))
    const int hh = int(ms / 3600000), mi = int(ms / 60000 % 60), ss = int(ms / 1000 % 60), mss = int(ms % 1000);
    *p++ = '"';
    std::memcpy(p, cachedDate.constData(), size_t(cachedDate.size()));
    p += cachedDate.size();
    char* buf = p;
    buf[0] = char('0' + hh / 10); buf[1] = char('0' + hh % 10); buf[2] = ':';
    buf[3] = char('0' + mi / 10); buf[4] = char('0' + mi % 10); buf[5] = ':';
    buf[6] = char('0' + ss / 10); buf[7] = char('0' + ss % 10); buf[8] = '.';
    buf[9] = char('0' + mss / 100); buf[10] = char('0' + mss / 10 % 10); buf[11] = char('0' + mss % 10);
    buf[12] = 'Z';
    buf[13] = '"';
    return p + 14;
}

void appendJsonTime(QByteArray& out, TimeMs t)
{
    const qsizetype at = out.size();
    out.resize(at + kMaxJsonTimeBytes);
    char* end = writeJsonTime(out.data() + at, t);
    out.resize(end - out.constData());
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
    // Re-indented through the parser that keeps number texts (QJsonDocument would print 1.10 as 1.1).
    const std::optional<QByteArray> pretty = prettyJsonText(compactJson);
    writeLine(pretty ? pretty->trimmed() : compactJson);
}

QByteArray jsonText(const QJsonValue& value)
{
    // Kept numbers (json/jsonvalue.h) are written as their text, in both layouts.
    QByteArray out = g_pretty ? toJsonTextIndented(value) : toJsonText(value);
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

// ---- SIGINT / SIGTERM --------------------------------------------------------------------------------
//
// A signal must end any command promptly, even one stuck where no cancel token is looked at: a
// JavaScript handler or predicate in an endless loop (with the time limit raised), a blocking remote
// read, a FIFO. So the handler does only async-signal-safe work (cancel the token, write the signal
// number into a self-pipe), and a watcher thread reading that pipe gives the command a short grace to
// stop on its own (cancelled imports and exports remove their partial files themselves), then removes
// the registered partial files and _exit()s with 128 + the signal. A second signal skips the grace.
// main() ends through finishProcess(), which takes the same lock, so the two never both clean up.

namespace {

constexpr int kGraceMs = 1000;

struct InterruptState
{
    CancelToken token;
    int pipe[2] = {-1, -1};
    std::atomic<int> signal{0};
    std::timed_mutex exitLock; // held by whoever ends the process
    QMutex filesLock;
    QList<QByteArray> files;   // partial files to remove when a signal ends the process
};

// Never destroyed: the watcher may still use it while static destructors run.
InterruptState& interruptState()
{
    static InterruptState* s = new InterruptState;
    return *s;
}

extern "C" void onInterrupt(int sig)
{
    const int savedErrno = errno;
    InterruptState& s = interruptState();
    int expected = 0;
    s.signal.compare_exchange_strong(expected, sig);
    s.token.cancel(); // a lock-free atomic store
    const char c = char(sig);
    [[maybe_unused]] const ssize_t n = ::write(s.pipe[1], &c, 1);
    errno = savedErrno;
}

void removeRegisteredFiles()
{
    InterruptState& s = interruptState();
    QMutexLocker lock(&s.filesLock);
    for (const QByteArray& f : std::as_const(s.files))
        ::unlink(f.constData());
}

[[noreturn]] void exitForSignal(int sig)
{
    removeRegisteredFiles();
    char msg[96];
    const int len = std::snprintf(msg, sizeof msg, "chronoscope-cli: stopped by %s; no partial output is left\n",
                                  sig == SIGTERM ? "SIGTERM" : sig == SIGINT ? "SIGINT (Ctrl-C)" : "a signal");
    if (len > 0)
        [[maybe_unused]] const ssize_t n = ::write(STDERR_FILENO, msg, size_t(std::min<int>(len, sizeof msg - 1)));
    ::_exit(128 + sig);
}

void watchSignals()
{
    InterruptState& s = interruptState();
    char c = 0;
    for (;;) {
        const ssize_t n = ::read(s.pipe[0], &c, 1);
        if (n == 1)
            break;
        if (n < 0 && errno == EINTR)
            continue;
        return;
    }
    // The grace: the command sees the cancelled token and returns through finishProcess(); a second
    // signal ends it at once.
    pollfd p{s.pipe[0], POLLIN, 0};
    QElapsedTimer t;
    t.start();
    while (t.elapsed() < kGraceMs) {
        const int rc = ::poll(&p, 1, int(kGraceMs - t.elapsed()));
        if (rc > 0 || (rc < 0 && errno != EINTR))
            break;
    }
    // finishProcess() may hold the lock while it writes to a stalled stdout: do not wait for it forever.
    s.exitLock.try_lock_for(std::chrono::milliseconds(kGraceMs));
    exitForSignal(s.signal.load());
}

} // namespace

void installInterruptHandling()
{
    InterruptState& s = interruptState();
    if (::pipe(s.pipe) != 0)
        return; // without the pipe the default actions stay: the signal still ends the process
    for (int fd : s.pipe)
        ::fcntl(fd, F_SETFD, FD_CLOEXEC);
    ::fcntl(s.pipe[1], F_SETFL, ::fcntl(s.pipe[1], F_GETFL) | O_NONBLOCK);
    std::thread(watchSignals).detach();
    struct sigaction sa = {};
    sa.sa_handler = onInterrupt;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART; // code that is not told about the signal keeps working through the grace
    ::sigaction(SIGINT, &sa, nullptr);
    ::sigaction(SIGTERM, &sa, nullptr);
}

CancelToken cancelOnInterrupt()
{
    return interruptState().token;
}

void removeOnInterrupt(const QString& path)
{
    InterruptState& s = interruptState();
    QMutexLocker lock(&s.filesLock);
    s.files.append(QFile::encodeName(path));
}

void removeOutputOnInterrupt(const QString& output)
{
    // StoreWriter and PartialFile write under OUTPUT.partial (SQLite may add its journal next to it).
    for (const char* suffix : {".partial", ".partial-journal", ".partial-wal", ".partial-shm"})
        removeOnInterrupt(output + QLatin1String(suffix));
}

int interruptSignal()
{
    return interruptState().signal.load();
}

int finishProcess(const QString& command, int rc)
{
    InterruptState& s = interruptState();
    s.exitLock.lock(); // never released: the process ends here or in the watcher
    if (const int sig = s.signal.load()) {
        outBuffer().resize(0);
        std::fflush(stderr);
        exitForSignal(sig);
    }
    flushOut();
    if (outputFailed() && rc == ExitOk) { // an error the command reported itself needs no second message
        std::fprintf(stderr, "chronoscope-cli%s%s: writing the output failed (%s)\n", command.isEmpty() ? "" : " ",
                     qPrintable(command), qPrintable(outputError()));
        return ExitInput;
    }
    return rc;
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
