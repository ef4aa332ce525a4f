// chronoscope-cli: parses the command line and dispatches to the registered commands (commands.h).
// Startup is part of the commands' time budget (info/streams <= 200 ms, state <= 100 ms for the whole
// process), so nothing is set up here that a command does not need: no event loop, no QML engine.

#include "commands.h"
#include "completion.h"

#include "chronoscope_version.h"

#include <QCoreApplication>

#include <cstring>
#include <memory>

#ifdef CHRONOSCOPE_STORY_RENDER
#include "story/storyrender.h"
#endif

#include <cerrno>
#include <cstdio>

#include <fcntl.h>
#include <unistd.h>

using namespace chronoscope::cli;

namespace chronoscope::cli {

const QList<OptionSpec>& globalOptions()
{
    static const QList<OptionSpec> options = {
        {QStringLiteral("help"), {}, QStringLiteral("show this help"), false, u'h'},
        {QStringLiteral("pretty"), {}, QStringLiteral("indent JSON output (NDJSON stays one line per record)")},
    };
    return options;
}

} // namespace chronoscope::cli

namespace {

QString optionLine(const OptionSpec& o)
{
    QString left = o.shortName.isNull() ? QStringLiteral("    ") : QStringLiteral("-%1, ").arg(o.shortName);
    left += QStringLiteral("--") + o.name;
    if (!o.valueName.isEmpty())
        left += u' ' + o.valueName;
    return QStringLiteral("  %1  %2\n").arg(left, -28).arg(o.help);
}

void printGeneralHelp(FILE* to)
{
    QString text = QStringLiteral(
        "Usage: chronoscope-cli COMMAND [ARGS] [--pretty]\n"
        "Explore event stores from scripts: JSON on stdout, messages on stderr.\n"
        "Exit codes: 0 success, 1 usage error, 2 input or output error, 130/143 stopped by SIGINT/SIGTERM.\n"
        "state, diff, blame, watch, divergence print the answer itself; --envelope wraps it with its context.\n\n"
        "Commands:\n");
    for (const CommandSpec& c : CommandRegistry::all())
        text += QStringLiteral("  %1  %2\n").arg(c.name, -8).arg(c.summary);
    text += QStringLiteral(
        "\nOptions:\n"
        "  -h, --help     show this help; COMMAND --help shows the command's options\n"
        "      --version  print the version and exit\n"
        "\nURI: a store file (.chronoscope/.sqlite, any extension), a foreign SQLite layout, NDJSON/JSON/\n"
        "CloudEvents (optionally .gz), or a remote store URI. Run 'chronoscope-cli COMMAND --help' for details.\n");
    std::fputs(qPrintable(text), to);
}

void printCommandHelp(const CommandSpec& c)
{
    QString text = QStringLiteral("Usage: chronoscope-cli %1\n\n%2\n").arg(c.synopsis, c.description);
    if (!c.options.isEmpty()) {
        text += QStringLiteral("\nOptions:\n");
        for (const OptionSpec& o : c.options)
            text += optionLine(o);
    }
    text += QStringLiteral("\nGlobal options:\n");
    for (const OptionSpec& o : globalOptions())
        text += optionLine(o);
    std::fputs(qPrintable(text), stdout);
}

int usage(const QString& command, const QString& message)
{
    if (command.isEmpty())
        std::fprintf(stderr, "chronoscope-cli: %s\nRun 'chronoscope-cli --help' for the commands.\n",
                     qPrintable(message));
    else
        std::fprintf(stderr, "chronoscope-cli %s: %s\nRun 'chronoscope-cli %s --help' for its options.\n",
                     qPrintable(command), qPrintable(message), qPrintable(command));
    return ExitUsage;
}

// A closed standard descriptor would be reused by the application object's own (its event dispatcher's
// eventfd), and output meant for stdout would go there. Each closed one is held by /dev/null opened the
// other way round, so a read or write still fails with EBADF, as on the closed descriptor.
void holdClosedStandardDescriptors()
{
    for (int fd = 0; fd <= 2; ++fd) {
        if (fcntl(fd, F_GETFD) != -1 || errno != EBADF)
            continue;
        const int held = open("/dev/null", fd == 0 ? O_WRONLY : O_RDONLY);
        if (held >= 0 && held != fd) {
            dup2(held, fd);
            close(held);
        }
    }
}

} // namespace

