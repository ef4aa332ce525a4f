#include "findings/annotations.h"

#include <QCryptographicHash>
#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSaveFile>
#include <QStandardPaths>

namespace chronoscope {

namespace {

constexpr qint64 kMaxSidecar = 16 * 1024 * 1024; // notes are lines of text: a bigger file is not ours

QJsonValue timeValue(TimeMs t)
{
    return t == kNoTime ? QJsonValue() : QJsonValue(formatTime(t));
}

bool readTime(const QJsonValue& v, TimeMs* out, QString* why)
{
    if (v.isUndefined() || v.isNull()) {
        *out = kNoTime;
        return true;
    }
    if (!v.isString()) {
        *why = QStringLiteral("a time is not a string");
        return false;
    }
    QString reason;
    const auto t = parseTime(v.toString(), &reason);
    if (!t) {
        *why = QStringLiteral("'%1' is not a time: %2").arg(v.toString(), reason);
        return false;
    }
    *out = *t;
    return true;
}

} // namespace

QString AnnotationSet::storeIdentity(const QString& uri)
{
    const QFileInfo fi(uri);
    if (!uri.contains(QStringLiteral("://")) && fi.exists()) return fi.canonicalFilePath();
    return uri;
}

QString AnnotationSet::sidecarPath(const QString& identity)
{
    const QString dir =
        QStandardPaths::writableLocation(QStandardPaths::AppDataLocation) + QStringLiteral("/annotations");
    const QByteArray digest = QCryptographicHash::hash(identity.toUtf8(), QCryptographicHash::Sha256).toHex();
    return dir + u'/' + QString::fromLatin1(digest) + QStringLiteral(".json");
}

AnnotationSet AnnotationSet::load(const QString& identity, QString* error)
{
    return loadFile(sidecarPath(identity), identity, error);
}

AnnotationSet AnnotationSet::loadFile(const QString& path, const QString& identity, QString* error)
{
    AnnotationSet empty;
    empty.m_identity = identity;
    QFile f(path);
    if (!f.exists()) return empty;
    if (!f.open(QIODevice::ReadOnly)) {
        if (error)
            *error =
                QStringLiteral("The notes of this store cannot be read (%1): %2").arg(path, f.errorString());
        return empty;
    }
    if (f.size() > kMaxSidecar) {
        if (error)
            *error = QStringLiteral("The notes file %1 is larger than 16 MiB; it was not read").arg(path);
        return empty;
    }
    QString why;
    AnnotationSet set = fromJson(f.readAll(), identity, &why);
    if (!why.isEmpty()) {
        if (error)
            *error =
                QStringLiteral(
                    "The notes file %1 is damaged (%2); no notes are shown and the file is kept as it is")
                    .arg(path, why);
        return empty;
    }
    return set;
}

AnnotationSet AnnotationSet::fromJson(const QByteArray& json, const QString& identity, QString* error)
{
    AnnotationSet set;
    set.m_identity = identity;
    QJsonParseError pe;
    const QJsonDocument doc = QJsonDocument::fromJson(json, &pe);
    auto fail = [&](const QString& why) {
        if (error) *error = why;
        AnnotationSet none;
        none.m_identity = identity;
        return none;
    };
    if (pe.error != QJsonParseError::NoError)
        return fail(QStringLiteral("%1 at byte %2").arg(pe.errorString()).arg(pe.offset));
    const QJsonObject root = doc.object();
    if (!doc.isObject() || root.value(QStringLiteral("chronoscopeAnnotations")).toInt() != 1)
        return fail(QStringLiteral("not a notes file of format 1"));
    const QJsonValue notes = root.value(QStringLiteral("notes"));
    if (!notes.isArray()) return fail(QStringLiteral("\"notes\" is not a list"));
    for (const QJsonValue& v : notes.toArray()) {
        const QJsonObject o = v.toObject();
        if (!v.isObject() || !o.value(QStringLiteral("id")).isString() ||
            !o.value(QStringLiteral("text")).isString())
            return fail(QStringLiteral("a note without an id or a text"));
        Annotation a;
        a.id = o.value(QStringLiteral("id")).toString();
        a.text = o.value(QStringLiteral("text")).toString();
        a.position = qint64(o.value(QStringLiteral("position")).toDouble(0));
        a.eventId = o.value(QStringLiteral("eventId")).toString();
        a.stream = o.value(QStringLiteral("stream")).toString();
        QString why;
        if (!readTime(o.value(QStringLiteral("from")), &a.from, &why) ||
            !readTime(o.value(QStringLiteral("to")), &a.to, &why) ||
            !readTime(o.value(QStringLiteral("created")), &a.created, &why))
            return fail(QStringLiteral("note %1: %2").arg(a.id, why));
        if (set.find(a.id)) return fail(QStringLiteral("two notes have the id %1").arg(a.id));
        set.m_notes << a;
    }
    return set;
}

QByteArray AnnotationSet::toJson() const
{
    QJsonArray list;
    for (const Annotation& a : m_notes) {
        QJsonObject o;
        o.insert(QStringLiteral("id"), a.id);
        o.insert(QStringLiteral("text"), a.text);
        if (a.position > 0) o.insert(QStringLiteral("position"), a.position);
        if (!a.eventId.isEmpty()) o.insert(QStringLiteral("eventId"), a.eventId);
        if (!a.stream.isEmpty()) o.insert(QStringLiteral("stream"), a.stream);
        o.insert(QStringLiteral("from"), timeValue(a.from));
        o.insert(QStringLiteral("to"), timeValue(a.to));
        o.insert(QStringLiteral("created"), timeValue(a.created));
        list.append(o);
    }
    QJsonObject root;
    root.insert(QStringLiteral("chronoscopeAnnotations"), 1);
    root.insert(QStringLiteral("store"), m_identity);
    root.insert(QStringLiteral("notes"), list);
    return QJsonDocument(root).toJson(QJsonDocument::Compact);
}

bool AnnotationSet::save(QString* error) const
{
    return saveFile(sidecarPath(m_identity), error);
}

bool AnnotationSet::saveFile(const QString& path, QString* error) const
{
    QDir().mkpath(QFileInfo(path).absolutePath());
    QSaveFile f(path);
    if (!f.open(QIODevice::WriteOnly) || f.write(toJson()) < 0 || !f.commit()) {
        if (error)
            *error = QStringLiteral("The notes could not be saved to %1: %2").arg(path, f.errorString());
        return false;
    }
    return true;
}

QString AnnotationSet::add(Annotation note)
{
    if (note.id.isEmpty() || find(note.id)) {
        int n = int(m_notes.size()) + 1;
        while (find(QStringLiteral("n%1").arg(n)))
            ++n;
        note.id = QStringLiteral("n%1").arg(n);
    }
    if (note.created == kNoTime) note.created = QDateTime::currentMSecsSinceEpoch();
    m_notes << note;
    return note.id;
}

bool AnnotationSet::remove(const QString& id)
{
    for (qsizetype i = 0; i < m_notes.size(); ++i)
        if (m_notes[i].id == id) {
            m_notes.removeAt(i);
            return true;
        }
    return false;
}

const Annotation* AnnotationSet::find(const QString& id) const
{
    for (const Annotation& a : m_notes)
        if (a.id == id) return &a;
    return nullptr;
}

} // namespace chronoscope
