#pragma once
// Annotations: notes a person pins to an event or a time range of a store ("13:40 acmepay stops
// answering"). Kept per store in a sidecar file beside the user's settings, never in the store (which
// stays read-only): <AppDataLocation>/annotations/<sha256 of the store's identity>.json. The identity is
// the store's canonical path for a file, else its URI without secrets. docs/findings.md, "Annotations".

#include "model/event.h"

#include <QList>
#include <QString>

namespace chronoscope {

struct Annotation
{
    QString id;            ///< stable, unique within the store's notes ("n1", "n2", … or any text)
    QString text;          ///< one line
    qint64 position = 0;   ///< the event it is pinned to (0: a time range only)
    QString eventId;       ///< that event's id, so the note survives a re-import with other positions
    QString stream;        ///< that event's stream
    TimeMs from = kNoTime; ///< the range (for an event: its time, both ends)
    TimeMs to = kNoTime;
    TimeMs created = kNoTime;

    bool operator==(const Annotation& o) const
    {
        return id == o.id && text == o.text && position == o.position && eventId == o.eventId &&
               stream == o.stream && from == o.from && to == o.to && created == o.created;
    }
};

/// The notes of one store.
class AnnotationSet
{
public:
    /// The identity a store's notes are keyed by: canonical path of a local file, else the URI as given
    /// (callers pass the redacted URI: no secret reaches the sidecar's name or content).
    static QString storeIdentity(const QString& uri);
    /// <AppDataLocation>/annotations/<sha256(identity) in hex>.json
    static QString sidecarPath(const QString& identity);

    /// Reads the sidecar of a store. A missing file is an empty set (ok). A corrupt or unreadable one
    /// gives an empty set and *error says what is wrong (the file is left as it is, not overwritten
    /// until the user adds a note).
    static AnnotationSet load(const QString& identity, QString* error = nullptr);
    /// The same from an explicit file (tests, capture export).
    static AnnotationSet loadFile(const QString& path, const QString& identity, QString* error = nullptr);

    /// Writes the sidecar (atomically: a temporary file renamed into place).
    bool save(QString* error = nullptr) const;
    bool saveFile(const QString& path, QString* error = nullptr) const;

    QString identity() const { return m_identity; }
    const QList<Annotation>& notes() const { return m_notes; }
    /// Adds a note, giving it an id when it has none; returns the id.
    QString add(Annotation note);
    bool remove(const QString& id);
    const Annotation* find(const QString& id) const;

    /// The notes as compact JSON ({"chronoscopeAnnotations":1,"store":…,"notes":[…]}); also the form a
    /// capture's meta row "annotations" holds.
    QByteArray toJson() const;
    static AnnotationSet fromJson(const QByteArray& json, const QString& identity, QString* error = nullptr);

private:
    QString m_identity;
    QList<Annotation> m_notes;
};

} // namespace chronoscope
