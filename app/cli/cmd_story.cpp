// story check|lint|render|draft|bundle: story files (docs/stories.md) against a store.
#include "commands.h"

#include "json/mergepatch.h"
#include "sources/sourceregistry.h"
#include "story/storyengine.h"
#include "story/storyexport.h"
#include "util/filekind.h"

#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>
#include <QJsonObject>

#ifdef CHRONOSCOPE_STORY_RENDER
#include "story/storyrender.h"
#endif

namespace chronoscope::cli {

namespace {

constexpr int ExitFactFails = 3;

using namespace chronoscope::story;

/// The store a story reads: --store, else source.uri resolved against the story's folder.
std::unique_ptr<EventReader> openStoryStore(Invocation& inv, const Story& s, QString* uri, int* exit)
{
    *uri = inv.has(QStringLiteral("store")) ? inv.value(QStringLiteral("store")) : s.resolvedSourceUri();
    if (uri->isEmpty()) {
        *exit = inv.usageError(QStringLiteral("the story names no source (source.uri); give --store URI"));
        return nullptr;
    }
    auto reader = inv.openReader(*uri, exit);
    if (!reader) return nullptr;
    // A store that is not the one the story was written for: a warning, not a refusal.
    if (!s.sourceSha256.isEmpty() && QFileInfo(*uri).isFile()) {
        QString why;
        const QString sha = fileSha256(*uri, &why);
        if (!sha.isEmpty() && sha != s.sourceSha256)
            std::fprintf(
                stderr,
                "chronoscope-cli story: warning: %s has sha256 %s, the story was written for %s; its numbers "
                "may differ\n",
                qPrintable(redactUri(*uri)), qPrintable(sha), qPrintable(s.sourceSha256));
    }
    return reader;
}

bool loadOrFail(Invocation& inv, Story* s, int* exit)
{
    QString why;
    if (!loadStory(inv.positional().at(1), s, &why)) {
        *exit = inv.inputError(why);
        return false;
    }
    return true;
}

QByteArray factLine(const FactResult& r)
{
    // Key order for people: chapter, fact, holds, actual, at.
    QByteArray out = "{\"chapter\":";
    appendJsonString(out, r.chapter->id);
    out += ",\"fact\":" + toJsonText(r.fact->written);
    out += ",\"holds\":";
    out += r.holds ? "true" : "false";
    out += ",\"actual\":" + (r.actual.isUndefined() ? QByteArray("null") : toJsonText(r.actual));
    out += ",\"at\":";
    appendJsonString(out, r.fact->where);
    out += '}';
    return out;
}

int runCheck(Invocation& inv)
{
    Story s;
    int exit = ExitOk;
    if (!loadOrFail(inv, &s, &exit)) return exit;
    QString uri;
    auto reader = openStoryStore(inv, s, &uri, &exit);
    if (!reader) return exit;
    StoryEngine engine(s, *reader);
    engine.setStoreUri(redactUri(uri)); // the identity its notes are kept under (annotation anchors)
    bool allHold = true;
    for (int i = 0; i < s.chapters.size(); ++i) {
        QList<FactResult> results;
        QString why;
        if (!engine.check(i, &results, &why)) return inv.inputError(why);
        for (const FactResult& r : results) {
            writeJsonLine(factLine(r));
            allHold = allHold && r.holds;
        }
    }
    return allHold ? ExitOk : ExitFactFails;
}

int runLint(Invocation& inv)
{
    Story s;
    int exit = ExitOk;
    if (!loadOrFail(inv, &s, &exit)) return exit;
    QString uri;
    auto reader = openStoryStore(inv, s, &uri, &exit);
    if (!reader) return exit;
    StoryEngine engine(s, *reader);
    engine.setStoreUri(redactUri(uri)); // the identity its notes are kept under (annotation anchors)
    const QStringList findings = engine.lint();
    for (const QString& f : findings) {
        QByteArray line = "{\"warning\":";
        appendJsonString(line, f);
        line += '}';
        writeJsonLine(line);
    }
    std::fprintf(stderr, "chronoscope-cli story lint: %lld finding%s\n",
                 static_cast<long long>(findings.size()), findings.size() == 1 ? "" : "s");
    return ExitOk;
}

bool writeFile(const QString& path, const QByteArray& bytes, QString* error)
{
    removeOutputOnInterrupt(path);
    PartialFile f(path);
    if (!f.open(error)) return false;
    if (!f.write(bytes)) {
        *error = f.errorString();
        f.discard();
        return false;
    }
    return f.commit(error);
}

int runRender(Invocation& inv)
{
    const QStringList kinds = {QStringLiteral("pdf"), QStringLiteral("html"), QStringLiteral("png"),
                               QStringLiteral("markdown")};
    QString kind;
    for (const QString& k : kinds) {
        if (!inv.has(k)) continue;
        if (!kind.isEmpty())
            return inv.usageError(QStringLiteral("give one of --pdf, --html, --png, --markdown"));
        kind = k;
    }
    if (kind.isEmpty())
        return inv.usageError(
            QStringLiteral("render needs one of --pdf FILE, --html FILE, --png DIR, --markdown FILE"));
    const QString target = inv.value(kind);
    if (target.isEmpty()) return inv.usageError(QStringLiteral("--%1 needs a path").arg(kind));
#ifndef CHRONOSCOPE_STORY_RENDER
    if (kind != QLatin1String("markdown"))
        return inv.inputError(
            QStringLiteral("this build has no story renderer (built without Qt GUI); --markdown works"));
#endif
    Story s;
    int exit = ExitOk;
    if (!loadOrFail(inv, &s, &exit)) return exit;
    QString uri;
    auto reader = openStoryStore(inv, s, &uri, &exit);
    if (!reader) return exit;
    StoryEngine engine(s, *reader);
    engine.setStoreUri(redactUri(uri)); // the identity its notes are kept under (annotation anchors)
    QString why;
    if (kind == QLatin1String("markdown")) {
        QByteArray md;
        if (!engine.markdown(&md, &why) || !writeFile(target, md, &why)) return inv.inputError(why);
        return ExitOk;
    }
#ifdef CHRONOSCOPE_STORY_RENDER
    QStringList written;
    bool ok = false;
    if (kind == QLatin1String("pdf")) {
        removeOutputOnInterrupt(target);
        ok = renderPdf(engine, target, &why);
        written << target;
    } else if (kind == QLatin1String("html")) {
        QByteArray html;
        ok = renderHtml(engine, &html, &why) && writeFile(target, html, &why);
        written << target;
    } else {
        if (!QDir().mkpath(target))
            return inv.inputError(QStringLiteral("%1: cannot create the folder").arg(target));
        ok = renderPngs(engine, target, &written, &why);
    }
    if (!ok) return inv.inputError(why);
    QByteArray line = "{\"written\":[";
    for (qsizetype i = 0; i < written.size(); ++i) {
        if (i) line += ',';
        appendJsonString(line, written[i]);
    }
    line += "]}";
    writeJsonLine(line);
#endif
    return ExitOk;
}

int runDraft(Invocation& inv)
{
    if (inv.positional().size() != 2) return inv.usageError(QStringLiteral("draft takes one store URI"));
    const QString correlation = inv.value(QStringLiteral("correlation"));
    const QString output = inv.value(QStringLiteral("output"));
    if (correlation.isEmpty()) return inv.usageError(QStringLiteral("draft needs --correlation ID"));
    if (output.isEmpty()) return inv.usageError(QStringLiteral("draft needs -o STORY"));
    if (QFileInfo::exists(output))
        return inv.inputError(QStringLiteral("%1 exists; the draft is written to a new file").arg(output));
    int exit = ExitOk;
    const QString uri = inv.positional().at(1);
    auto reader = inv.openReader(uri, &exit);
    if (!reader) return exit;
    QByteArray text;
    QString why;
    // The story refers to the store relative to its own folder when it can.
    QString source = redactUri(uri);
    if (QFileInfo(uri).isFile())
        source = QDir(QFileInfo(output).absolutePath()).relativeFilePath(QFileInfo(uri).absoluteFilePath());
    if (!draftStory(*reader, source, correlation, &text, &why) || !writeFile(output, text, &why))
        return inv.inputError(why);
    return ExitOk;
}

int runBundle(Invocation& inv)
{
    const QString output = inv.value(QStringLiteral("output"));
    if (output.isEmpty()) return inv.usageError(QStringLiteral("bundle needs -o FILE.chronoscope"));
    Story s;
    int exit = ExitOk;
    if (!loadOrFail(inv, &s, &exit)) return exit;
    QString uri;
    auto reader = openStoryStore(inv, s, &uri, &exit);
    if (!reader) return exit;
    if (QFileInfo(output).exists() &&
        QFileInfo(output).canonicalFilePath() == QFileInfo(uri).canonicalFilePath())
        return inv.inputError(QStringLiteral("the bundle must be a new file, not the source store"));
    QString why;
    QString sha;
    if (QFileInfo(uri).isFile()) sha = fileSha256(uri, &why);
    StoryEngine engine(s, *reader);
    engine.setStoreUri(redactUri(uri)); // the identity its notes are kept under (annotation anchors)
    BundleResult result;
    removeOutputOnInterrupt(output);
    if (!writeBundle(engine, redactUri(uri), sha, output, &result, &why)) return inv.inputError(why);
    QByteArray line = "{\"output\":";
    appendJsonString(line, output);
    line += ",\"events\":" + QByteArray::number(result.events) + ",\"redacted\":[";
    for (qsizetype i = 0; i < result.redacted.size(); ++i) {
        if (i) line += ',';
        appendJsonString(line, result.redacted[i]);
    }
    line += "]}";
    writeJsonLine(line);
    return ExitOk;
}

// QJSEngine (KPIs, watch) needs an application object; rendering needs a QGuiApplication (fonts). main()
// creates none, so the story command makes the one it needs.
void ensureApplication(bool gui)
{
    if (QCoreApplication::instance()) return;
#ifdef CHRONOSCOPE_STORY_RENDER
    if (gui) {
        ensureGuiApplication();
        return;
    }
#else
    Q_UNUSED(gui);
#endif
    static int argc = 1;
    static char arg0[] = "chronoscope-cli";
    static char* argv[] = {arg0, nullptr};
    static QCoreApplication app(argc, argv);
}

int runStory(Invocation& inv)
{
    const QString sub = inv.positional().first();
    ensureApplication(sub == QLatin1String("render") && !inv.has(QStringLiteral("markdown")));
    if (inv.positional().size() < 2)
        return inv.usageError(
            QStringLiteral("missing argument: story %1 %2")
                .arg(sub, sub == QLatin1String("draft") ? QStringLiteral("URI") : QStringLiteral("STORY")));
    if (inv.positional().size() > 2)
        return inv.usageError(QStringLiteral("unexpected argument '%1'").arg(inv.positional().at(2)));
    if (sub == QLatin1String("check")) return runCheck(inv);
    if (sub == QLatin1String("lint")) return runLint(inv);
    if (sub == QLatin1String("render")) return runRender(inv);
    if (sub == QLatin1String("draft")) return runDraft(inv);
    if (sub == QLatin1String("bundle")) return runBundle(inv);
    return inv.usageError(
        QStringLiteral("unknown story command '%1' (check, lint, render, draft, bundle)").arg(sub));
}

const CommandRegistration reg({
    QStringLiteral("story"),
    QStringLiteral("check, lint, render, draft or bundle a story (*.chronostory.json)"),
    QStringLiteral(
        "story (check|lint|render|bundle) STORY [--store URI] | story draft URI --correlation ID -o STORY"),
    QStringLiteral(
        "Stories tell recorded events in business words (docs/stories.md).\n"
        "  check STORY   one JSON line per fact (chapter, fact, holds, actual); exit 3 when one does not "
        "hold\n"
        "  lint STORY    templates that find nothing, empty chapters, unredacted e-mail/IBAN/card values\n"
        "  render STORY  (--pdf FILE | --html FILE | --png DIR | --markdown FILE)\n"
        "  draft URI --correlation ID -o STORY   a first story from one correlation chain\n"
        "  bundle STORY -o FILE.chronoscope      a new, redacted store with the story and a manifest\n"
        "Exit codes: 0 fine, 1 usage, 2 unreadable story or store (or a chapter/KPI that fails), 3 a fact "
        "fails."),
    1,
    -1,
    {
        {QStringLiteral("store"), QStringLiteral("URI"),
         QStringLiteral("read this store instead of the story's source.uri")},
        {QStringLiteral("pdf"), QStringLiteral("FILE"),
         QStringLiteral("render: a PDF (title page, one page per chapter)")},
        {QStringLiteral("html"), QStringLiteral("FILE"),
         QStringLiteral("render: one self-contained HTML file")},
        {QStringLiteral("png"), QStringLiteral("DIR"),
         QStringLiteral("render: one PNG per chapter into DIR")},
        {QStringLiteral("markdown"), QStringLiteral("FILE"),
         QStringLiteral("render: captions, beats and KPIs as Markdown")},
        {QStringLiteral("correlation"), QStringLiteral("ID"),
         QStringLiteral("draft: the correlation id to follow")},
        {QStringLiteral("output"), QStringLiteral("FILE"), QStringLiteral("draft/bundle: the file to write"),
         false, u'o'},
    },
    runStory,
});

} // namespace

} // namespace chronoscope::cli
