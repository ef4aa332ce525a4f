#include "story/storyexport.h"

#include "json/jsonvalue.h"
#include "json/mergepatch.h"
#include "store/storewriter.h"

#include <QCryptographicHash>
#include <QDateTime>
#include <QFile>
#include <QJsonArray>
#include <QJsonObject>
#include <QTimeZone>
#include <QUrl>

#include <nlohmann/json.hpp>

namespace chronoscope::story {

using Json = nlohmann::ordered_json;

QString fileSha256(const QString& path, QString* error)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly)) {
        *error = QStringLiteral("%1: %2").arg(path, f.errorString());
        return {};
    }
    QCryptographicHash h(QCryptographicHash::Sha256);
    if (!h.addData(&f)) {
        *error = QStringLiteral("%1: read failed").arg(path);
        return {};
    }
    return QString::fromLatin1(h.result().toHex());
}

QString uriWithoutSecrets(const QString& uri)
{
    if (!uri.contains(QLatin1String("://"))) return uri;
    QUrl u(uri);
    if (!u.isValid()) return uri.left(uri.indexOf(QLatin1String("://")) + 3) + QStringLiteral("…");
    u.setUserInfo({});
    u.setQuery(QString());
    u.setFragment({});
    return u.toString();
}

namespace {

std::string s(const QString& q)
{
    return q.toStdString();
}

QString toneGuess(const QString& type)
{
    static const QStringList bad = {QStringLiteral("Failed"),   QStringLiteral("Cancelled"),
                                    QStringLiteral("Canceled"), QStringLiteral("Declined"),
                                    QStringLiteral("Rejected"), QStringLiteral("Error")};
    static const QStringList warn = {QStringLiteral("Retried"),  QStringLiteral("Timeout"),
                                     QStringLiteral("Released"), QStringLiteral("Refund"),
                                     QStringLiteral("Delayed"),  QStringLiteral("Expired")};
    static const QStringList good = {QStringLiteral("Completed"),  QStringLiteral("Paid"),
                                     QStringLiteral("Authorized"), QStringLiteral("Captured"),
                                     QStringLiteral("Delivered"),  QStringLiteral("Confirmed"),
                                     QStringLiteral("Succeeded")};
    for (const QString& w : bad)
        if (type.contains(w)) return QStringLiteral("bad");
    for (const QString& w : warn)
        if (type.contains(w)) return QStringLiteral("warn");
    for (const QString& w : good)
        if (type.contains(w)) return QStringLiteral("good");
    return QStringLiteral("neutral");
}

QString hhmm(TimeMs t)
{
    return t == kNoTime
               ? QString()
               : QDateTime::fromMSecsSinceEpoch(t, QTimeZone::utc()).toString(QStringLiteral("HH:mm"));
}

} // namespace

bool draftStory(EventReader& reader, const QString& uri, const QString& correlation, QByteArray* out,
                QString* error)
{
    QList<Event> chain;
    QString why;
    const bool ok = reader.read(
        EventQuery{},
        [&](const Event& e) {
            if (e.id == correlation || e.correlationId() == correlation) chain << e;
            return chain.size() < kMaxBeats;
        },
        &why);
    if (!ok) {
        *error = why;
        return false;
    }
    if (chain.isEmpty()) {
        *error = QStringLiteral("no event has the correlation id '%1'").arg(correlation);
        return false;
    }
    Glossary defaults;
    // Chapters: cut at each change of actor or gap longer than a minute.
    QList<QList<Event>> parts;
    for (const Event& e : chain) {
        if (parts.isEmpty()) {
            parts.append({e});
            continue;
        }
        const Event& prev = parts.last().last();
        const bool gap = e.time != kNoTime && prev.time != kNoTime && e.time - prev.time > 60000;
        if (gap || defaults.actorOf(e.stream) != defaults.actorOf(prev.stream))
            parts.append({e});
        else
            parts.last().append(e);
    }
    Json story;
    story["chronostory"] = 1;
    story["title"] = s(QStringLiteral("What happened to %1").arg(chain.first().stream));
    story["audience"] = "Product owners";
    story["locale"] = "en-GB";
    story["source"] = {{"uri", s(uriWithoutSecrets(uri))}};
    Json glossary;
    glossary["actors"] = Json::object();
    glossary["events"] = Json::object();
    QStringList categories;
    for (const Event& e : chain) {
        const QString c = e.category();
        if (!categories.contains(c)) {
            categories << c;
            glossary["actors"][s(c + QStringLiteral("-*"))] = s(defaults.actorOf(e.stream));
        }
        if (!glossary["events"].contains(s(e.type)))
            glossary["events"][s(e.type)] = {{"say", s(Glossary::defaultSentence(e.type))},
                                             {"tone", s(toneGuess(e.type))}};
    }
    glossary["fields"] = Json::object();
    glossary["hide"] = Json::array();
    story["glossary"] = glossary;
    Json chapters = Json::array();
    for (int i = 0; i < parts.size(); ++i) {
        const QList<Event>& p = parts[i];
        Json ch;
        ch["id"] = s(QStringLiteral("part-%1").arg(i + 1));
        ch["title"] =
            s(QStringLiteral("%1%2: %3")
                  .arg(hhmm(p.first().time), hhmm(p.first().time).isEmpty() ? QString() : QStringLiteral(" "),
                       defaults.actorOf(p.first().stream) + QStringLiteral(" — ") +
                           Glossary::defaultSentence(p.first().type).toLower())
                  .trimmed());
        ch["range"] = {{"fromPosition", p.first().position}, {"toPosition", p.last().position}};
        QStringList streams;
        for (const Event& e : p)
            if (!streams.contains(e.stream)) streams << e.stream;
        Json st = Json::array();
        for (const QString& x : streams)
            st.push_back(s(x));
        ch["streams"] = st;
        ch["pace"] = {{"mode", "step"}};
        ch["caption"] = p.size() == 1 ? "{actor}: one event." : "{actor}: {count} events in {duration}.";
        Json expect = Json::array();
        QMap<QString, int> counts;
        for (const Event& e : p)
            ++counts[e.type];
        for (auto it = counts.begin(); it != counts.end(); ++it)
            expect.push_back({{"count", s(it.key())}, {"equals", it.value()}});
        ch["expect"] = expect;
        chapters.push_back(ch);
    }
    story["chapters"] = chapters;
    *out = QByteArray::fromStdString(story.dump(2)) + '\n';
    return true;
}

