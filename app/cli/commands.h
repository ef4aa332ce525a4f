#pragma once
// chronoscope-cli commands. Each command is one function in its own cmd_<name>.cpp that registers a
// CommandSpec through a static CommandRegistration, so adding a command touches no shared file
// (main.cpp only dispatches). Output: JSON on stdout; messages on stderr; exit codes below.

#include "model/event.h"
#include "store/eventreader.h"
#include "util/progress.h"

#include <QHash>
#include <QJsonValue>
#include <QString>
#include <QStringList>

#include <functional>
#include <memory>
#include <optional>

namespace chronoscope::cli {

enum Exit : int {
    ExitOk = 0,
    ExitUsage = 1, ///< the command line is wrong (unknown command or flag, missing or malformed value)
    ExitInput = 2, ///< the input is wrong (missing file, unreadable or unknown store, unknown stream, ...)
};

struct OptionSpec
{
    OptionSpec(QString n, QString value = {}, QString h = {}, bool repeat = false, QChar shortN = {})
        : name(std::move(n)), valueName(std::move(value)), help(std::move(h)), repeatable(repeat), shortName(shortN)
    {
    }
    QString name;        ///< without the leading "--"
    QString valueName;   ///< empty: a flag without value
    QString help;
    bool repeatable = false;
    QChar shortName;     ///< e.g. 'o' for -o (none when null)
};

class Invocation;

struct CommandSpec
{
    QString name;
    QString summary;           ///< one line for `chronoscope-cli --help`
    QString synopsis;          ///< "info URI"
    QString description;       ///< a paragraph for `chronoscope-cli info --help`
    int minPositional = 0;
    int maxPositional = 0;     ///< -1: any number
    QList<OptionSpec> options; ///< --help is always accepted
    std::function<int(Invocation&)> run;
};

/// Extra options for another file's command, with a handler that runs before the command's own run.
/// The handler returns an exit code when it handled the invocation (e.g. `state --projection FILE.js`),
/// nullopt to let the command run as usual. This is how a feature adds flags to `state` or `diff`
/// without editing their files.
struct CommandExtension
{
    QString command;
    QList<OptionSpec> options;
    std::function<std::optional<int>(Invocation&)> handler;
};

class CommandRegistry
{
public:
    static bool add(CommandSpec spec);
    static bool extend(CommandExtension extension);
    /// Sorted by name.
    static QList<CommandSpec> all();
    /// The command with the options of its extensions appended and their handlers run first.
    static std::optional<CommandSpec> find(const QString& name);
};

/// Put one of these at namespace scope in a cmd_*.cpp: `const CommandRegistration reg({...});`
struct CommandRegistration
{
    explicit CommandRegistration(CommandSpec spec) { CommandRegistry::add(std::move(spec)); }
    explicit CommandRegistration(CommandExtension ext) { CommandRegistry::extend(std::move(ext)); }
};

/// The parsed command line of one command, plus the helpers every command needs.
class Invocation
{
public:
    Invocation(const CommandSpec& spec, QStringList positional, QHash<QString, QStringList> values)
        : m_spec(spec), m_positional(std::move(positional)), m_values(std::move(values))
    {
    }

    const CommandSpec& spec() const { return m_spec; }
    const QStringList& positional() const { return m_positional; }
    bool has(const QString& option) const { return m_values.contains(option); }
    QString value(const QString& option) const;          ///< the last value given ("" when absent)
    QStringList values(const QString& option) const;     ///< every value, comma lists split

    // Typed values. On a malformed value they print a usage error and return nullopt; the caller then
    // returns ExitUsage. Absent options give `fallback` (wrapped).
    std::optional<qint64> integer(const QString& option, qint64 fallback, qint64 min = 0);
    std::optional<TimeMs> time(const QString& option);   ///< kNoTime when absent
    /// --at-version / --at-position / --at-time (with the given prefix, e.g. "at", "from", "to"); at most one.
    std::optional<Point> point(const QString& prefix);
    /// --stream, --type, --from-position, --to-position, --since, --until, --limit.
    std::optional<EventQuery> eventQuery();

    int usageError(const QString& message) const;        ///< prints and returns ExitUsage
    int inputError(const QString& message) const;        ///< prints and returns ExitInput

    /// Opens any source read-only (DESIGN.md URIs). On failure prints the reason and sets *exit.
    std::unique_ptr<EventReader> openReader(const QString& uri, int* exit);

    /// Progress on stderr only when stderr is a terminal or --progress was given.
    bool wantsProgress() const;

private:
    const CommandSpec& m_spec;
    QStringList m_positional;
    QHash<QString, QStringList> m_values;
};

// ---- shared option sets and output --------------------------------------------------------------

QList<OptionSpec> eventFilterOptions();
QList<OptionSpec> pointOptions(const QString& prefix, const QString& what);

/// Times as ISO 8601 or null (JSON strings: chronoscope::appendJsonString from model/event.h).
using chronoscope::appendJsonString;
void appendJsonTime(QByteArray& out, TimeMs t);
/// The same at p (room for kMaxJsonTimeBytes); returns the end of what was written.
inline constexpr int kMaxJsonTimeBytes = 32;
char* writeJsonTime(char* p, TimeMs t);
void appendInt(QByteArray& out, qint64 v);

/// Buffered stdout for large NDJSON output.
void writeOut(QByteArrayView bytes);
void writeLine(QByteArrayView bytes);
void flushOut();
/// The stdout buffer itself, for commands that build many lines in place (call flushIfFull() after each).
QByteArray& outputBuffer();
void flushIfFull();
/// Compact by default; indented with the global --pretty flag.
QByteArray jsonText(const QJsonValue& value);
void setPretty(bool pretty);
/// Writes a compact JSON document as one line (re-indented with --pretty).
void writeJsonLine(const QByteArray& compactJson);

/// The cancel token that Ctrl-C (SIGINT) and SIGTERM cancel, so long work stops cleanly (no partial file).
CancelToken cancelOnInterrupt();

/// main() calls this first: SIGINT and SIGTERM cancel the token above, and a watcher thread ends the
/// process 1 s later if the command has not returned by then (a JavaScript endless loop, a blocking
/// read), after removing the files registered below; the exit code is then 130 (SIGINT) / 143 (SIGTERM).
void installInterruptHandling();
/// A file to remove if a signal ends the process (a partial output).
void removeOnInterrupt(const QString& path);
/// The partial files of an output written through StoreWriter or PartialFile (OUTPUT.partial…).
void removeOutputOnInterrupt(const QString& output);
/// The signal that arrived (0: none).
int interruptSignal();
/// main() returns through this: flushes stdout and turns a failed write into an error (exit 2), or,
/// after a signal, removes the registered files and exits with 128 + the signal.
int finishProcess(const QString& command, int rc);

/// Whether writing stdout failed (disk full, closed or full pipe); commands producing long output stop early.
bool outputFailed();
QString outputError();

/// A progress printer for stderr ("\r<what> 42% (420000/1000000)").
std::function<void(qint64, qint64, const QString&)> stderrProgress();
void endProgress();

} // namespace chronoscope::cli
