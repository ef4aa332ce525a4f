// chronoscope [URI...]: the desktop app. With no argument it opens the bundled demo store (or the last store,
// when "Reopen last store on start" is on). Several arguments (a selection opened from the file manager, whose
// desktop entry passes %U): the first opens in the main window, each further one in a window of its own,
// cascaded, in the order given. file:// URIs become paths; other URIs (remote stores) go through as they are.
// --screenshot FILE renders the window (1600x1000, or --size WxH) and exits (one URI at most). --help and
// --version need no display.
#include "chronoscope_version.h"
#include "livecontroller.h"
#include "mainwindow.h"
#include "presentwindows.h"
#include "storyedit/storydock.h"
#include "storywiring.h"
#include "replaycontroller.h"
#include "streambrowser.h"
#include "theme.h"
#include "timelinewidget.h"
#include "inplace/inplacemodels.h"
#include "inplace/inplacetimeline.h"
#include "inplace/inplacewindow.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QElapsedTimer>
#include <QLineEdit>
#include <QFileInfo>
#include <QPointer>
#include <QSettings>
#include <QUrlQuery>
#include <QTimer>

#include <cmath>
#include <cstdio>
#include <vector>

using namespace chronoscope;

namespace {

// --follow: a remote URI read and tailed by the window's live controller; the scope comes from the URI's
// query as on the command line of the CLI (streams, since, until, last).
void followRemote(MainWindow& window, const QString& uri)
{
    QHash<QString, QString> params;
    const QUrlQuery query{QUrl(singleHostUri(uri))};  // a kafka:// broker list parses on its first host
    for (const char* k : {"streams", "since", "until", "last"})
        if (query.hasQueryItem(QLatin1String(k)))
            params.insert(QLatin1String(k), query.queryItemValue(QLatin1String(k), QUrl::FullyDecoded));
    RemoteScope scope;
    QString error;
    if (!RemoteScope::fromParams(params, &scope, &error)) {
        std::fprintf(stderr, "chronoscope: %s\n", qPrintable(error));
        Q_EMIT window.openFailed(redactUri(uri), error);
        return;
    }
    window.live()->start(uri, scope, true, MainWindow::cacheDir());
}

// What the file manager or a shell gives, as MainWindow::open() takes it: a file:// URI (desktop entries
// with %U get those) becomes a local path, so the recent list and the title show the path people know.
QString openArgument(const QString& argument)
{
    if (argument.startsWith(QLatin1String("file:"), Qt::CaseInsensitive)) {
        const QUrl url(argument);
        if (url.isLocalFile())
            return url.toLocalFile();
    }
    return argument;
}

void openIn(MainWindow& window, const QString& uri, bool follow)
{
    if (uri.isEmpty())
        window.openDemo();
    else if (follow)
        followRemote(window, uri);
    else
        window.open(uri);
}

// The options, made once for the core application that answers --help/--version and once for the GUI.
struct Options
{
    QCommandLineOption screenshot{QStringLiteral("screenshot"), QStringLiteral("Render the window to a PNG and exit (1600x1000 unless --size)."), QStringLiteral("file")};
    QCommandLineOption size{QStringLiteral("size"), QStringLiteral("With --screenshot: the window size, WIDTHxHEIGHT (e.g. 1280x720)."), QStringLiteral("size")};
    QCommandLineOption stream{QStringLiteral("stream"), QStringLiteral("With --screenshot: select this stream."), QStringLiteral("stream")};
    QCommandLineOption atPosition{QStringLiteral("at-position"), QStringLiteral("With --screenshot: put the cursor at this global position."), QStringLiteral("position")};
    QCommandLineOption theme{QStringLiteral("theme"), QStringLiteral("light, dark or system (saved for later runs)."), QStringLiteral("theme")};
    QCommandLineOption markers{QStringLiteral("diff"), QStringLiteral("With --screenshot: set A and B to these positions (A,B)."), QStringLiteral("a,b")};
    QCommandLineOption filter{QStringLiteral("filter"), QStringLiteral("With --screenshot: filter the stream browser (glob)."), QStringLiteral("glob")};
    QCommandLineOption zoom{QStringLiteral("zoom"), QStringLiteral("With --screenshot: show this time range (FROM,TO)."), QStringLiteral("from,to")};
    QCommandLineOption follow{QStringLiteral("follow"), QStringLiteral("Open the remote URI and follow new events (live tail); "
                                                                       "the scope rides in the URI (?streams=GLOB&last=N).")};
    QCommandLineOption storyFile{QStringLiteral("story"), QStringLiteral("Open this story (*.chronostory.json) in the Story dock."), QStringLiteral("file")};
    QCommandLineOption chapter{QStringLiteral("chapter"), QStringLiteral("With --story: go to chapter N (1-based; the Sequence dock shows it)."), QStringLiteral("n")};
    // Present mode (docs/present.md): the audience and presenter windows instead of the main window.
    QCommandLineOption present{QStringLiteral("present"), QStringLiteral("Present a story (*.chronostory.json): audience and presenter windows."), QStringLiteral("story")};
    QCommandLineOption presentStore{QStringLiteral("store"), QStringLiteral("With --present: the store to present on (default: the story's source)."), QStringLiteral("uri")};
    QCommandLineOption presentShot{QStringLiteral("screenshot-chapter"), QStringLiteral("With --present: render chapter N's audience window to FILE (the next argument) and exit."), QStringLiteral("n")};
    QCommandLineOption presenterShot{QStringLiteral("presenter"), QStringLiteral("With --screenshot-chapter: render the presenter window instead.")};
    // In place (docs/app.md "In place"): explore the store where it lives instead of indexing every event.
    QCommandLineOption inPlace{QStringLiteral("in-place"), QStringLiteral("Open the store in place (nothing copied, no index of every event): native stores and PostgreSQL stores. "
                                                                          "Native stores with more events than the setting inPlace/thresholdEvents (default 2000000) open in place anyway.")};
    QCommandLineOption fullIndex{QStringLiteral("full-index"), QStringLiteral("Index every event (the full window) even for a store that would open in place.")};
    QCommandLineOption presentScreen{QStringLiteral("screen"), QStringLiteral("With --present: the audience's screen (0, 1, …; default the last)."), QStringLiteral("n")};