int main(int argc, char** argv)
{
    // Used by QStandardPaths for the cache of indexed files; no QCoreApplication instance is needed.
    QCoreApplication::setApplicationName(QStringLiteral("chronoscope"));
    // The same organisation as the GUI: QStandardPaths::AppDataLocation (the notes sidecars that story
    // annotation anchors read) is then the same folder for both.
    QCoreApplication::setOrganizationName(QStringLiteral("Chronoscope"));
    // The one application object of the process (core never makes one): QJSEngine (projections) and
    // QNetworkAccessManager (HTTP sources) need it. It costs well under a millisecond and runs no event
    // loop; it gets no arguments, so Qt reads none of the command line.
    holdClosedStandardDescriptors();
    static int appArgc = 1;
    static char* appArgv[] = {argv[0], nullptr};
    std::unique_ptr<QCoreApplication> app;
#ifdef CHRONOSCOPE_STORY_RENDER
    // `story render` to PDF/HTML/PNG lays out text: that needs a QGuiApplication (fonts), on the offscreen
    // platform unless the user chose one. Every other command gets the plain core application.
    bool gui = argc > 2 && std::strcmp(argv[1], "story") == 0 && std::strcmp(argv[2], "render") == 0;
    for (int i = 3; gui && i < argc; ++i)
        gui = std::strcmp(argv[i], "--markdown") != 0;
    if (gui)
        chronoscope::story::ensureGuiApplication();
    else
#endif
        app = std::make_unique<QCoreApplication>(appArgc, appArgv);

    installInterruptHandling();

    QStringList args;
    for (int i = 1; i < argc; ++i)
        args << QString::fromLocal8Bit(argv[i]);

    if (args.isEmpty()) {
        printGeneralHelp(stderr);
        return ExitUsage;
    }
    const QString name = args.takeFirst();
    if (name == QLatin1String("--version")) {
        std::printf("chronoscope-cli %s\n", CHRONOSCOPE_VERSION_STRING);
        return finishProcess({}, ExitOk);
    }
    // Hidden: what the shell completion scripts call on Tab (completion.h); not a command of its own in --help.
    if (name == QLatin1String("complete"))
        return finishProcess(name, runComplete(args));
    if (name == QLatin1String("--help") || name == QLatin1String("-h") || name == QLatin1String("help")) {
        if (!args.isEmpty()) {
            if (const auto c = CommandRegistry::find(args.first())) {
                printCommandHelp(*c);
                return finishProcess(QStringLiteral("help"), ExitOk);
            }
            return usage({}, QStringLiteral("unknown command '%1'").arg(args.first()));
        }
        printGeneralHelp(stdout);
        return finishProcess({}, ExitOk);
    }
    const std::optional<CommandSpec> spec = CommandRegistry::find(name);
    if (!spec) {
        if (name.startsWith(u'-'))
            return usage({}, QStringLiteral("expected a command before '%1'").arg(name));
        return usage({}, QStringLiteral("unknown command '%1'").arg(name));
    }

    QList<OptionSpec> options = spec->options + globalOptions();
    auto findLong = [&](const QString& n) -> const OptionSpec* {
        for (const OptionSpec& o : options)
            if (o.name == n)
                return &o;
        return nullptr;
    };
    auto findShort = [&](QChar c) -> const OptionSpec* {
        for (const OptionSpec& o : options)
            if (o.shortName == c)
                return &o;
        return nullptr;
    };

    QStringList positional;
    QHash<QString, QStringList> values;
    bool onlyPositional = false;
    for (qsizetype i = 0; i < args.size(); ++i) {
        const QString& a = args[i];
        if (onlyPositional || a == QLatin1String("-") || !a.startsWith(u'-')) {
            positional << a;
            continue;
        }
        if (a == QLatin1String("--")) {
            onlyPositional = true;
            continue;
        }
        const OptionSpec* o = nullptr;
        QString inlineValue;
        bool hasInline = false;
        if (a.startsWith(QLatin1String("--"))) {
            QString n = a.mid(2);
            const qsizetype eq = n.indexOf(u'=');
            if (eq >= 0) {
                inlineValue = n.mid(eq + 1);
                hasInline = true;
                n.truncate(eq);
            }
            o = findLong(n);
            if (!o)
                return usage(name, QStringLiteral("unknown option '--%1'").arg(n));
        } else {
            if (a.size() != 2 || !(o = findShort(a[1])))
                return usage(name, QStringLiteral("unknown option '%1'").arg(a));
        }
        if (o->valueName.isEmpty()) {
            if (hasInline)
                return usage(name, QStringLiteral("--%1 takes no value").arg(o->name));
            values[o->name] << QString();
            continue;
        }
        if (!hasInline) {
            if (i + 1 >= args.size())
                return usage(name, QStringLiteral("--%1 needs a value (%2)").arg(o->name, o->valueName));
            inlineValue = args[++i];
        }
        if (values.contains(o->name) && !o->repeatable)
            return usage(name, QStringLiteral("--%1 is given more than once").arg(o->name));
        values[o->name] << inlineValue;
    }

    if (values.contains(QStringLiteral("help"))) {
        printCommandHelp(*spec);
        return finishProcess(name, ExitOk);
    }
    if (positional.size() < spec->minPositional)
        return usage(name, QStringLiteral("missing argument: %1").arg(spec->synopsis));
    if (spec->maxPositional >= 0 && positional.size() > spec->maxPositional)
        return usage(name, QStringLiteral("unexpected argument '%1'").arg(positional.at(spec->maxPositional)));
    setPretty(values.contains(QStringLiteral("pretty")));

    Invocation inv(*spec, positional, values);
    const int rc = spec->run(inv);
    return finishProcess(name, rc);
}
