#pragma once
// The SQLite layout of the Python eventsourcing library (table stored_events), read in place and read-only,
// including zlib-compressed and AES-GCM encrypted states. Layout and mapping: docs/layouts.md.

#include "store/eventreader.h"
#include "util/inflater.h"

#include <memory>

namespace chronoscope {

struct SourceProbe;

/// Opens a Python eventsourcing SQLite file. `cipherKey` is the application's base64 CIPHER_KEY (empty: none).
/// Null with *error naming the file on failure (encrypted events without a key, a key that does not decrypt them).
std::unique_ptr<EventReader> openEventsourcingSqlite(const QString& path, const QByteArray& cipherKey, QString* error);
/// Registry score: > 0 when the file has a stored_events table.
int probeEventsourcingSqlite(const SourceProbe& probe);

/// Decodes Python eventsourcing's stored events, for every store that keeps them (the SQLite reader and the
/// PostgreSQL client use this one decoder): the state is plain JSON, zlib-compressed JSON, or AES-GCM encrypted
/// (nonce(12) | tag(16) | ciphertext, optionally compressed first) with the application's CIPHER_KEY; transcoder
/// wrappers are unwrapped, the timestamp becomes the event time. Not thread-safe (one per reader).
class EventsourcingDecoder
{
public:
    enum class StateError { None, NotJson, NeedsKey, Decrypt, Inflate };

    /// key: the raw AES key bytes (16, 24 or 32; empty: none).
    explicit EventsourcingDecoder(QByteArray key = {});
    ~EventsourcingDecoder();
    EventsourcingDecoder(const EventsourcingDecoder&) = delete;
    EventsourcingDecoder& operator=(const EventsourcingDecoder&) = delete;

    /// The raw key of a base64 CIPHER_KEY (empty input: no key). False with *why when it is not an AES key.
    static bool parseCipherKey(const QByteArray& base64, QByteArray* key, QString* why);
    bool hasKey() const { return !m_key.isEmpty(); }

    /// A stored state as compact, validated JSON text (transcoder wrappers still in place).
    StateError decodeState(const QByteArray& raw, QByteArray* json, QString* why) const;
    /// Fills e's type, data, metadata ({"topic":...} plus timestamp/class_version) and time from a topic and a
    /// stored state. On an error the data is the state as text (or "base64:...") and metadata holds
    /// "chronoscope.error"; *why says what is wrong. `type`: the topic's type when already known.
    StateError decodeEvent(const QString& topic, const QByteArray& raw, Event* e, QString* why,
                           const QString& type = QString()) const;
    /// The time of a state's (still wrapped) timestamp member.
    static TimeMs timeOf(const QByteArray& wrappedValue);

private:
    QByteArray m_key;
    std::unique_ptr<Inflater> m_inflater;  ///< one per reader, reset for each state
};

/// "32 lowercase hex digits" (Python's uuid.hex) -> the dashed UUID form; anything else (other spellings included:
/// an id in capitals is a different text id) is returned unchanged.
QString eventsourcingStreamName(const QString& originatorId);
/// The event type of a topic ("shop.domain:Order.Created" -> "Created").
QString eventsourcingTopicType(QStringView topic);

} // namespace chronoscope