    void describe(QCommandLineParser& parser) const
    {
        parser.setApplicationDescription(QStringLiteral("Explore event-sourced systems: timelines, time-travel replay, state and diffs."));
        parser.addHelpOption();
        parser.addVersionOption();
        parser.addPositionalArgument(QStringLiteral("uri"),
                                     QStringLiteral("Stores to open (paths, file:// or remote store URIs). The first opens in the main "
                                                    "window, each further one in a window of its own. Default: the demo store."),
                                     QStringLiteral("[uri...]"));
        parser.addOptions({screenshot, size, stream, atPosition, theme, markers, filter, zoom, follow});
        parser.addOptions({present, presentStore, presentShot, presenterShot, presentScreen});
        parser.addOptions({storyFile, chapter});
        parser.addOptions({inPlace, fullIndex});
    }
};

void nameApplication()
{
    QCoreApplication::setOrganizationName(QStringLiteral("Chronoscope"));
    QCoreApplication::setApplicationName(QStringLiteral("chronoscope"));
    QCoreApplication::setApplicationVersion(QStringLiteral(CHRONOSCOPE_VERSION_STRING));
}

/// The URI with mode=inplace (a PostgreSQL store asked for in place with --in-place).
QString withInPlaceMode(const QString& uri)
{
    QUrl url(uri);
    QUrlQuery q(url);
    q.removeAllQueryItems(QStringLiteral("mode"));
    q.addQueryItem(QStringLiteral("mode"), QStringLiteral("inplace"));
    url.setQuery(q);
    return url.toString();
}

/// The in-place window as the main window (and its screenshot): --stream selects a stream, --filter searches
/// the stream list, --zoom shows a range, --at-position puts the cursor on an event.
int runInPlace(QApplication& app, const QString& uri, const QCommandLineParser& parser, const Options& options,
               bool shooting, const QSize& shotSize)
{
    applyTheme(themeFromName(QSettings().value(QStringLiteral("theme")).toString()));
    InPlaceMainWindow window;
    const QString display = redactUri(uri);
    QString error;
    if (!window.openUri(uri, MainWindow::storeTitle(display), &error)) {
        std::fprintf(stderr, "chronoscope: could not open %s in place: %s\n", qPrintable(display), qPrintable(error));
        return 2;
    }
    if (!shooting) {
        window.resize(1400, 900);
        window.show();
        QObject::connect(&window, &InPlaceMainWindow::openFailed, &window, [&](const QString& why) {
            std::fprintf(stderr, "chronoscope: could not open %s in place: %s\n", qPrintable(display), qPrintable(why));
        });
        return app.exec();
    }
    window.resize(shotSize);
    window.show();
    int exitCode = 0;
    QObject::connect(&window, &InPlaceMainWindow::openFailed, &app, [&](const QString& why) {
        std::fprintf(stderr, "chronoscope: could not open %s in place: %s\n", qPrintable(display), qPrintable(why));
        exitCode = 2;
        app.exit(2);
    });
    QObject::connect(&window, &InPlaceMainWindow::opened, &app, [&] {
        if (parser.isSet(options.filter)) {
            window.filterBox()->setText(parser.value(options.filter));
            window.streamModel()->applyFilterNow(parser.value(options.filter));
        }
        if (parser.isSet(options.zoom)) {
            const QStringList range = parser.value(options.zoom).split(QLatin1Char(','));
            const auto from = parseTime(range.value(0)), to = parseTime(range.value(1));
            if (from && to)
                window.timeline()->setVisibleRange(double(*from), double(*to));
            else
                std::fprintf(stderr, "chronoscope: --zoom wants two times, FROM,TO\n");
        }
        if (parser.isSet(options.atPosition))
            window.service()->requestStep(parser.value(options.atPosition).toLongLong() - 1, 1);
        else if (parser.isSet(options.zoom)) // the first event of the range shown (a cursor elsewhere would pan)
            window.service()->requestAt(qint64(std::ceil(window.timeline()->mapping().start)));
        else
            window.timeline()->stepToEnd(-1);
        auto* poll = new QTimer(&window);
        auto* clock = new QElapsedTimer;
        clock->start();
        QObject::connect(poll, &QTimer::timeout, &app, [&, poll, clock] {
            // --stream: selected once the cursor landed (a step selects the cursor's stream).
            if (parser.isSet(options.stream) && window.timeline()->selectedStream() != parser.value(options.stream) &&
                window.timeline()->cursorEvent()) {
                window.timeline()->setSelectedStream(parser.value(options.stream));
                Q_EMIT window.timeline()->streamSelected(parser.value(options.stream));
            }
            window.syncLanes();
            if ((!window.isIdle() || clock->elapsed() < 600) && clock->elapsed() < 30000)
                return;
            poll->stop();
            delete clock;
            QTimer::singleShot(100, &app, [&] {
                const QString out = parser.value(options.screenshot);
                if (!window.saveScreenshot(out, shotSize)) {
                    std::fprintf(stderr, "chronoscope: could not write %s\n", qPrintable(out));
                    app.exit(2);
                    return;
                }
                std::printf("%s\n", qPrintable(QFileInfo(out).absoluteFilePath()));
                app.exit(exitCode);
            });
        });
        poll->start(50);
    });
    const int rc = app.exec();
    return rc ? rc : exitCode;
}

/// --help and --version print and exit; they must work where no display is (a terminal over ssh, a
/// package check), so they are answered before the GUI application (which needs one) exists.
bool asksForTextOnly(int argc, char** argv)
{
    for (int i = 1; i < argc; ++i) {
        const QByteArray a(argv[i]);
        if (a == "--")
            break;
        if (a == "-h" || a == "-?" || a == "--help" || a == "--help-all" || a == "-v" || a == "--version")
            return true;
    }
    return false;
}

} // namespace