bool writeBundle(StoryEngine& engine, const QString& sourceUri, const QString& sourceSha256,
                 const QString& output, BundleResult* result, QString* error, bool overwrite)
{
    const Story& story = engine.story();
    QMap<qint64, const Event*> events; // every chapter's beats, once each, in position order
    QList<const ResolvedChapter*> resolved;
    for (int i = 0; i < story.chapters.size(); ++i) {
        const ResolvedChapter* r = engine.chapter(i, error);
        if (!r) return false;
        resolved << r;
    }
    for (const ResolvedChapter* r : resolved)
        for (const Event& e : r->beats)
            events.insert(e.position, &e);
    StoreWriter::Options options;
    options.meta.insert(QStringLiteral("created_by"), QStringLiteral("chronoscope-cli story bundle"));
    auto writer = StoreWriter::create(output, options, error, overwrite);
    if (!writer) return false;
    QStringList redacted;
    for (const Event* e : std::as_const(events)) {
        Event copy = *e;
        const QJsonValue data = parseJsonValue(e->data);
        story.glossary.collectRedacted(data, &redacted);
        copy.data = toJsonText(story.glossary.present(data));
        // Metadata: only what the story needs (correlation and causation); the rest may be personal.
        QByteArray meta = "{";
        if (!e->correlationId().isEmpty()) {
            meta += "\"correlationId\":";
            appendJsonString(meta, e->correlationId());
        }
        if (!e->causationId().isEmpty()) {
            if (meta.size() > 1) meta += ',';
            meta += "\"causationId\":";
            appendJsonString(meta, e->causationId());
        }
        meta += '}';
        copy.metadata = meta;
        if (!writer->append(copy, error)) {
            writer->abort();
            return false;
        }
    }
    redacted.sort();
    QJsonObject manifest;
    manifest.insert(QStringLiteral("bundle"), 1);
    manifest.insert(QStringLiteral("source"), uriWithoutSecrets(sourceUri));
    manifest.insert(QStringLiteral("sourceSha256"),
                    sourceSha256.isEmpty() ? QJsonValue() : QJsonValue(sourceSha256));
    manifest.insert(QStringLiteral("events"), qint64(events.size()));
    QJsonArray positions;
    for (int i = 0; i < resolved.size(); ++i)
        positions.append(QJsonObject{{QStringLiteral("chapter"), story.chapters[i].id},
                                     {QStringLiteral("fromPosition"), resolved[i]->firstPosition},
                                     {QStringLiteral("toPosition"), resolved[i]->lastPosition},
                                     {QStringLiteral("beats"), qint64(resolved[i]->beats.size())}});
    manifest.insert(QStringLiteral("positions"), positions);
    manifest.insert(QStringLiteral("redacted"), QJsonArray::fromStringList(redacted));
    manifest.insert(QStringLiteral("hidden"), QJsonArray::fromStringList(story.glossary.hide));
    manifest.insert(QStringLiteral("metadataKept"),
                    QJsonArray{QStringLiteral("correlationId"), QStringLiteral("causationId")});
    writer->setMeta(QStringLiteral("story"), QString::fromUtf8(story.text));
    writer->setMeta(QStringLiteral("story_manifest"), QString::fromUtf8(toJsonText(manifest)));
    if (!writer->finish(error)) return false;
    result->events = events.size();
    result->redacted = redacted;
    return true;
}

} // namespace chronoscope::story