int main(int argc, char** argv)
{
    if (asksForTextOnly(argc, argv)) {
        QCoreApplication core(argc, argv);
        nameApplication();
        QCommandLineParser parser;
        const Options options;
        options.describe(parser);
        parser.process(core); // prints and exits
        return 0;
    }
    // Present mode draws type up to ~100 px at 4K. Qt's raster engine caches glyph masks only up to
    // QT_MAX_CACHED_GLYPH_SIZE (64 px by default; read once, in QPaintEngineEx::shouldDrawCachedGlyphs) and
    // fills a path per glyph above it, several times slower (docs/present.md, "Budgets").
    if (qEnvironmentVariableIsEmpty("QT_MAX_CACHED_GLYPH_SIZE"))
        qputenv("QT_MAX_CACHED_GLYPH_SIZE", "128");
    QApplication app(argc, argv);
    nameApplication();
    QApplication::setApplicationDisplayName(QStringLiteral("Chronoscope"));
    QApplication::setDesktopFileName(QStringLiteral(CHRONOSCOPE_APP_ID)); // the installed .desktop file

    QCommandLineParser parser;
    const Options options;
    options.describe(parser);
    // Named references, not a structured binding: the screenshot lambdas capture them (clang 14 cannot capture bindings).
    const QCommandLineOption& screenshot = options.screenshot;
    const QCommandLineOption& size = options.size;
    const QCommandLineOption& stream = options.stream;
    const QCommandLineOption& atPosition = options.atPosition;
    const QCommandLineOption& theme = options.theme;
    const QCommandLineOption& markers = options.markers;
    const QCommandLineOption& filter = options.filter;
    const QCommandLineOption& zoom = options.zoom;
    const QCommandLineOption& follow = options.follow;
    const QCommandLineOption& present = options.present;
    const QCommandLineOption& presentStore = options.presentStore;
    const QCommandLineOption& presentShot = options.presentShot;
    const QCommandLineOption& presenterShot = options.presenterShot;
    const QCommandLineOption& presentScreen = options.presentScreen;
    const QCommandLineOption& storyFile = options.storyFile;
    const QCommandLineOption& chapter = options.chapter;
    parser.process(app);

    if (parser.isSet(present)) {
        present::PresentArgs a;
        a.story = parser.value(present);
        a.store = parser.value(presentStore);
        if (parser.isSet(presentShot)) {
            bool ok = false;
            a.screenshotChapter = parser.value(presentShot).toInt(&ok);
            if (!ok) {
                std::fprintf(stderr, "chronoscope: --screenshot-chapter wants a chapter number, not '%s'\n", qPrintable(parser.value(presentShot)));
                return 1;
            }
            a.file = parser.positionalArguments().value(0);
        }
        a.presenter = parser.isSet(presenterShot);
        a.screen = parser.isSet(presentScreen) ? parser.value(presentScreen).toInt() : -1;
        const QString themeName = parser.isSet(theme) ? parser.value(theme) : QSettings().value(QStringLiteral("theme")).toString();
        a.dark = themeName == QLatin1String("dark");
        applyTheme(themeFromName(themeName));
        return present::runPresentMode(a);
    }

    if (parser.isSet(theme))
        QSettings().setValue(QStringLiteral("theme"), parser.value(theme));

    QStringList uris;
    for (const QString& argument : parser.positionalArguments())
        uris << openArgument(argument);
    const QSettings settings;
    if (uris.isEmpty() && settings.value(QStringLiteral("reopenLast"), false).toBool())
        uris << settings.value(QStringLiteral("lastStore")).toString();
    QString uri = uris.value(0);
    // In place: a postgresql:// URI with ?mode=inplace, or --in-place (and never with --full-index).
    if (!parser.isSet(options.fullIndex) && !parser.isSet(follow) && uris.size() <= 1) {
        qint64 events = 0;
        const bool native = InPlaceMainWindow::nativeStoreEvents(uri, &events);
        if (parser.isSet(options.inPlace) && !native && !InPlaceMainWindow::isInPlaceUri(uri)) {
            const QString scheme = QUrl(uri).scheme().toLower();
            if (scheme != u"postgresql" && scheme != u"postgres") {
                std::fprintf(stderr, "chronoscope: --in-place opens native stores (.chronoscope) and PostgreSQL stores "
                                     "(postgresql://)\n");
                return 1;
            }
            uri = withInPlaceMode(uri);
        }
        // A native store bigger than the setting opens in place unless --full-index says otherwise.
        const bool bySize = native && events > InPlaceMainWindow::threshold();
        if (bySize && !parser.isSet(options.inPlace))
            std::fprintf(stderr, "chronoscope: %lld events: opening in place (more than %lld; --full-index to index "
                                 "every event)\n",
                         static_cast<long long>(events), static_cast<long long>(InPlaceMainWindow::threshold()));
        if (InPlaceMainWindow::isInPlaceUri(uri) || (native && (parser.isSet(options.inPlace) || bySize))) {
            QSize shotSize(1600, 1000);
            if (parser.isSet(size)) {
                const QStringList wh = parser.value(size).toLower().split(QLatin1Char('x'));
                shotSize = QSize(wh.value(0).toInt(), wh.value(1).toInt());
                if (shotSize.width() < 320 || shotSize.height() < 240 || shotSize.width() > 10000 || shotSize.height() > 10000) {
                    std::fprintf(stderr, "chronoscope: --size wants WIDTHxHEIGHT between 320x240 and 10000x10000\n");
                    return 1;
                }
            }
            return runInPlace(app, uri, parser, options, parser.isSet(screenshot), shotSize);
        }
    }

    MainWindow window;
    const bool shooting = parser.isSet(screenshot);
    window.setInteractive(!shooting);

    // --story: opened once the store is (its chapters are resolved against it); --chapter goes there.
    StoryWiring* stories = window.findChild<StoryWiring*>();
    if (parser.isSet(storyFile) && stories) {
        QObject::connect(&window, &MainWindow::storeOpened, stories, [&parser, &storyFile, &chapter, stories] {
            QString error;
            if (stories->storyDock()->hasStory())
                return;
            if (!stories->storyDock()->openStory(parser.value(storyFile), &error)) {
                std::fprintf(stderr, "chronoscope: %s\n", qPrintable(error));
                return;
            }
            if (parser.isSet(chapter)) {
                const int n = parser.value(chapter).toInt();
                auto* once = new QObject(stories);
                QObject::connect(stories->storyDock(), &StoryDock::resolved, once, [stories, n, once] {
                    stories->storyDock()->goToChapter(n - 1);
                    once->deleteLater();
                });
            }
        });
    }

    if (!shooting) {
        window.show();
        openIn(window, uri, parser.isSet(follow));
        // Each further store gets its own window (deleted when closed; the app ends with the last window).
        std::vector<QPointer<MainWindow>> more;
        for (qsizetype i = 1; i < uris.size(); ++i) {
            auto* w = new MainWindow;
            w->setAttribute(Qt::WA_DeleteOnClose);
            w->move(window.pos() + QPoint(40, 40) * int(i));
            w->show();
            openIn(*w, uris[i], parser.isSet(follow));
            more.emplace_back(w);
        }
        const int rc = app.exec();
        for (const QPointer<MainWindow>& w : more)
            delete w.data();
        return rc;
    }
    if (uris.size() > 1) {
        std::fprintf(stderr, "chronoscope: --screenshot renders one store; %lld given\n", static_cast<long long>(uris.size()));
        return 1;
    }

    // Screenshot mode: open, apply --stream / --at-position / --diff, wait for every view to settle, render.
    QSize shotSize(1600, 1000);
    if (parser.isSet(size)) {
        const QStringList wh = parser.value(size).toLower().split(QLatin1Char('x'));
        const int w = wh.value(0).toInt(), h = wh.value(1).toInt();
        if (wh.size() != 2 || w < 320 || h < 240 || w > 10000 || h > 10000) {
            std::fprintf(stderr, "chronoscope: --size wants WIDTHxHEIGHT between 320x240 and 10000x10000\n");
            return 1;
        }
        shotSize = QSize(w, h);
    }
    window.resize(shotSize);
    window.show();
    const QString out = parser.value(screenshot);
    int exitCode = 0;
    QObject::connect(&window, &MainWindow::openFailed, &app, [&](const QString& what, const QString& error) {
        std::fprintf(stderr, "chronoscope: could not open %s: %s\n", qPrintable(what), qPrintable(error));
        exitCode = 2;
        app.exit(2);
    });
    QObject::connect(&window, &MainWindow::storeOpened, &app, [&] {
        if (parser.isSet(stream)) {
            if (window.index()->laneOf(parser.value(stream)) < 0) {
                std::fprintf(stderr, "chronoscope: no stream named %s in this store; showing all streams\n",
                             qPrintable(parser.value(stream)));
            } else {
                // The stream replay follows and the inspectors show; the lanes stay as the browser has them.
                window.controller()->setSelectedStream(parser.value(stream));
            }
        }
        if (parser.isSet(filter))
            window.streamBrowser()->setPattern(parser.value(filter), false);
        if (parser.isSet(zoom)) {
            const QStringList range = parser.value(zoom).split(QLatin1Char(','));
            const auto from = parseTime(range.value(0)), to = parseTime(range.value(1));
            if (from && to)
                window.timeline()->setVisibleRange(double(*from), double(*to));
            else
                std::fprintf(stderr, "chronoscope: --zoom wants two times, FROM,TO\n");
        }
        if (parser.isSet(atPosition)) {
            const QString keep = window.controller()->selectedStream();
            window.controller()->jumpToEvent(parser.value(atPosition).toLongLong());
            if (!keep.isEmpty())
                window.controller()->setSelectedStream(keep);
        }
        if (parser.isSet(markers)) {
            const QStringList ab = parser.value(markers).split(QLatin1Char(','));
            window.controller()->setMarkerA(ab.value(0).toLongLong());
            window.controller()->setMarkerB(ab.value(1).toLongLong());
        }
        window.controller()->flush();
        auto* poll = new QTimer(&window);
        auto* clock = new QElapsedTimer;
        clock->start();
        QObject::connect(poll, &QTimer::timeout, &app, [&, poll, clock] {
            // Wait for the replay and lookup answers (at most 20 s), then one more round of painting.
            // A live source is shot once its first read is over (following, complete or disconnected).
            const auto live = window.live()->state();
            const bool reading = live == LiveController::State::Connecting || live == LiveController::State::Reading;
            if ((!window.isIdle() || reading) && clock->elapsed() < 20000)
                return;
            poll->stop();
            delete clock;
            QTimer::singleShot(100, &app, [&] {
                if (!window.saveScreenshot(out, shotSize)) {
                    std::fprintf(stderr, "chronoscope: could not write %s\n", qPrintable(out));
                    app.exit(2);
                    return;
                }
                std::printf("%s\n", qPrintable(QFileInfo(out).absoluteFilePath()));
                app.exit(exitCode);
            });
        });
        poll->start(50);
    });
    openIn(window, uri, parser.isSet(follow));
    return app.exec();
}
